//! `ret(...)` takes a format and a level, nothing else.
#[obs::observe(ret(Json))]
fn total() -> u32 {
    3
}

fn main() {}
