//! `obs report --html` in a real browser: headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs) opens the page from a file, with no network, and shows what it promises:
//! the operations table (filled by the page's script), the `obs why` findings naming the planted
//! causes, and the waterfalls with the critical path and the failing span; and its screenshot is
//! not blank.
#![cfg(feature = "tools")]

#[path = "common/traces.rs"]
mod traces;

use std::path::Path;
use std::process::Command;

fn chromium(args: &[&str], page: &Path) -> Vec<u8> {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Debian's chromium (.ci/run installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A trace file with a slow query under one shard and payments declined for one card network.
fn planted(dir: &Path) -> std::path::PathBuf {
    let mut spans = traces::slow_history(300, 21);
    spans.extend(traces::failed_checkout(300, 22));
    let file = dir.join("traces.jsonl");
    std::fs::write(&file, traces::lines(&spans)).unwrap();
    file
}

#[test]
fn the_report_shows_the_signals_the_findings_and_the_waterfalls_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let traces = planted(dir.path());
    let page = dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_obs"))
        .args(["report", "--html"])
        .arg(&page)
        .arg("--file")
        .arg(&traces)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    for fetch in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(fetch), "nothing is loaded from the network: {fetch}");
    }

    let dom = String::from_utf8(chromium(&["--dump-dom"], &page)).unwrap();
    assert!(dom.contains("data-ready=\"true\""), "the page's script ran");
    let rows = dom.matches("<tr class=\"operation\">").count();
    assert_eq!(rows, 2, "one row per operation, filled by the script");
    for operation in ["GET /orders/{id}/history", "POST /checkout"] {
        assert!(dom.contains(&format!("<td>{operation}</td>")), "{operation} in the table");
    }
    assert!(dom.matches("<rect").count() > 20, "histograms and waterfalls are drawn");
    // The findings name the planted causes.
    let slow = section(&dom, "why-slow");
    assert!(slow.contains("1. db::history_query (db)") && slow.contains("db.shard=7"), "{slow}");
    let failed = section(&dom, "why-failed");
    assert!(
        failed.contains("payments::charge (payments)") && failed.contains("card.network=amex"),
        "{failed}"
    );
    // The waterfalls: the slowest trace with its critical path, a failed one with its failing span.
    let slowest = section(&dom, "waterfall-slowest");
    assert!(
        slowest.contains("db::history_query") && slowest.contains("class=\"span critical\""),
        "{slowest}"
    );
    let failing = section(&dom, "waterfall-failed");
    assert!(
        failing.contains("class=\"span failing\"") && failing.contains("declined: code"),
        "{failing}"
    );

    let shot = dir.path().join("report.png");
    chromium(&[&format!("--screenshot={}", shot.display())], &page);
    let (pixels, dark) = ink(&shot);
    assert!(
        dark > pixels / 100,
        "the screenshot shows something: {dark} of {pixels} pixels are ink"
    );
}

/// The element with id `id`, as text, up to its closing tag's name.
fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &dom[start..];
    let end = rest.find("</pre>").or_else(|| rest.find("</svg>")).unwrap_or(rest.len());
    &rest[..end]
}

/// The pixels of a PNG, and how many of them are darker than light grey.
fn ink(path: &Path) -> (usize, usize) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    let pixels = (info.width * info.height) as usize;
    let dark = buffer[..info.buffer_size()]
        .chunks(channels)
        .filter(|px| px.iter().take(3).map(|&c| u32::from(c)).sum::<u32>() < 3 * 200)
        .count();
    (pixels, dark)
}
