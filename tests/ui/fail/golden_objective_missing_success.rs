#[obs::golden_signals(objective(latency_ms = 250))]
fn handle() {}

fn main() {}
