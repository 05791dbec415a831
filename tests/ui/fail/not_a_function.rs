#[obs::observe]
struct Order {
    id: u32,
}

fn main() {}
