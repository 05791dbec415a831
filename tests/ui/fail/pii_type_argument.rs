//! A type that declares itself PII, recorded raw: no redacted form.
#[derive(Debug)]
struct Email(String);
impl obs::Pii for Email {}

#[obs::observe]
fn send(to: Email) -> usize {
    to.0.len()
}

fn main() {}
