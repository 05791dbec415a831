// `#[golden_signals]` already observes the function: `#[observe]` beside it would make two spans
// and count every call twice.
#[obs::golden_signals(operation = "checkout")]
#[obs::observe(err)]
fn checkout() -> Result<(), String> {
    Ok(())
}

#[obs::observe]
#[obs::observe(err)]
fn twice() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = (checkout(), twice());
}
