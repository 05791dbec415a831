//! `#[golden_signals]` declares one entry point, not a block of them.
struct Api;

#[obs::golden_signals]
impl Api {
    fn checkout(&self) {}
}

fn main() {}
