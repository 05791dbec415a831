//! `#[derive(Redact)]` on every shape of type, and what it prints.

use obs::{Redact, Redacted, Secret};
use std::collections::HashSet;

#[derive(Redact)]
struct Customer {
    id: u64,
    #[redact(partial)]
    email: String,
    #[redact]
    password: String,
    #[redact(hash)]
    phone: String,
    #[redact(skip)]
    #[allow(dead_code)]
    home_address: String,
    #[not_pii]
    email_count: u32,
}

fn customer() -> Customer {
    Customer {
        id: 7,
        email: "jane.doe@example.com".into(),
        password: "hunter2".into(),
        phone: "+44 20 7946 0000".into(),
        home_address: "1 Main Street".into(),
        email_count: 3,
    }
}

#[test]
fn named_fields_are_masked_by_mode() {
    let shown = format!("{:?}", customer());
    assert!(
        shown.starts_with(
            "Customer { id: 7, email: j***@example.com, password: [REDACTED], phone: hash:"
        ),
        "{shown}"
    );
    assert!(shown.ends_with(", email_count: 3, .. }"), "{shown}");
    for secret in ["jane.doe", "hunter2", "7946", "Main Street"] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
}

#[test]
fn hashes_are_stable_within_the_process_and_distinct_across_values() {
    let hash = |phone: &str| {
        let shown = format!("{:?}", Customer { phone: phone.into(), ..customer() });
        shown.split("phone: ").nth(1).unwrap().split(',').next().unwrap().to_owned()
    };
    assert_eq!(hash("+1 555 0100"), hash("+1 555 0100"));
    assert_ne!(hash("+1 555 0100"), hash("+1 555 0101"));
}

#[derive(Redact)]
struct CardToken(#[redact(partial)] String, u8);

#[derive(Redact)]
#[redact(display)]
enum Payment {
    Card {
        #[redact(partial)]
        number: String,
        expiry: String,
    },
    Iban(#[redact] String),
    Cash,
}

#[derive(Redact)]
struct Wrapper<T, U> {
    #[redact]
    secret: T,
    visible: U,
}

#[test]
fn tuple_structs_enums_and_generics() {
    assert_eq!(
        format!("{:?}", CardToken("4242424242424242".into(), 1)),
        "CardToken(**** **** **** 4242, 1)"
    );
    let card = Payment::Card { number: "5555-5555-5555-4444".into(), expiry: "12/30".into() };
    assert_eq!(format!("{card:?}"), "Card { number: **** **** **** 4444, expiry: \"12/30\" }");
    assert_eq!(format!("{card}"), format!("{card:?}"), "Display on request, redacted alike");
    assert_eq!(format!("{:?}", Payment::Iban("DE89370400440532013000".into())), "Iban([REDACTED])");
    assert_eq!(format!("{:?}", Payment::Cash), "Cash");
    // The secret's type needs no Debug at all.
    struct Opaque;
    assert_eq!(
        format!("{:?}", Wrapper { secret: Opaque, visible: 5 }),
        "Wrapper { secret: [REDACTED], visible: 5 }"
    );
}

fn assert_redacted<T: Redacted + ?Sized>(_: &T) {}

#[test]
fn derived_and_wrapped_types_are_recordable() {
    assert_redacted(&customer());
    assert_redacted(&Secret::new(1));
    assert_redacted(&Some(Secret::new("x")));
    let set: HashSet<Secret<&str>> = [Secret::new("a")].into();
    assert_eq!(format!("{set:?}"), "{[REDACTED]}");
}

#[cfg(feature = "serde")]
#[test]
fn serialize_is_redacted_too() {
    #[derive(Redact)]
    #[redact(serialize)]
    struct Signup {
        name_id: u32,
        #[redact(partial)]
        email: String,
        #[redact(skip)]
        #[allow(dead_code)]
        password: String,
        token: Secret<String>,
    }
    let json = serde_json::to_string(&Signup {
        name_id: 1,
        email: "jo@example.org".into(),
        password: "pw".into(),
        token: Secret::new("sk_live".into()),
    })
    .unwrap();
    assert_eq!(json, r#"{"name_id":1,"email":"j***@example.org","token":"[REDACTED]"}"#);
}
