//! `fields(...)` on a block would be evaluated in every method.
struct Cart {
    id: u32,
}

#[obs::observe(fields(cart = self.id))]
impl Cart {
    fn add(&self) {}
}

fn main() {}
