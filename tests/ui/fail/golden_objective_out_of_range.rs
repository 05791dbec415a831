#[obs::golden_signals(objective(success = 100))]
fn handle() {}

fn main() {}
