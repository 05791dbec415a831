//! An argument named like personal data (the card family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, card_number: String) -> u64 {
    id + card_number.len() as u64
}

fn main() {}
