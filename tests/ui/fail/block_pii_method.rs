//! The PII rules hold for each method of a block, reported at the method's own argument.
struct Mailer;

#[obs::observe]
impl Mailer {
    fn count(&self) -> u32 {
        1
    }

    fn send(&self, user_email: String) -> usize {
        user_email.len()
    }
}

fn main() {}
