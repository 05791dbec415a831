//! `err` records its error one way.
#[obs::observe(err(Display, Debug))]
fn pay() -> Result<(), String> {
    Ok(())
}

fn main() {}
