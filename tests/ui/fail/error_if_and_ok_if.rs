fn bad(v: &u32) -> bool {
    *v == 0
}

#[obs::observe(error_if = bad, ok_if = bad)]
fn f() -> u32 {
    1
}

fn main() {}
