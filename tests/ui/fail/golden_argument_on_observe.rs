#[obs::observe(objective(success = 99.9))]
fn handle() {}

fn main() {}
