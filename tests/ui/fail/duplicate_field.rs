#[obs::observe(fields(region = "eu", region = "us"))]
fn f() {}

fn main() {}
