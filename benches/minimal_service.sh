#!/usr/bin/env bash
# The cost of obs to a service that only instruments its functions: a minimal service
# (`obs::init`, one `#[observe]` function) built from clean in release mode, with its own target
# directory. Prints the build time and the binary's size.
#
# usage: benches/minimal_service.sh [OBS_DIR] [FEATURES]
#   OBS_DIR   the obs checkout to build against (default: this repository)
#   FEATURES  obs features to enable, comma-separated (default: obs's defaults)
set -euo pipefail
obs_dir=$(cd "${1:-$(dirname "$0")/..}" && pwd)
features=${2:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
if [ -n "$features" ]; then
    dep="obs = { path = \"$obs_dir\", default-features = false, features = [$(echo "$features" | sed 's/[^,][^,]*/"&"/g')] }"
else
    dep="obs = { path = \"$obs_dir\" }"
fi
cat > "$work/Cargo.toml" <<TOML
[package]
name = "minimal-service"
version = "0.1.0"
edition = "2024"

[dependencies]
$dep
tracing = "0.1"

[workspace]
TOML
cat > "$work/src/main.rs" <<'RS'
#[obs::observe(err)]
fn charge(order_id: u64, cents: u32) -> Result<u64, String> {
    if cents == 0 { Err("empty order".into()) } else { Ok(order_id) }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let telemetry = obs::init("minimal-service")?;
    tracing::info!(order = charge(7, 250)?, "charged");
    telemetry.shutdown()?;
    Ok(())
}
RS
cp "$obs_dir/Cargo.lock" "$work/Cargo.lock" 2>/dev/null || true
cd "$work"
start=$(date +%s.%N)
cargo build --release --quiet
end=$(date +%s.%N)
size=$(stat -c %s target/release/minimal-service)
python3 -c "print(f'clean release build: {$end - $start:.1f} s'); print(f'binary: $size bytes ({$size / 1048576:.1f} MiB)')"
