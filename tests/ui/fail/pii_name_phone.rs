//! An argument named like personal data (the phone family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, phone: String) -> u64 {
    id + phone.len() as u64
}

fn main() {}
