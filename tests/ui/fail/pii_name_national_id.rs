//! An argument named like personal data (the national id family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, ssn: String) -> u64 {
    id + ssn.len() as u64
}

fn main() {}
