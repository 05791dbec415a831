#[obs::observe(err)]
fn save() {}

fn main() {}
