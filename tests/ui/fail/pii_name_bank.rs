//! An argument named like personal data (the bank family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, iban: String) -> u64 {
    id + iban.len() as u64
}

fn main() {}
