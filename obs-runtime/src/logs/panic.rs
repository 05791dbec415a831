//! A panic hook that logs the panic at ERROR, with its trace context, before unwinding, and
//! marks the trace failed so that the sampler keeps it.

use std::panic::PanicHookInfo;

/// Installs the hook; the previous hook (the default message, or the user's) still runs after.
pub(crate) fn install() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".to_owned());
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        crate::trace::context::mark_trace_failed();
        tracing::error!(target: "panic", { "panic.location" = %location }, "panicked: {message}");
        previous(info);
    }));
}
