//! `#[derive(Redact)]` that redacts no field.
#[derive(obs::Redact)]
struct Order {
    id: u64,
    total_cents: u64,
}

fn main() {}
