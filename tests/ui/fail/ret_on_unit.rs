#[obs::observe(ret)]
fn save(x: u32) {
    let _ = x;
}

fn main() {}
