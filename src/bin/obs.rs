//! `obs`: look at the traces services recorded in their embedded trace files.
//!
//! ```text
//! obs trace --slowest            the slowest trace, as a waterfall
//! obs trace --failed             the latest failed trace, with the span where it failed
//! obs trace <trace id>           one trace (its id, or the start of it)
//! obs trace --list               the latest traces, one line each
//!   --width <n>                  width of the time axis (default 48)
//!   --color                      colour failed spans red and the slowest span yellow
//! obs why --slow [--operation NAME] [--threshold MS | --percentile P]
//!                                what makes the slow traces of an operation slow (default: p95)
//! obs why --failed [--operation NAME] [--logs <path>]...
//!                                where and how the failed traces failed
//! obs report --html <out> [--logs <path>]...
//!                                one self-contained HTML page of both, with waterfalls
//!   --file <path>                a trace file; repeat it for one file per service (default:
//!                                $OBS_TRACES_FILE, else obs-traces.jsonl)
//! ```

use obs::traceview::{Style, TraceView, parse};
use obs::why::SlowBy;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: obs trace [--slowest | --failed | --list | <trace id>] [--width <n>] [--color] [--file <path>]...
       obs why (--slow [--threshold <ms> | --percentile <p>] | --failed [--logs <path>]...) [--operation <name>] [--file <path>]...
       obs report --html <out> [--logs <path>]... [--file <path>]...";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("obs: {message}\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Other(message)) => {
            eprintln!("obs: {message}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    Usage(String),
    Other(String),
}

fn usage(error: impl ToString) -> Failure {
    Failure::Usage(error.to_string())
}

fn run() -> Result<(), Failure> {
    let mut args = pico_args::Arguments::from_env();
    if args.contains(["-h", "--help"]) {
        println!("{USAGE}");
        return Ok(());
    }
    let command = args.subcommand().map_err(usage)?;
    let files: Vec<PathBuf> = args.values_from_str("--file").map_err(usage)?;
    let files = if files.is_empty() {
        vec![
            std::env::var_os("OBS_TRACES_FILE")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(obs::config::DEFAULT_TRACES_FILE)),
        ]
    } else {
        files
    };
    match command.as_deref() {
        Some("trace") => trace(args, &files),
        Some("why") => why(args, &files),
        Some("report") => report(args, &files),
        Some(other) => Err(usage(format!("unknown command `{other}`"))),
        None => Err(usage("which command? `obs trace`, `obs why` or `obs report`")),
    }
}

/// The traces of every file, as one set: a trace whose services wrote to several files is
/// whole again.
fn read(files: &[PathBuf]) -> Result<Vec<TraceView>, Failure> {
    let mut text = String::new();
    for file in files {
        let content = std::fs::read_to_string(file).map_err(|e| {
            Failure::Other(format!(
                "cannot read the trace file {}: {e}; traces are written there by obs::init when no OTLP endpoint is set (OBS_TRACES_FILE)",
                file.display()
            ))
        })?;
        text.push_str(&content);
        text.push('\n');
    }
    parse(&text).map_err(|e| Failure::Other(e.to_string()))
}

fn logs(args: &mut pico_args::Arguments) -> Result<Vec<String>, Failure> {
    let paths: Vec<PathBuf> = args.values_from_str("--logs").map_err(usage)?;
    let mut lines = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::Other(format!("cannot read the log file {}: {e}", path.display()))
        })?;
        lines.extend(text.lines().map(str::to_owned));
    }
    Ok(lines)
}

fn finish(args: pico_args::Arguments) -> Result<(), Failure> {
    let rest: Vec<OsString> = args.finish();
    if rest.is_empty() { Ok(()) } else { Err(usage(format!("unexpected {rest:?}"))) }
}

