//! An unknown redaction mode.
#[derive(obs::Redact)]
struct Card {
    #[redact(last4)]
    number: String,
}

fn main() {}
