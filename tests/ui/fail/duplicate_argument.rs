#[obs::observe(level = debug, name = "a", level = info)]
fn f() {}

fn main() {}
