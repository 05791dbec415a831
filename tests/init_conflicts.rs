//! `obs::init` where it cannot succeed: a taken port, or a program that already installed a
//! global subscriber or metrics recorder. Each is a typed error that says what to do, never a
//! panic, and a failed init can be retried. One test: the steps share the process's globals.

#[test]
fn init_refuses_with_typed_errors_and_can_be_retried() {
    let builder = || obs::TelemetryBuilder::new("conflicts").ignore_env().traces_file(None::<&str>);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err =
        builder().prometheus(Some(taken.local_addr().unwrap())).init().err().expect("refused");
    assert!(matches!(err, obs::InitError::MetricsEndpoint { .. }), "{err}");
    assert!(err.to_string().contains("OBS_METRICS_ADDR"), "says how to fix it: {err}");

    tracing::subscriber::set_global_default(tracing_subscriber::registry()).unwrap();
    metrics::set_global_recorder(metrics_util::debugging::DebuggingRecorder::new()).unwrap();

    // With a Prometheus endpoint, obs needs the global recorder first.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let err = builder().prometheus(Some(free)).init().err().expect("refused");
    assert!(matches!(err, obs::InitError::RecorderAlreadySet), "{err}");
    assert!(
        err.to_string().contains("spawn_flusher"),
        "says how to feed the existing recorder: {err}"
    );

    // Without one, the subscriber is what conflicts.
    let err = builder().prometheus(None).init().err().expect("refused");
    assert!(matches!(err, obs::InitError::SubscriberAlreadySet), "{err}");
    assert!(err.to_string().contains("with_layer"), "{err}");
}
