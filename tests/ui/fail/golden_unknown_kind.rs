#[obs::golden_signals(kind = "worker")]
fn handle() {}

fn main() {}
