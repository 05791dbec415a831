//! An argument named like personal data (the email family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, user_email: String) -> u64 {
    id + user_email.len() as u64
}

fn main() {}
