//! The Prometheus endpoint: `/metrics`, from what the recorder holds ([`super::recorder`]), in
//! the format the scraper's `Accept` header prefers: Prometheus's text format (the default),
//! OpenMetrics (with exemplars), or Prometheus's protobuf format (with exemplars and native
//! histograms).
//! The exporter's own HTTP listener serves only its recorder, so obs serves the endpoint
//! (hyper, on a thread of its own).

use super::bridge::{self, CallHistogram};
use super::exposition;
use super::protobuf;
use super::recorder::Store;
use crate::names;
use crate::observe::stats::DURATION_BUCKETS;
use crate::pii::scrub::Scrubbed;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response};
use metrics_exporter_prometheus::formatting::sanitize_label_value;
use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};

/// The content type of Prometheus's text format.
const TEXT_FORMAT: &str = "text/plain; version=0.0.4";

/// The endpoint's socket: bound before anything is installed, so that a taken port is a clear
/// error.
pub(crate) fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    let listener = TcpListener::bind(addr).map_err(|e| e.to_string())?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    Ok(listener)
}

/// Serves `/metrics` on `listener` from `store`, on a thread of its own.
pub(crate) fn serve(listener: TcpListener, store: &'static Store) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("obs-prometheus".into())
        .spawn(move || runtime.block_on(accept(listener, store)))
        .map_err(|e| e.to_string())?;
    Ok(())
}

async fn accept(listener: TcpListener, store: &'static Store) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%error, "the Prometheus endpoint cannot listen: /metrics is not served");
            return;
        }
    };
    loop {
        // A failed accept (out of file descriptors, a connection reset before it was
        // accepted) loses that connection only.
        let Ok((stream, _)) = listener.accept().await else { continue };
        tokio::spawn(async move {
            // Every path answers the metrics, as the exporter's own listener does.
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let accept: Vec<&str> = request
                    .headers()
                    .get_all(ACCEPT)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                let response = respond(store, negotiate(&accept.join(",")));
                async move { Ok::<_, std::convert::Infallible>(response) }
            });
            // A client that goes away mid-request is its own problem: nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// An exposition format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Text,
    OpenMetrics,
    Protobuf,
}

/// The format an `Accept` header prefers (RFC 9110, section 12.5.1): the media range with the
/// highest `q` among the three formats, a named type before a wildcard and, at equal weight,
/// protobuf, then OpenMetrics, then text; text when nothing acceptable is named (Prometheus's
/// own clients answer so rather than with 406).
pub(crate) fn negotiate(accept: &str) -> Format {
    let mut best: Option<((f64, u8, u8), Format)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0;
        let mut params_fit = true;
        for param in parts {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => q = value.parse::<f64>().unwrap_or(0.0).clamp(0.0, 1.0),
                "proto" => params_fit &= value == "io.prometheus.client.MetricFamily",
                "encoding" => params_fit &= value == "delimited",
                _ => {}
            }
        }
        // (format, named rather than matched by a wildcard)
        let (format, named) = match media.as_str() {
            "application/vnd.google.protobuf" if params_fit => (Format::Protobuf, true),
            "application/openmetrics-text" => (Format::OpenMetrics, true),
            "text/plain" => (Format::Text, true),
            "text/*" | "*/*" => (Format::Text, false),
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        let preference = match format {
            Format::Protobuf => 2,
            Format::OpenMetrics => 1,
            Format::Text => 0,
        };
        let rank = (q, u8::from(named), preference);
        if best.is_none_or(|(r, _)| rank.partial_cmp(&r) == Some(std::cmp::Ordering::Greater)) {
            best = Some((rank, format));
        }
    }
    best.map_or(Format::Text, |(_, format)| format)
}

