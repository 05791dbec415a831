//! Trace files with planted causes, for `obs why` and the report: OTLP-JSON lines as obs
//! writes them, one request per span (so that spans can be split across files by service).
#![allow(dead_code)]

/// One span of a generated trace.
pub struct Span {
    pub trace: u128,
    pub id: u64,
    pub parent: Option<u64>,
    pub service: &'static str,
    pub name: &'static str,
    pub start_ms: f64,
    pub end_ms: f64,
    pub attributes: Vec<(&'static str, String)>,
    pub error: Option<String>,
}

impl Span {
    /// The span as one OTLP-JSON `ExportTraceServiceRequest` line.
    pub fn line(&self) -> String {
        let parent =
            self.parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p:016x}","#));
        let attributes: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| match v.parse::<i64>() {
                Ok(n) => format!(r#"{{"key":"{k}","value":{{"intValue":"{n}"}}}}"#),
                Err(_) => format!(r#"{{"key":"{k}","value":{{"stringValue":"{v}"}}}}"#),
            })
            .collect();
        let status = match &self.error {
            Some(message) => format!(r#"{{"code":2,"message":"{message}"}}"#),
            None => "{}".to_owned(),
        };
        let ns = |ms: f64| (1_764_000_000_000_000_000u64 as f64 + ms * 1e6) as u64;
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{}"}}}}]}},"scopeSpans":[{{"scope":{{"name":"obs"}},"spans":[{{"traceId":"{:032x}","spanId":"{:016x}",{parent}"name":"{}","kind":1,"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":[{}],"status":{status}}}]}}]}}]}}"#,
            self.service,
            self.trace,
            self.id,
            self.name,
            ns(self.start_ms),
            ns(self.end_ms),
            attributes.join(",")
        )
    }
}

/// `GET /orders/{id}/history` traces: the API handler calls the database's history query, then
/// renders. Traces on shard 7 are slow in the query (the planted cause); `region` and `cache`
/// are noise, spread evenly over fast and slow traces.
pub fn slow_history(traces: u32, seed: u64) -> Vec<Span> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut spans = Vec::new();
    for i in 0..traces {
        let trace = (u128::from(seed) << 40) | (u128::from(i) + 1);
        let at = f64::from(i) * 1_000.0;
        let shard = rng.u32(1..=8);
        let query = if shard == 7 { 280.0 + rng.f64() * 60.0 } else { 4.0 + rng.f64() * 4.0 };
        let render = 1.0 + rng.f64() * 9.0;
        let region = ["eu", "us", "ap"][rng.usize(..3)].to_owned();
        let cache = rng.bool().to_string();
        let end = at + 2.0 + query + 1.0 + render + 1.0;
        spans.push(Span {
            trace,
            id: 1,
            parent: None,
            service: "api",
            name: "GET /orders/{id}/history",
            start_ms: at,
            end_ms: end,
            attributes: vec![("region", region), ("order.id", format!("{}", 1000 + i))],
            error: None,
        });
        spans.push(Span {
            trace,
            id: 2,
            parent: Some(1),
            service: "db",
            name: "db::history_query",
            start_ms: at + 2.0,
            end_ms: at + 2.0 + query,
            attributes: vec![("db.shard", shard.to_string()), ("cache", cache)],
            error: None,
        });
        spans.push(Span {
            trace,
            id: 3,
            parent: Some(1),
            service: "api",
            name: "api::render",
            start_ms: at + 3.0 + query,
            end_ms: at + 3.0 + query + render,
            attributes: Vec::new(),
            error: None,
        });
    }
    spans
}

/// `POST /checkout` traces: a tenth fail in the payment service when the card network is amex
/// (the planted cause, with varying numbers in the message); a few fail elsewhere (noise).
pub fn failed_checkout(traces: u32, seed: u64) -> Vec<Span> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut spans = Vec::new();
    for i in 0..traces {
        let trace = (u128::from(seed) << 40) | 0x1000_0000 | u128::from(i);
        let at = f64::from(i) * 1_000.0;
        let network =
            if rng.u32(0..10) == 0 { "amex" } else { ["visa", "mastercard"][rng.usize(..2)] };
        let region = ["eu", "us", "ap"][rng.usize(..3)].to_owned();
        let declined = network == "amex";
        let stray = !declined && rng.u32(0..40) == 0;
        spans.push(Span {
            trace,
            id: 1,
            parent: None,
            service: "shop",
            name: "POST /checkout",
            start_ms: at,
            end_ms: at + 40.0,
            attributes: vec![("region", region)],
            error: (declined || stray).then(|| "502".to_owned()),
        });
        spans.push(Span {
            trace,
            id: 2,
            parent: Some(1),
            service: "payments",
            name: "payments::charge",
            start_ms: at + 5.0,
            end_ms: at + 30.0,
            attributes: if declined {
                vec![
                    ("card.network", network.to_owned()),
                    ("error.type", "PaymentDeclined".to_owned()),
                ]
            } else {
                vec![("card.network", network.to_owned())]
            },
            error: declined.then(|| {
                format!("declined: code {} for order {}", rng.u32(1000..9999), 50_000 + i)
            }),
        });
        if stray {
            spans.push(Span {
                trace,
                id: 3,
                parent: Some(1),
                service: "shop",
                name: "shop::inventory",
                start_ms: at + 31.0,
                end_ms: at + 39.0,
                attributes: Vec::new(),
                error: Some("timeout after 8 ms".to_owned()),
            });
        }
    }
    spans
}

/// The lines of `spans`, in order.
pub fn lines(spans: &[Span]) -> String {
    spans.iter().map(|s| s.line() + "\n").collect()
}
