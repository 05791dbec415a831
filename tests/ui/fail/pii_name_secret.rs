//! An argument named like personal data (the secret family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, client_secret: String) -> u64 {
    id + client_secret.len() as u64
}

fn main() {}
