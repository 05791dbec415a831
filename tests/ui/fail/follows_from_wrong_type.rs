//! `follows_from = …` takes span contexts or spans.
#[obs::observe(follows_from = "producer")]
fn consume() {}

fn main() {}
