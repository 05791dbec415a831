//! Explicit parents and links on obs's own span path (see `scenario.rs`).

#[path = "../common/mod.rs"]
mod common;
mod scenario;

#[test]
fn links_and_explicit_parents_arrive_at_the_otlp_receiver() {
    scenario::run(|builder| builder);
}
