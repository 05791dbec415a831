//! The expansion names everything by absolute path: it compiles without the prelude.
#![no_implicit_prelude]

extern crate obs;
extern crate std;

#[obs::observe(err, ret, fields(n2 = n))]
fn parse(s: &str, n: u32) -> std::result::Result<u32, std::num::ParseIntError> {
    s.parse::<u32>()
}

#[obs::observe]
async fn later(n: u32) -> u32 {
    n
}

#[obs::observe]
fn future(n: u32) -> impl std::future::Future<Output = u32> {
    async move { n }
}

fn main() {
    let _ = parse("1", 2);
    let _ = later(1);
    let _ = future(1);
}
