//! The handles of the series the recorder registered, by key, so that registering a series
//! again costs one lookup. The HTTP layer registers its series per request, as does a program
//! that writes `metrics::counter!(name, labels)` in a handler; without this, each registration
//! scrubs the labels, takes the cardinality guard's lock and the exporter's registry's.
//!
//! Only a series registered as it was asked for is kept: not one whose labels the scrubber
//! changed (the keys that map to it are unbounded: every distinct email), nor one the guard
//! sent to the overflow series (each such registration is counted). The series kept are thus
//! bounded by the guard's limit per metric.

use metrics::Key;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

/// Shards, so that threads registering different series rarely share a lock.
const SHARDS: usize = 16;

/// Handles of one kind (counters, gauges or histograms), by the key they were registered with.
pub(crate) struct Handles<H> {
    shards: [RwLock<HashMap<Key, H>>; SHARDS],
}

impl<H: Clone> Handles<H> {
    pub(crate) fn new() -> Self {
        Handles { shards: std::array::from_fn(|_| RwLock::new(HashMap::new())) }
    }

    /// The handle registered for `key`, if one was kept.
    pub(crate) fn get(&self, key: &Key) -> Option<H> {
        self.shard(key).read().unwrap_or_else(PoisonError::into_inner).get(key).cloned()
    }

    /// Keeps `handle` as the one of `key`.
    pub(crate) fn keep(&self, key: &Key, handle: &H) {
        self.shard(key)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_insert_with(|| handle.clone());
    }

    fn shard(&self, key: &Key) -> &RwLock<HashMap<Key, H>> {
        // The key's hash is computed once, when the key is made.
        &self.shards[(key.get_hash() % SHARDS as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_handle_is_found_by_an_equal_key_only() {
        let handles = Handles::new();
        let key = |route: &str| {
            Key::from_parts("requests", vec![metrics::Label::new("route", route.to_owned())])
        };
        handles.keep(&key("/a"), &1);
        handles.keep(&key("/a"), &2);
        assert_eq!(handles.get(&key("/a")), Some(1), "the first handle kept stays");
        assert_eq!(handles.get(&key("/b")), None);
        assert_eq!(handles.get(&Key::from_name("requests")), None);
    }
}
