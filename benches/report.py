#!/usr/bin/env python3
"""Runs obs's benchmarks and writes the measured part of BENCHMARKS.md.

usage: python3 benches/report.py [--runs N] [--no-run]

Runs `cargo bench --bench peers --bench export --bench scrub` N times (default 4), reads
criterion's median of every row after each run (target/criterion/**/new/estimates.json), and
replaces what lies between the `<!-- measured -->` and `<!-- /measured -->` markers of
BENCHMARKS.md with: the machine, the median over the runs of every row with the spread of the
runs, its ratio to the peer rows of the same runs, the targets of issue 8 with their verdicts,
and what the benchmarks printed besides timings (spans dropped or received, memory per span).
With --no-run, it writes the report again from the runs the last measuring invocation saved.
"""
import argparse
import datetime
import json
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRITERION = ROOT / "target" / "criterion"
REPORT = ROOT / "BENCHMARKS.md"
# Every run's medians, so that --no-run can write the report again without measuring.
SAVED = CRITERION / "report-runs.json"
BENCHES = ["peers", "export", "scrub"]

# Reference rows, per group: each row's ratio to these is shown.
PEERS = {
    "sync": [
        ("bare", "bare"),
        ("tracing/otel not sampled", "tracing+otel, not sampled"),
        ("tracing/otel sampled", "tracing+otel, sampled"),
        ("autometrics", "autometrics"),
        ("fastrace/reporter", "fastrace, reporter"),
    ],
    "async": [
        ("bare", "bare"),
        ("tracing/otel not sampled", "tracing+otel, not sampled"),
        ("autometrics", "autometrics"),
        ("fastrace/reporter", "fastrace, reporter"),
    ],
    "export": [
        ("tracing-opentelemetry/otlp-http, sampled spans", "tracing-opentelemetry"),
    ],
}

# Issue 8's targets: (what, row, reference row, largest ratio allowed).
TARGETS = [
    ("no subscriber, no recorder: within 2x of bare",
     "sync/obs/nothing installed", "sync/bare", 2.0),
    ("metrics only: at most 1/10 of #[autometrics]",
     "sync/obs/metrics only", "sync/autometrics", 1 / 10),
    ("production, trace not kept: at most 1/8 of tracing+otel not sampled",
     "sync/obs/production, trace not kept", "sync/tracing/otel not sampled", 1 / 8),
    ("trace kept and exported: at most 1/4 of tracing+otel sampled",
     "sync/obs/production, trace kept and exported", "sync/tracing/otel sampled", 1 / 4),
    ("2 threads: at most 1.5x the 1-thread cost",
     "threads/obs/production, trace not kept/2 threads",
     "threads/obs/production, trace not kept/1 thread", 1.5),
]

# Lines the benchmarks print besides timings, kept in the report.
NOTES = re.compile(r"^(obs/|tracing-opentelemetry/|memory per buffered span)")


def medians(since):
    """Every row measured since `since` (a time stamp): full id -> (median in ns, throughput,
    when it was measured). Older results on disk (rows since renamed or removed) are left out."""
    rows = {}
    for bench in CRITERION.glob("**/new/benchmark.json"):
        stamp = bench.stat().st_mtime
        if stamp < since:
            continue
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        rows[meta["full_id"]] = (estimates["median"]["point_estimate"], meta.get("throughput"),
                                 stamp)
    return rows


def run_benches():
    """One run of every benchmark; returns the note lines they printed."""
    command = ["cargo", "bench"] + [arg for b in BENCHES for arg in ("--bench", b)]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return [line for line in (done.stdout + done.stderr).splitlines() if NOTES.match(line)]


