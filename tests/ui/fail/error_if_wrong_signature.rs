fn is_zero(v: u32) -> bool {
    v == 0
}

#[obs::observe(error_if = is_zero)]
fn count() -> u32 {
    0
}

fn main() {}