fn trace(mut args: pico_args::Arguments, files: &[PathBuf]) -> Result<(), Failure> {
    let width: usize = args.opt_value_from_str("--width").map_err(usage)?.unwrap_or(48);
    let style = Style { width, color: args.contains("--color") };
    let (slowest, failed, list) =
        (args.contains("--slowest"), args.contains("--failed"), args.contains("--list"));
    let id: Option<String> = args.opt_free_from_str().map_err(usage)?;
    finish(args)?;
    let traces = read(files)?;
    let chosen: &TraceView = match (slowest, failed, list, id) {
        (true, false, false, None) => traces
            .iter()
            .max_by(|a, b| a.duration_ms().total_cmp(&b.duration_ms()))
            .ok_or_else(|| Failure::Other("no trace in the file".into()))?,
        (false, true, false, None) => traces
            .iter()
            .find(|t| t.failed())
            .ok_or_else(|| Failure::Other("no failed trace in the file".into()))?,
        (false, false, true, None) => {
            for trace in traces.iter().take(20) {
                let root = trace.roots().next().map_or("?", |r| r.name.as_str());
                let service = trace.roots().next().map_or("?", |r| r.service.as_str());
                let status = if trace.failed() { "FAILED" } else { "ok" };
                println!(
                    "{}  {:>9.1} ms  {status:6}  {service}  {root}",
                    trace.trace_id,
                    trace.duration_ms()
                );
            }
            return Ok(());
        }
        (false, false, false, Some(id)) => traces
            .iter()
            .find(|t| t.trace_id.starts_with(&id))
            .ok_or_else(|| Failure::Other(format!("no trace {id} in {}", display(files))))?,
        (false, false, false, None) => {
            return Err(usage("which trace? --slowest, --failed, --list or an id"));
        }
        _ => return Err(usage("choose one of --slowest, --failed, --list or an id")),
    };
    print!("{}", chosen.render(&style));
    Ok(())
}

fn why(mut args: pico_args::Arguments, files: &[PathBuf]) -> Result<(), Failure> {
    let (slow, failed) = (args.contains("--slow"), args.contains("--failed"));
    let operation: Option<String> = args.opt_value_from_str("--operation").map_err(usage)?;
    let threshold: Option<f64> = args.opt_value_from_str("--threshold").map_err(usage)?;
    let percentile: Option<f64> = args.opt_value_from_str("--percentile").map_err(usage)?;
    let logs = logs(&mut args)?;
    finish(args)?;
    let by = match (threshold, percentile) {
        (Some(_), Some(_)) => return Err(usage("choose --threshold or --percentile, not both")),
        (Some(ms), None) if ms >= 0.0 => SlowBy::Threshold(ms),
        (None, Some(p)) if (0.0..100.0).contains(&p) => SlowBy::Percentile(p),
        (None, None) => SlowBy::Percentile(95.0),
        _ => {
            return Err(usage(
                "--threshold is milliseconds (0 or more), --percentile from 0 to 100",
            ));
        }
    };
    if slow == failed {
        return Err(usage("choose one of --slow and --failed"));
    }
    let traces = read(files)?;
    match (slow, failed) {
        (true, false) => {
            let report = obs::why::slow(&traces, operation.as_deref(), by)
                .map_err(|e| Failure::Other(e.to_string()))?;
            print!("{report}");
        }
        (false, true) => {
            let report = obs::why::failed(&traces, operation.as_deref(), &logs)
                .map_err(|e| Failure::Other(e.to_string()))?;
            print!("{report}");
        }
        _ => return Err(usage("choose one of --slow and --failed")),
    }
    Ok(())
}

fn report(mut args: pico_args::Arguments, files: &[PathBuf]) -> Result<(), Failure> {
    let out: PathBuf = args
        .opt_value_from_str("--html")
        .map_err(usage)?
        .ok_or_else(|| usage("where to? --html <file>"))?;
    let logs = logs(&mut args)?;
    finish(args)?;
    let traces = read(files)?;
    let page = obs::report::html(&traces, &logs, &display(files));
    std::fs::write(&out, page)
        .map_err(|e| Failure::Other(format!("cannot write {}: {e}", out.display())))?;
    println!("wrote {}", out.display());
    Ok(())
}

fn display(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}