/// The exposition in `format`.
fn respond(store: &Store, format: Format) -> Response<Full<Bytes>> {
    let (body, content_type) = match format {
        Format::OpenMetrics => (
            exposition::render_openmetrics(&store.families()).into_bytes(),
            exposition::OPENMETRICS,
        ),
        Format::Protobuf => (protobuf::render(&store.families()), protobuf::CONTENT_TYPE),
        Format::Text => {
            let mut body = store.handle.render();
            write_histograms(&mut body, &store.service, &bridge::call_histograms());
            (body.into_bytes(), TEXT_FORMAT)
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Writes `histograms` in Prometheus's text format, each family once with its HELP and TYPE,
/// `service` first as on the recorder's series.
fn write_histograms(out: &mut String, service: &str, histograms: &[CallHistogram]) {
    let families = [
        (names::FUNCTION_CALLS_DURATION_SECONDS, bridge::FUNCTION_DURATION_HELP),
        (names::OPERATION_DURATION_SECONDS, bridge::OPERATION_DURATION_HELP),
    ];
    for (family, help) in families {
        let mut members = histograms.iter().filter(|h| h.name == family).peekable();
        if members.peek().is_none() {
            continue;
        }
        let _ = writeln!(out, "# HELP {family} {help}");
        let _ = writeln!(out, "# TYPE {family} histogram");
        for histogram in members {
            let mut labels = String::new();
            for (key, value) in [&("service", service)].into_iter().chain(&histogram.labels) {
                // Scrubbed and escaped as the recorder's series are, so that they match.
                let value = Scrubbed::text(value);
                let _ = write!(labels, "{key}=\"{}\",", sanitize_label_value(value.as_str()));
            }
            let mut cumulative = 0;
            for (i, count) in histogram.buckets.iter().enumerate() {
                cumulative += count;
                let le: &dyn std::fmt::Display = match DURATION_BUCKETS.get(i) {
                    Some(bound) => bound,
                    None => &"+Inf",
                };
                let _ = writeln!(out, "{family}_bucket{{{labels}le=\"{le}\"}} {cumulative}");
            }
            let labels = labels.trim_end_matches(',');
            let _ = writeln!(out, "{family}_sum{{{labels}}} {}", histogram.sum_seconds);
            let _ = writeln!(out, "{family}_count{{{labels}}} {cumulative}");
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_header_chooses_the_format() {
        let prometheus_native = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
        let prometheus_exemplars = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        for (accept, format) in [
            ("", Format::Text),
            ("*/*", Format::Text),
            ("text/plain", Format::Text),
            (prometheus_native, Format::Protobuf),
            (prometheus_exemplars, Format::OpenMetrics),
            ("application/openmetrics-text", Format::OpenMetrics),
            ("application/openmetrics-text;q=0.1, text/plain", Format::Text),
            ("application/openmetrics-text, */*", Format::OpenMetrics),
            ("application/openmetrics-text;q=0", Format::Text),
            (
                "application/vnd.google.protobuf;proto=other.Message;encoding=delimited",
                Format::Text,
            ),
            (
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
                Format::Text,
            ),
            ("APPLICATION/OpenMetrics-Text; Q=0.9", Format::OpenMetrics),
            ("image/png", Format::Text),
        ] {
            assert_eq!(negotiate(accept), format, "{accept}");
        }
    }

    #[test]
    fn histograms_are_cumulative_with_sum_count_and_escaped_labels() {
        let mut buckets = [0; DURATION_BUCKETS.len() + 1];
        buckets[0] = 2;
        buckets[3] = 1;
        buckets[DURATION_BUCKETS.len()] = 1;
        let histograms = [CallHistogram {
            name: names::FUNCTION_CALLS_DURATION_SECONDS,
            labels: vec![("function", "f\"1"), ("module", "m")],
            buckets,
            native: Default::default(),
            sum_seconds: 20.5,
            exemplars: vec![None; DURATION_BUCKETS.len() + 1],
            created: std::time::SystemTime::UNIX_EPOCH,
        }];
        let mut out = String::new();
        write_histograms(&mut out, "shop", &histograms);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "# HELP function_calls_duration_seconds Latency of calls of an observed function"
        );
        assert_eq!(lines[1], "# TYPE function_calls_duration_seconds histogram");
        let labels = r#"service="shop",function="f\"1",module="m""#;
        assert_eq!(
            lines[2],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"0.000001\"}} 2")
        );
        assert_eq!(
            lines[4],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"0.000005\"}} 2")
        );
        assert_eq!(
            lines[5],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"0.00001\"}} 3")
        );
        assert_eq!(
            lines[26],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"10\"}} 3")
        );
        assert_eq!(
            lines[27],
            format!("function_calls_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 4")
        );
        assert_eq!(lines[28], format!("function_calls_duration_seconds_sum{{{labels}}} 20.5"));
        assert_eq!(lines[29], format!("function_calls_duration_seconds_count{{{labels}}} 4"));
        assert!(!out.contains("operation_duration"), "no empty family: {out}");
    }
}
