#[obs::observe(name)]
fn f() {}

fn main() {}
