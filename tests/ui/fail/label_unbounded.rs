//! A metric label with one value per user: unbounded cardinality.
#[obs::observe(labels(user_id = "u-1"))]
fn f() {}

fn main() {}
