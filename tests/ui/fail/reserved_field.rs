#[obs::observe(fields(otel.status_code = "OK"))]
fn f() {}

fn main() {}
