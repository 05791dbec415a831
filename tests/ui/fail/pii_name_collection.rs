//! A collection named like personal data: the message is about the name, not the elements.
#[obs::observe]
fn notify(emails: &[String]) -> usize {
    emails.len()
}

fn main() {}
