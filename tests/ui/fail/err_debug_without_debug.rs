//! `err(Debug)` shows the error by `Debug`, which this error type does not have.
struct Declined;

#[obs::observe(err(Debug))]
fn pay() -> Result<(), Declined> {
    Err(Declined)
}

fn main() {}
