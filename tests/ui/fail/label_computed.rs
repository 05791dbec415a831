//! A label value computed per call, from a PII field.
pub struct User {
    pub email: String,
}

#[obs::observe(labels(kind = user.email))]
fn f(user: &User) -> usize {
    user.email.len()
}

fn main() {}
