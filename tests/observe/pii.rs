//! The PII rules of `#[observe]`: what compiles is recorded redacted (the refusals are trybuild
//! cases under `tests/ui/fail/pii_*`).

use crate::support::*;
use obs::{Pii, Redact, Redacted, Secret, observe};

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
            Phone("555".into()),
        );
        stats(3);
        issue(Secret::new(1));
    });
    let login = cap.span("observe::pii::login");
    assert_eq!(login.fields["password"], Value::Debug("[REDACTED]".into()));
    assert_eq!(login.fields["user"], Value::U64(1));

    let update = cap.span("observe::pii::update");
    assert_eq!(
        update.fields["customer"],
        Value::Debug("Customer { id: 9, email: j***@example.com }".into())
    );
    assert_eq!(update.fields["email"], Value::Debug("[REDACTED]".into()));
    assert_eq!(update.fields["phone"], Value::Debug("Phone(***)".into()));

    assert_eq!(cap.span("observe::pii::stats").fields["email_count"], Value::U64(3));

    let issue = cap.span("observe::pii::issue");
    assert_eq!(issue.fields["api_key"], Value::Debug("[REDACTED]".into()));
    assert_eq!(issue.fields["card_hint"], Value::Debug("[REDACTED]".into()));
    assert_eq!(issue.fields["note"], Value::Debug("ok".into()));
    let ret = cap.events().into_iter().find(|e| e.fields.contains_key("return")).unwrap();
    assert_eq!(ret.fields["return"], Value::Debug("[REDACTED]".into()));

    let everything = format!("{:?}{:?}", cap.spans(), cap.events());
    for secret in ["hunter2", "jane@", "555", "sk_live"] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
}
