//! A field cannot be both redacted and declared not PII.
#[derive(obs::Redact)]
struct Stats {
    #[not_pii]
    #[redact]
    email_count: u64,
}

fn main() {}