def machine():
    def out(command):
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "unknown"

    model = "unknown"
    for line in out(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    cores = out(["nproc"])
    return (f"{model}, {cores} cores available, Linux {platform.release()}, "
            f"{out(['rustc', '-V'])}; {datetime.date.today().isoformat()}")


def duration(ns):
    if ns >= 1000:
        return f"{ns / 1000:.2f} µs"
    return f"{ns:.1f} ns" if ns < 100 else f"{ns:.0f} ns"


def ratio(value):
    """`2.50x` above 1, `1/8.1` below (a fraction reads better as "one eighth")."""
    if value >= 1:
        return f"{value:.2f}x"
    return f"1/{1 / value:.1f}" if value > 1 / 20 else f"1/{1 / value:.0f}"


def table(runs, notes):
    """The measured part of the report, from the medians of each run."""
    ids = sorted({i for run in runs for i in run}, key=lambda i: order(runs[-1], i))
    median = {i: statistics.median(run[i][0] for run in runs if i in run) for i in ids}
    spread = {i: (min(r[i][0] for r in runs if i in r), max(r[i][0] for r in runs if i in r))
              for i in ids}
    throughput = {i: runs[-1][i][1] for i in ids if i in runs[-1]}
    lines = [f"Machine: {machine()}.", "",
             f"Medians of {len(runs)} run{'s' if len(runs) > 1 else ''} of "
             f"`python3 benches/report.py --runs {len(runs)}` (spread: the lowest and highest "
             "run's median).", ""]

    groups = []
    for i in ids:
        group = i.split("/", 1)[0]
        if group not in groups:
            groups.append(group)
    for group in groups:
        rows = [i for i in ids if i.split("/", 1)[0] == group]
        peers = [(f"{group}/{row}", name) for row, name in PEERS.get(group, [])
                 if f"{group}/{row}" in median]
        lines.append(f"### {group}")
        lines.append("")
        header = ["row", "median", "spread"]
        if group == "scrub":
            header.append("throughput")
        if group == "export":
            header.append("spans/s")
        if group == "threads":
            header.append("vs 1 thread")
        header += [f"vs {name}" for _, name in peers]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for i in rows:
            low, high = spread[i]
            cells = [i.split("/", 1)[1], duration(median[i]), f"{duration(low)}–{duration(high)}"]
            if group == "scrub":
                size = (throughput.get(i) or {}).get("Bytes", 0)
                cells.append(f"{size / median[i] * 1000:.0f} MB/s")
            if group == "export":
                cells.append(f"{1e9 / median[i]:,.0f}")
            if group == "threads":
                one = re.sub(r"/2 threads$", "/1 thread", i)
                cells.append(ratio(median[i] / median[one]) if one != i else "")
            cells += [ratio(median[i] / median[p]) for p, _ in peers]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")

    lines += ["### Targets (issue 8)", "", "| target | measured | met |", "|---|---|---|"]
    for what, row, reference, limit in TARGETS:
        if row in median and reference in median:
            measured = median[row] / median[reference]
            met = "yes" if measured <= limit else "**no**"
            lines.append(f"| {what} | {ratio(measured)} | {met} |")
    if notes:
        lines += ["", "### Printed by the benchmarks (last run)", ""]
        lines += [f"- {note}" for note in notes]
    return "\n".join(lines)


def order(run, full_id):
    """Rows in the order the benchmarks ran them: group order, then when the row was measured."""
    groups = ["sync", "async", "threads", "export", "scrub"]
    group = full_id.split("/", 1)[0]
    stamp = run[full_id][2] if full_id in run else 0.0
    return (groups.index(group) if group in groups else len(groups), stamp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--no-run", action="store_true")
    args = parser.parse_args()
    runs, notes = [], []
    if args.no_run:
        if not SAVED.exists():
            sys.exit(f"no saved runs in {SAVED}: run without --no-run first")
        saved = json.loads(SAVED.read_text())
        runs, notes = saved["runs"], saved["notes"]
    else:
        for n in range(args.runs):
            print(f"run {n + 1} of {args.runs}...", file=sys.stderr, flush=True)
            started = time.time()
            notes = run_benches()
            runs.append(medians(started))
        SAVED.write_text(json.dumps({"runs": runs, "notes": notes}))
    text = REPORT.read_text()
    begin, end = "<!-- measured -->", "<!-- /measured -->"
    if begin not in text or end not in text:
        sys.exit(f"{REPORT} has no {begin} ... {end} section to fill")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    REPORT.write_text(f"{head}{begin}\n{table(runs, notes)}\n{end}{tail}")
    print(f"wrote {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
