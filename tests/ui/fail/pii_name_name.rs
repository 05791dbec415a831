//! An argument named like personal data (the name family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, first_name: String) -> u64 {
    id + first_name.len() as u64
}

fn main() {}
