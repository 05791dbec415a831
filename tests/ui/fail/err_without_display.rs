#[derive(Debug)]
struct Opaque;

#[obs::observe(err)]
fn load() -> Result<u32, Opaque> {
    Err(Opaque)
}

fn main() {}
