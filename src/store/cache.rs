//! A read cache that is right by construction: every entry is stamped with
//! the store generation read *before* the data was read, and the whole cache
//! is dropped as soon as the generation moves. A write anywhere therefore
//! empties it; reads, which outnumber writes by far (clients poll), are then
//! answered from memory without a trip to SQLite.

use crate::locks::lock;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The memory concord's caches may hold together (`[cache] max_mb`): each
/// cache takes what an entry weighs before keeping it, and gives it back
/// when the entry goes. A cache that finds the budget spent makes room in
/// itself, and keeps nothing when that is not enough (the answer is still
/// served, only not remembered).
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    pub fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            limit,
            used: AtomicUsize::new(0),
        })
    }

    /// Takes `bytes` if they fit in what is left.
    pub fn take(&self, bytes: usize) -> bool {
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let Some(after) = used.checked_add(bytes).filter(|&after| after <= self.limit) else {
                return false;
            };
            match self
                .used
                .compare_exchange_weak(used, after, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return true,
                Err(now) => used = now,
            }
        }
    }

    pub fn give(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// What the caches hold now, in octets.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

pub struct GenerationCache<K, V> {
    state: Mutex<State<K, V>>,
    budget: Arc<Budget>,
}

struct State<K, V> {
    generation: u64,
    entries: HashMap<K, Arc<V>>,
    /// What `entries` weigh, taken from the budget.
    bytes: usize,
}

impl<K, V> State<K, V> {
    fn clear(&mut self, budget: &Budget) {
        self.entries.clear();
        budget.give(std::mem::take(&mut self.bytes));
    }
}

impl<K: Hash + Eq, V> GenerationCache<K, V> {
    /// A cache that holds what `budget` lets it, emptied whenever it would
    /// grow past that: memory stays bounded without bookkeeping on the hit
    /// path.
    pub fn new(budget: Arc<Budget>) -> Self {
        GenerationCache {
            state: Mutex::new(State {
                generation: 0,
                entries: HashMap::new(),
                bytes: 0,
            }),
            budget,
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
            state.clear(&self.budget);
            state.generation = generation;
            return None;
        }
        state.entries.get(key).cloned()
    }

    /// Keeps `value`, which weighs about `weight` octets, read from a
    /// snapshot taken after the store was at generation `read_at`; ignored
    /// if a later write already happened, or if the budget has no room even
    /// once this cache is emptied.
    pub fn insert(&self, read_at: u64, key: K, value: Arc<V>, weight: usize) {
        let mut state = lock(&self.state);
        if read_at < state.generation {
            return;
        }
        if read_at > state.generation {
            state.clear(&self.budget);
            state.generation = read_at;
        }
        if let Some(slot) = state.entries.get_mut(&key) {
            // The same key read twice at one generation: same weight.
            *slot = value;
            return;
        }
        if !self.budget.take(weight) {
            state.clear(&self.budget);
            if !self.budget.take(weight) {
                return;
            }
        }
        state.bytes += weight;
        state.entries.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::{Budget, GenerationCache};
    use std::sync::Arc;

    #[test]
    fn a_new_generation_empties_the_cache() {
        let budget = Budget::new(1000);
        let cache = GenerationCache::new(budget.clone());
        cache.insert(1, "a".to_owned(), Arc::new(1), 10);
        assert_eq!(cache.get(1, "a").as_deref(), Some(&1));
        assert!(cache.get(2, "a").is_none());
        assert_eq!(budget.used(), 0, "emptied, its memory given back");
        // Read before generation 2: stale, not kept.
        cache.insert(1, "a".to_owned(), Arc::new(1), 10);
        assert!(cache.get(2, "a").is_none());
    }

    #[test]
    fn the_cache_never_grows_past_its_budget() {
        let budget = Budget::new(25);
        let cache = GenerationCache::new(budget.clone());
        for (i, key) in ["a", "b", "c"].into_iter().enumerate() {
            cache.insert(5, key.to_owned(), Arc::new(i), 10);
        }
        assert!(cache.get(5, "a").is_none());
        assert_eq!(cache.get(5, "c").as_deref(), Some(&2));
        assert_eq!(budget.used(), 10);
        // Heavier than the whole budget: served by the caller, never kept.
        cache.insert(5, "d".to_owned(), Arc::new(3), 26);
        assert!(cache.get(5, "d").is_none());
        assert!(budget.used() <= 25);
    }

    /// Two caches share one budget: one that finds it spent by the other
    /// keeps nothing rather than exceed it.
    #[test]
    fn caches_share_one_budget() {
        let budget = Budget::new(30);
        let first = GenerationCache::new(budget.clone());
        let second = GenerationCache::new(budget.clone());
        first.insert(1, "a".to_owned(), Arc::new(1), 20);
        second.insert(1, "b".to_owned(), Arc::new(2), 20);
        assert!(second.get(1, "b").is_none());
        assert_eq!(first.get(1, "a").as_deref(), Some(&1));
        assert_eq!(budget.used(), 20);
        second.insert(1, "c".to_owned(), Arc::new(3), 10);
        assert_eq!(second.get(1, "c").as_deref(), Some(&3));
        assert_eq!(budget.used(), 30);
    }
}
