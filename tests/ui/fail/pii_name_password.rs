//! An argument named like personal data (the password family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, new_password: String) -> u64 {
    id + new_password.len() as u64
}

fn main() {}
