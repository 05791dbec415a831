//! A metric label named like personal data.
#[obs::observe(labels(customer_email = "none"))]
fn f() {}

fn main() {}
