//! The bridge into the `metrics` facade, checked with `metrics-util`'s debugging recorder.
//! One test: flushing is global, and a parallel flush would take this test's deltas.

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};
use obs::observe;

#[observe]
fn bridged(fail: bool) -> Result<(), ()> {
    if fail { Err(()) } else { Ok(()) }
}

fn labels(key: &CompositeKey) -> Vec<(String, String)> {
    key.key().labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect()
}

/// One series of `bridged` in a snapshot (the debugging recorder's snapshots drain it).
fn series<'a>(
    snapshot: &'a [(
        CompositeKey,
        Option<metrics::Unit>,
        Option<metrics::SharedString>,
        DebugValue,
    )],
    name: &str,
    result: Option<&str>,
) -> Option<&'a DebugValue> {
    snapshot.iter().find_map(|(key, _, _, value)| {
        let l = labels(key);
        let ours = key.key().name() == name
            && l.contains(&("function".into(), "bridged".into()))
            && l.contains(&("module".into(), "observe::metrics_bridge".into()));
        let result_matches = result.is_none_or(|r| l.contains(&("result".into(), r.into())));
        (ours && result_matches).then_some(value)
    })
}

#[test]
fn calls_made_before_a_recorder_exists_reach_it_when_it_flushes() {
    obs::metrics::enable();
    // Calls made while no recorder is installed at all.
    bridged(false).unwrap();
    bridged(true).unwrap_err();
    bridged(false).unwrap();

    let recorder = DebuggingRecorder::new();
    metrics::with_local_recorder(&recorder, obs::metrics::flush);
    let snapshot = recorder.snapshotter().snapshot().into_vec();
    assert_eq!(
        series(&snapshot, "function_calls_total", Some("ok")),
        Some(&DebugValue::Counter(2))
    );
    assert_eq!(
        series(&snapshot, "function_calls_total", Some("error")),
        Some(&DebugValue::Counter(1))
    );
    assert_eq!(
        series(&snapshot, "function_calls_total", Some("panic")),
        Some(&DebugValue::Counter(0)),
        "every result series exists, so ratios have a numerator from the start"
    );
    assert_eq!(
        series(&snapshot, "function_calls_concurrent", None),
        Some(&DebugValue::Gauge(0.0.into()))
    );
    let Some(DebugValue::Histogram(samples)) =
        series(&snapshot, "function_calls_duration_seconds", None)
    else {
        panic!("no histogram");
    };
    assert_eq!(samples.len(), 3);
    assert!(samples.iter().all(|s| s.into_inner() < 0.1));
    let (_, unit, help, _) = snapshot
        .iter()
        .find(|(k, ..)| {
            k.kind() == MetricKind::Histogram && k.key().name() == "function_calls_duration_seconds"
        })
        .unwrap();
    assert_eq!(*unit, Some(metrics::Unit::Seconds));
    assert!(help.is_some(), "described, as Prometheus tools require");

    // A second flush forwards only what changed since the first.
    bridged(true).unwrap_err();
    metrics::with_local_recorder(&recorder, obs::metrics::flush);
    let snapshot = recorder.snapshotter().snapshot().into_vec();
    assert_eq!(
        series(&snapshot, "function_calls_total", Some("error")),
        Some(&DebugValue::Counter(1))
    );
    assert_eq!(
        series(&snapshot, "function_calls_total", Some("ok")),
        Some(&DebugValue::Counter(0))
    );
    let Some(DebugValue::Histogram(samples)) =
        series(&snapshot, "function_calls_duration_seconds", None)
    else {
        panic!("no histogram");
    };
    assert_eq!(samples.len(), 1);
}
