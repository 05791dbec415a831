//! An argument named like personal data (the address family) with a type that prints it raw.
#[obs::observe]
fn handle(id: u64, home_address: String) -> u64 {
    id + home_address.len() as u64
}

fn main() {}
