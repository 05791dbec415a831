//! `name` on a block would name every method's span alike.
struct Cart;

#[obs::observe(name = "cart")]
impl Cart {
    fn add(&self) {}
}

fn main() {}
