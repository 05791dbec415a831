//! A `fields(...)` key named like personal data, holding a plain string.
#[obs::observe(fields(customer_email = dest.to_owned()))]
fn ship(order: u64, dest: &str) -> u64 {
    order
}

fn main() {}
