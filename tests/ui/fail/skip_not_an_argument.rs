#[obs::observe(skip(passwd))]
fn login(user: u32, password: String) -> bool {
    user > 0 && !password.is_empty()
}

fn main() {}
