#[obs::observe]
fn f(x: u32) -> u32 {
    let y = x +;
    y
}

fn main() {
    // The function still exists for its callers.
    let _ = f(1);
}
