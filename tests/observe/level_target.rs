//! Stays on a plain `tracing` subscriber: it checks the `tracing` metadata (a span's level and
//! target, which obs does not export) that a program's own subscriber sees.

use crate::support::{enable_metrics, metrics, tracing_spans};
use obs::observe;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

#[observe(level = debug)]
fn at_debug() {}

#[observe(level = "WARN", target = "shop::db")]
fn at_warn() {}

#[observe(level = tracing::Level::ERROR)]
fn at_error() {}

#[test]
fn level_and_target_are_set() {
    let (cap, _) = tracing_spans(|| {
        at_debug();
        at_warn();
        at_error();
    });
    assert_eq!(cap.span("observe::level_target::at_debug").level, "DEBUG");
    let warn = cap.span("observe::level_target::at_warn");
    assert_eq!((warn.level.as_str(), warn.target.as_str()), ("WARN", "shop::db"));
    assert_eq!(cap.span("observe::level_target::at_error").level, "ERROR");
}

#[observe(level = trace)]
fn filtered_out() {}

#[test]
fn a_span_filtered_out_by_level_still_counts_its_calls() {
    enable_metrics();
    let subscriber = tracing_subscriber::registry().with(LevelFilter::INFO);
    tracing::subscriber::with_default(subscriber, filtered_out);
    // Under the program's own subscriber, obs's own counters count the call (a capture would
    // count it whatever the filter).
    assert_eq!(metrics("observe::level_target::filtered_out").calls, [1, 0, 0, 0]);
}
