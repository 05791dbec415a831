//! The PII rules apply to #[golden_signals] as to #[observe].
#[obs::golden_signals]
fn signup(card_number: String) -> usize {
    card_number.len()
}

fn main() {}
