//! An argument named like personal data (the birth family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, date_of_birth: String) -> u64 {
    id + date_of_birth.len() as u64
}

fn main() {}
