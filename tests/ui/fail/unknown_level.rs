#[obs::observe(level = verbose)]
fn f() {}

fn main() {}
