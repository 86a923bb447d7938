//! A read cache that is right by construction: every entry is stamped with
//! the store generation read *before* the data was read, and the whole cache
//! is dropped as soon as the generation moves. A write anywhere therefore
//! empties it; reads, which outnumber writes by far (clients poll), are then
//! answered from memory without a trip to SQLite.

use crate::locks::lock;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub struct GenerationCache<K, V> {
    state: Mutex<State<K, V>>,
    max_entries: usize,
}

struct State<K, V> {
    generation: u64,
    entries: HashMap<K, Arc<V>>,
}

impl<K: Hash + Eq, V> GenerationCache<K, V> {
    /// A cache emptied whenever it would grow past `max_entries`, which
    /// bounds its memory without bookkeeping on the hit path.
    pub fn new(max_entries: usize) -> Self {
        GenerationCache {
            state: Mutex::new(State {
                generation: 0,
                entries: HashMap::new(),
            }),
            max_entries,
        }
    }

    /// The entry for `key` if it was read at `generation` (the store's
    /// current one).
    pub fn get<Q>(&self, generation: u64, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut state = lock(&self.state);
        if state.generation != generation {
            state.entries.clear();
            state.generation = generation;
            return None;
        }
        state.entries.get(key).cloned()
    }

    /// Keeps `value`, read from a snapshot taken after the store was at
    /// generation `read_at`; ignored if a later write already happened.
    pub fn insert(&self, read_at: u64, key: K, value: Arc<V>) {
        let mut state = lock(&self.state);
        if read_at < state.generation {
            return;
        }
        if read_at > state.generation || state.entries.len() >= self.max_entries {
            state.entries.clear();
            state.generation = read_at;
        }
        state.entries.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::GenerationCache;
    use std::sync::Arc;

    #[test]
    fn a_new_generation_empties_the_cache() {
        let cache = GenerationCache::new(10);
        cache.insert(1, "a".to_owned(), Arc::new(1));
        assert_eq!(cache.get(1, "a").as_deref(), Some(&1));
        assert!(cache.get(2, "a").is_none());
        // Read before generation 2: stale, not kept.
        cache.insert(1, "a".to_owned(), Arc::new(1));
        assert!(cache.get(2, "a").is_none());
    }

    #[test]
    fn the_cache_never_grows_past_its_bound() {
        let cache = GenerationCache::new(2);
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert(5, key.to_owned(), Arc::new(i));
        }
        assert!(cache.get(5, "a").is_none());
        assert_eq!(cache.get(5, "c").as_deref(), Some(&2));
    }
}
