//! What the PII rules accept: skipping, redacting types, and the `not_pii` escape hatch.
#![deny(warnings)]

use obs::{Redact, Secret};

#[derive(Redact)]
pub struct Customer {
    pub id: u64,
    #[redact(partial)]
    pub email: String,
    pub api_token: Secret<String>,
}

#[obs::observe(skip(password))]
pub fn login(user: u64, password: String) -> bool {
    user > 0 && !password.is_empty()
}

#[obs::observe]
pub fn reset(email: Secret<String>, customer: &Customer) -> u64 {
    let _ = email;
    customer.id
}

#[obs::observe(not_pii(email_count, sessions))]
pub fn stats(email_count: usize, sessions: &[u32]) -> usize {
    email_count + sessions.len()
}

#[obs::observe(not_pii(session.length), fields(session.length = 3, card_hint = Secret::new("4242")))]
pub fn visit() {}

#[obs::observe(ret)]
pub fn issue() -> Secret<String> {
    Secret::new("t".into())
}

fn main() {
    let c = Customer { id: 1, email: "a@b.io".into(), api_token: Secret::new("x".into()) };
    let _ = login(1, "pw".into());
    let _ = reset(Secret::new("a@b.io".into()), &c);
    let _ = stats(1, &[]);
    visit();
    let _ = issue();
}
