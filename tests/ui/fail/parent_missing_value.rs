//! `parent` takes a value.
#[obs::observe(parent)]
fn consume() {}

fn main() {}
