//! Explicit parents and links: what `#[observe(parent = …)]` and `#[observe(follows_from = …)]`
//! take. Without them a span's parent is the innermost traced span of its thread, or the remote
//! parent of an incoming request. A queue consumer gives its span the producer's context as a
//! link (`follows_from`, usually) or as its parent, from the `traceparent` the message carried
//! ([`crate::context::extract_from`]).
//!
//! A `tracing::Span` given as a parent is one of this process's spans: the new span joins its
//! trace as it would by nesting. A span context (from a message, or another process) starts the
//! local part of its trace, as an incoming request does.

use super::local_trace::{LiveSpan, Parent};
use super::pipeline::Pipeline;
use opentelemetry::trace::{Link, SpanContext};
use tracing::span::Id;

/// The parent a span is given.
#[doc(hidden)]
pub enum Explicit {
    /// None: a new trace.
    Root,
    /// A span of another process, or of a message.
    Remote(SpanContext),
    /// A `tracing` span of this process.
    Local(Id),
}

impl Explicit {
    /// The span's parent on obs's own span path.
    pub(crate) fn parent(&self, pipeline: &Pipeline) -> Parent {
        match self {
            Explicit::Root => pipeline.root_from(None),
            Explicit::Remote(context) => pipeline.root_from(Some(context.clone())),
            Explicit::Local(id) => super::registry::with_nearest(id, LiveSpan::as_parent)
                .unwrap_or_else(|| pipeline.root_from(None)),
        }
    }

    /// The `parent:` of a `tracing` span: the local span, or none (a root, which takes a remote
    /// parent set with [`Explicit::run`]).
    #[doc(hidden)]
    pub fn tracing_parent(&self) -> Option<Id> {
        match self {
            Explicit::Local(id) => Some(id.clone()),
            Explicit::Root | Explicit::Remote(_) => None,
        }
    }

    /// Runs `make` (which creates a root `tracing` span) with the remote parent set.
    #[doc(hidden)]
    pub fn run<R>(&self, make: impl FnOnce() -> R) -> R {
        match self {
            Explicit::Remote(context) => super::current::with_remote_parent(context, make),
            Explicit::Root | Explicit::Local(_) => make(),
        }
    }
}

/// What `#[observe(parent = …)]` takes: a span context (a message's, from
/// [`extract_from`](crate::context::extract_from), which is an `Option`), a `tracing::Span` of
/// this process, or `None` for a new trace.
#[diagnostic::on_unimplemented(
    message = "`parent = …` takes a span context, a `tracing::Span`, or `None` for a new trace, not `{Self}`",
    label = "not a parent",
    note = "a message's context comes from `obs::context::extract_from(&headers)`, the current one from `obs::context::current_span_context()`"
)]
pub trait IntoParent {
    #[doc(hidden)]
    fn into_parent(self) -> Explicit;
}

impl IntoParent for SpanContext {
    fn into_parent(self) -> Explicit {
        if self.is_valid() { Explicit::Remote(self) } else { Explicit::Root }
    }
}

impl IntoParent for &SpanContext {
    fn into_parent(self) -> Explicit {
        self.clone().into_parent()
    }
}

impl IntoParent for &tracing::Span {
    fn into_parent(self) -> Explicit {
        self.id().map_or(Explicit::Root, Explicit::Local)
    }
}

impl IntoParent for tracing::Span {
    fn into_parent(self) -> Explicit {
        (&self).into_parent()
    }
}

/// `None` is a new trace. (One `Option` impl, so that a bare `None` needs no annotation.)
impl IntoParent for Option<SpanContext> {
    fn into_parent(self) -> Explicit {
        self.map_or(Explicit::Root, IntoParent::into_parent)
    }
}

/// What `#[observe(follows_from = …)]` takes: a span context or a `tracing::Span`, an `Option`
/// of one, or several (a `Vec`, an array, a slice).
#[diagnostic::on_unimplemented(
    message = "`follows_from = …` takes span contexts or `tracing::Span`s (one, an `Option`, or several), not `{Self}`",
    label = "not a span to link to",
    note = "a message's context comes from `obs::context::extract_from(&headers)`"
)]
pub trait IntoLinks {
    #[doc(hidden)]
    fn into_links(self, into: &mut Vec<SpanContext>);
}

impl IntoLinks for SpanContext {
    fn into_links(self, into: &mut Vec<SpanContext>) {
        if self.is_valid() {
            into.push(self);
        }
    }
}

impl IntoLinks for &SpanContext {
    fn into_links(self, into: &mut Vec<SpanContext>) {
        self.clone().into_links(into);
    }
}

impl IntoLinks for &tracing::Span {
    fn into_links(self, into: &mut Vec<SpanContext>) {
        let context =
            self.id().and_then(|id| super::registry::with_nearest(&id, LiveSpan::span_context));
        if let Some(context) = context {
            context.into_links(into);
        }
    }
}

impl<T: IntoLinks> IntoLinks for Option<T> {
    fn into_links(self, into: &mut Vec<SpanContext>) {
        if let Some(links) = self {
            links.into_links(into);
        }
    }
}

impl<T: IntoLinks> IntoLinks for Vec<T> {
    fn into_links(self, into: &mut Vec<SpanContext>) {
        self.into_iter().for_each(|l| l.into_links(into));
    }
}

impl<T: IntoLinks, const N: usize> IntoLinks for [T; N] {
    fn into_links(self, into: &mut Vec<SpanContext>) {
        self.into_iter().for_each(|l| l.into_links(into));
    }
}

impl<'a, T> IntoLinks for &'a [T]
where
    &'a T: IntoLinks,
{
    fn into_links(self, into: &mut Vec<SpanContext>) {
        self.iter().for_each(|l| l.into_links(into));
    }
}

impl<'a, T> IntoLinks for &'a Vec<T>
where
    &'a T: IntoLinks,
{
    fn into_links(self, into: &mut Vec<SpanContext>) {
        self.as_slice().into_links(into);
    }
}

/// The parent `parent = …` names (spanned at the expression by the generated code).
#[doc(hidden)]
#[inline]
pub fn parent_of(parent: impl IntoParent) -> Explicit {
    parent.into_parent()
}

/// The links `follows_from = …` names.
#[doc(hidden)]
#[inline]
pub fn links_of(links: impl IntoLinks) -> Vec<Link> {
    let mut contexts = Vec::new();
    links.into_links(&mut contexts);
    contexts.into_iter().map(Link::with_context).collect()
}
