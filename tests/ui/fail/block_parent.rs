//! `parent = …` on a block would be evaluated in every method.
struct Consumer;

#[obs::observe(parent = None)]
impl Consumer {
    fn consume(&self) {}
}

fn main() {}
