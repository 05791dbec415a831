//! An argument named like personal data (the token family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, refresh_token: String) -> u64 {
    id + refresh_token.len() as u64
}

fn main() {}
