use obs::observe;
use obs::testing::capture;

#[observe(skip(payload))]
fn upload(id: u32, payload: Vec<u8>) -> usize {
    payload.len() + id as usize
}

#[observe(skip_all)]
fn hash(data: &[u8], seed: u64) -> u64 {
    data.len() as u64 + seed
}

#[derive(Debug)]
struct Big;

impl Big {
    #[observe(skip(self))]
    fn work(&self, n: u8) -> u8 {
        n
    }
}

#[test]
fn skipped_arguments_are_not_recorded() {
    let (cap, _) = capture(|| {
        upload(1, vec![0; 4]);
        hash(b"abc", 1);
        Big.work(3);
    });
    let upload = cap.span("observe::skip::upload");
    upload.assert_attribute("id", 1);
    assert!(upload.attribute("payload").is_none(), "{cap}");
    let hash = cap.span("observe::skip::hash");
    assert!(hash.attribute("data").is_none() && hash.attribute("seed").is_none(), "{cap}");
    let work = cap.span("observe::skip::work");
    assert!(work.attribute("self").is_none(), "{cap}");
    work.assert_attribute("n", 3);
}
