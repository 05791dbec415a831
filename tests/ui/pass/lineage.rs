//! `parent = …` and `follows_from = …` with each kind of value they take, on every function
//! shape: the expansion compiles without a warning.
#![deny(warnings)]

use opentelemetry::trace::SpanContext;

pub struct Message {
    pub headers: Vec<(String, String)>,
}

#[obs::observe(skip_all, follows_from = obs::context::extract_from(message.headers.as_slice()))]
pub fn consume(message: &Message) -> usize {
    message.headers.len()
}

#[obs::observe(skip_all, parent = obs::context::extract_from(message.headers.as_slice()))]
pub async fn continue_trace(message: &Message) -> usize {
    message.headers.len()
}

#[obs::observe(parent = None, err)]
pub fn detached() -> Result<(), String> {
    Ok(())
}

#[obs::observe(skip_all, parent = span, follows_from = vec![a.clone(), b.clone()])]
pub fn both(span: &tracing::Span, a: &SpanContext, b: &SpanContext) {}

#[obs::observe(skip_all, follows_from = contexts)]
pub fn many(contexts: &[SpanContext]) -> usize {
    contexts.len()
}

#[obs::observe(skip_all, follows_from = span)]
pub fn after(span: &tracing::Span) {}

#[obs::observe(parent = obs::context::current_span_context())]
pub fn impl_future() -> impl std::future::Future<Output = u32> {
    async { 1 }
}

fn main() {
    let message = Message { headers: vec![] };
    assert_eq!(consume(&message), 0);
    drop(continue_trace(&message));
    assert!(detached().is_ok());
    let span = tracing::Span::none();
    both(&span, &SpanContext::empty_context(), &SpanContext::empty_context());
    assert_eq!(many(&[]), 0);
    after(&span);
    drop(impl_future());
}
