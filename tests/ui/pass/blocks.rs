//! `#[observe]` on `impl` blocks (inherent, of a trait, generic) and on a trait's default
//! bodies, with every kind of item left in them: the expansion compiles without a warning.
#![deny(warnings)]

use std::fmt::Debug;

#[derive(Debug)]
pub struct Wrapper<T>(T);

#[obs::observe(err, ret)]
impl<T: Debug + Clone> Wrapper<T> {
    pub const NAME: &'static str = "wrapper";

    pub fn new(value: T) -> Self {
        Wrapper(value)
    }

    pub fn get(&self) -> T {
        self.0.clone()
    }

    pub fn check(&self, ok: bool) -> Result<(), String> {
        if ok { Ok(()) } else { Err(format!("{:?}", self.0)) }
    }

    pub fn touch(&mut self) {}

    #[obs::observe(skip)]
    pub fn raw(&self) -> &T {
        &self.0
    }

    #[obs::observe(level = debug, skip_all)]
    pub async fn later(self) -> T {
        self.0
    }

    pub const fn answer() -> u32 {
        42
    }
}

pub trait Store {
    type Key;
    const CAPACITY: usize;

    fn key(&self) -> Self::Key;

    fn capacity(&self) -> usize {
        Self::CAPACITY
    }
}

#[obs::observe]
impl Store for Wrapper<u32> {
    type Key = u32;
    const CAPACITY: usize = 8;

    fn key(&self) -> u32 {
        self.0
    }
}

#[obs::observe(level = "debug")]
trait Named {
    fn name(&self) -> String;

    fn greeting(&self) -> String {
        format!("hello {}", self.name())
    }

    async fn greeting_later(&self) -> String {
        self.greeting()
    }
}

impl Named for Wrapper<u32> {
    fn name(&self) -> String {
        self.0.to_string()
    }
}

fn main() {
    let mut w = Wrapper::new(3u32);
    assert_eq!(w.get(), 3);
    assert!(w.check(false).is_err());
    w.touch();
    assert_eq!((*w.raw(), w.key(), w.capacity()), (3, 3, 8));
    assert_eq!(w.greeting(), "hello 3");
    assert_eq!((Wrapper::<u32>::answer(), Wrapper::<u32>::NAME), (42, "wrapper"));
    drop(w.greeting_later());
    drop(w.later());
}
