//! An argument named like personal data (the auth family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, auth_header: String) -> u64 {
    id + auth_header.len() as u64
}

fn main() {}
