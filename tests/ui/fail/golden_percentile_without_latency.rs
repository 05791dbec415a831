#[obs::golden_signals(objective(success = 99.9, percentile = 95))]
fn handle() {}

fn main() {}
