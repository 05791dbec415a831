#[obs::observe(error)]
fn f() -> Result<(), String> {
    Ok(())
}

fn main() {}
