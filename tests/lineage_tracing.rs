//! Explicit parents and links on the `tracing` span path (a user's layer is installed, so
//! observed functions make `tracing` spans): the same scenario as `tests/lineage/`.

#[path = "common/mod.rs"]
mod common;
#[path = "lineage/scenario.rs"]
mod scenario;

/// A layer that only listens, so that obs takes the `tracing` path.
struct Listening;
impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Listening {}

#[test]
fn links_and_explicit_parents_arrive_at_the_otlp_receiver_on_the_tracing_path() {
    scenario::run(|builder| builder.with_layer(Listening));
}
