//! `not_pii` must name an argument or a field.
#[obs::observe(not_pii(email_cnt))]
fn stats(email_count: usize) -> usize {
    email_count
}

fn main() {}
