//! `ret` on a function that returns a PII type.
#[derive(Debug)]
struct Email(String);
impl obs::Pii for Email {}

#[obs::observe(ret)]
fn lookup(id: u64) -> Email {
    Email(format!("user{id}@example.com"))
}

fn main() {}
