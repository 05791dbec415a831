//! The PII rules of `#[observe]`: what compiles is recorded redacted (the refusals are trybuild
//! cases under `tests/ui/fail/pii_*`).

use obs::testing::capture;
use obs::{Pii, Redact, Redacted, Secret, observe};
use opentelemetry::Value;

#[derive(Redact)]
struct Customer {
    id: u64,
    #[redact(partial)]
    email: String,
}

/// A type that declares itself PII and prints itself redacted.
struct Phone(#[allow(dead_code)] String);
impl Pii for Phone {}
impl Redacted for Phone {}
impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Phone(***)")
    }
}

#[observe]
fn login(user: u64, password: Secret<String>) -> bool {
    user > 0 && !password.expose().is_empty()
}

#[observe]
fn update(customer: &Customer, email: Secret<&str>, phone: Phone) -> u64 {
    let _ = (email, phone);
    customer.id
}

#[observe(not_pii(email_count))]
fn stats(email_count: usize) -> usize {
    email_count
}

#[observe(ret, fields(api_key = key, note = %"ok", card_hint = ?Secret::new(4242)))]
fn issue(key: Secret<u32>) -> Secret<String> {
    let _ = key;
    Secret::new("sk_live_1".into())
}

#[test]
fn pii_is_recorded_only_in_its_redacted_form() {
    let (cap, _) = capture(|| {
        login(1, Secret::new("hunter2".into()));
        update(
            &Customer { id: 9, email: "jane@example.com".into() },
            Secret::new("jane@example.com"),
            Phone("tel:555-0199".into()),
        );
        stats(3);
        issue(Secret::new(1));
    });
    let login = cap.span("observe::pii::login");
    login.assert_attribute("password", "[REDACTED]");
    login.assert_attribute("user", 1);

    let update = cap.span("observe::pii::update");
    update.assert_attribute("customer", "Customer { id: 9, email: j***@example.com }");
    update.assert_attribute("email", "[REDACTED]");
    update.assert_attribute("phone", "Phone(***)");

    cap.span("observe::pii::stats").assert_attribute("email_count", 3);

    let issue = cap.span("observe::pii::issue");
    issue.assert_attribute("api_key", "[REDACTED]");
    issue.assert_attribute("card_hint", "[REDACTED]");
    issue.assert_attribute("note", "ok");
    let ret = issue.events().iter().find(|e| e.attribute("return").is_some());
    let ret = ret.unwrap_or_else(|| panic!("no `ret` event: {cap}"));
    assert_eq!(ret.attribute("return"), Some(&Value::from("[REDACTED]")), "{cap}");

    // Not in any span (name, attribute, status, event), log line or metric label. (Each secret
    // holds a letter or a sign: digits alone could turn up in a timestamp or an id.)
    for secret in ["hunter2", "jane@", "tel:555", "sk_live"] {
        cap.assert_nowhere(secret);
    }
}
