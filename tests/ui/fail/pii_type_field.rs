//! A PII type in `fields(...)`, with `?` (Debug) asked for explicitly.
#[derive(Debug)]
struct Email(String);
impl obs::Pii for Email {}

#[obs::observe(skip(to), fields(recipient = ?to))]
fn send(to: Email) -> usize {
    to.0.len()
}

fn main() {}
