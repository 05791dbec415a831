//! The future of an observed `async fn`, `fn -> impl Future` or `#[async_trait]` method.

use super::call::Call;
use crate::hotpath::clock;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

pin_project_lite::pin_project! {
    /// Polls `future` inside the call's span and completes the call with its output. Dropped
    /// before completion, the call records `cancelled`.
    #[doc(hidden)]
    pub struct ObservedFuture<F, C> {
        #[pin]
        future: F,
        call: Call,
        on_complete: Option<C>,
    }
}

impl<F, C> ObservedFuture<F, C>
where
    F: Future,
    C: FnOnce(&Call, &F::Output),
{
    /// Wraps `future`; `on_complete` records the outcome of its output on the call.
    #[inline]
    pub fn new(call: Call, future: F, on_complete: C) -> Self {
        ObservedFuture { future, call, on_complete: Some(on_complete) }
    }
}

impl<F, C> Future for ObservedFuture<F, C>
where
    F: Future,
    C: FnOnce(&Call, &F::Output),
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // obs's own spans: the poll's duration is busy time (two raw clock reads). A `tracing`
        // span's is measured by obs's layer when it is entered and exited.
        let started = this.call.is_native().then(clock::now);
        let output = {
            let _entered = this.call.enter();
            this.future.poll(cx)
        };
        if let Some(started) = started {
            this.call.polled(clock::delta_ns(started, clock::now()));
        }
        let output = ready!(output);
        if let Some(on_complete) = this.on_complete.take() {
            // Inside the span, as for a sync function: the `err` and `ret` events belong to it.
            let _entered = this.call.enter();
            on_complete(this.call, &output);
        }
        Poll::Ready(output)
    }
}
