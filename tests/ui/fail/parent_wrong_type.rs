//! `parent = …` takes a span context, a span or `None`.
#[obs::observe(parent = 42)]
fn consume() {}

fn main() {}
