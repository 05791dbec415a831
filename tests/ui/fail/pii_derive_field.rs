//! `#[derive(Redact)]`: a field named like personal data, neither redacted nor `#[not_pii]`.
#[derive(obs::Redact)]
struct Customer {
    id: u64,
    email: String,
    #[redact]
    password: String,
}

fn main() {}
