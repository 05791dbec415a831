//! `#[observe(skip)]` leaves a method out; it takes nothing else.
struct Cart;

#[obs::observe]
impl Cart {
    #[observe(skip, err)]
    fn add(&self) -> Result<(), String> {
        Ok(())
    }
}

fn main() {}
