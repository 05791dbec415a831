#!/usr/bin/env python3
"""What the attributes add to a build: the same crate of N functions, bare, with `#[observe]`
and with `#[tracing::instrument]`, timed with `cargo check` and `cargo build` after a touch
(the dependencies are built first and shared, so only the crate itself is timed).

usage: benches/build_cost.py [--functions 600] [--runs 3] [--obs DIR]

Prints one row per variant (median of the runs) and the ratio of obs to tracing. Each function
takes two arguments, returns a `Result`, and its attribute records one argument and the error,
the common case in a service.
"""

import argparse
import os
import statistics
import subprocess
import sys
import shutil
import tempfile
import time
from pathlib import Path

VARIANTS = {
    "bare": ("", ""),
    "observe": ("#[obs::observe(err, skip(payload))]", ""),
    "tracing": ("#[tracing::instrument(err, skip(payload))]", ""),
}


def crate_source(attribute: str, functions: int) -> str:
    lines = ["#![allow(dead_code)]", "", "#[derive(Debug)]", "pub struct Failed(pub u64);", ""]
    lines += [
        "impl std::fmt::Display for Failed {",
        "    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, \"failed {}\", self.0) }",
        "}",
        "",
    ]
    for i in range(functions):
        if attribute:
            lines.append(attribute)
        lines += [
            f"pub fn handler_{i}(id: u64, payload: &[u8]) -> Result<u64, Failed> {{",
            f"    if id % {i + 2} == 0 {{ Err(Failed(id)) }} else {{ Ok(id + payload.len() as u64) }}",
            "}",
            "",
        ]
    return "\n".join(lines)


def cargo(args, cwd, target):
    env = dict(os.environ, CARGO_TARGET_DIR=str(target))
    started = time.monotonic()
    subprocess.run(["cargo", *args, "--quiet"], cwd=cwd, env=env, check=True)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--obs", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--keep", action="store_true", help="keep the generated crates and their target dir")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="obs-build-cost-"))
    try:
        measure(args, work)
    finally:
        # The shared target dir holds 1.5 GB of dependencies.
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(args, work):
    target = work / "target"
    results = {}
    for name, (attribute, _) in VARIANTS.items():
        crate = work / name
        (crate / "src").mkdir(parents=True)
        (crate / "Cargo.toml").write_text(
            f"""[package]
name = "build-cost-{name}"
version = "0.0.0"
edition = "2024"

[dependencies]
obs = {{ path = "{args.obs}" }}
tracing = "0.1"

[workspace]
"""
        )
        lib = crate / "src" / "lib.rs"
        lib.write_text(crate_source(attribute, args.functions))
        # Dependencies first, untimed (shared by the three crates through the target dir).
        cargo(["build"], crate, target)
        cargo(["check"], crate, target)
        timings = {"check": [], "build": []}
        for _ in range(args.runs):
            for command in ("check", "build"):
                lib.touch()
                timings[command].append(cargo([command], crate, target))
        results[name] = {k: statistics.median(v) for k, v in timings.items()}
        print(f"{name:8} check {results[name]['check']:.2f} s   build {results[name]['build']:.2f} s", flush=True)

    for command in ("check", "build"):
        obs, tracing, bare = (results[v][command] for v in ("observe", "tracing", "bare"))
        print(
            f"{command}: observe {obs:.2f} s, tracing::instrument {tracing:.2f} s, bare {bare:.2f} s;"
            f" observe / tracing = {obs / tracing:.2f}x"
        )


if __name__ == "__main__":
    sys.exit(main())
