//! Counting what clients do, in memory and bounded: the password-guessing
//! limits (`auth::throttle`) and the limits on forms anyone may send
//! (registrations, password resets).
//!
//! Counts live in two generations of a map, so that an attacker who
//! sprays keys pushes out only entries nobody touched for a whole
//! generation, never one in use; a count is forgotten after a quiet
//! period (no attempt at all for that long).

use crate::locks::lock;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries per generation of a [`Recent`] map (two generations are kept).
pub const GENERATION: usize = 10_000;

#[derive(Clone, Copy)]
pub struct Count {
    pub n: u32,
    pub last: Instant,
}

/// Counts in two generations: new and touched entries go to the current
/// one; when it is full, the previous one (entries nobody touched during a
/// whole generation) is dropped. Bounded at twice [`GENERATION`] entries,
/// and an entry in use is never forgotten however many others come.
pub struct Recent<K> {
    current: HashMap<K, Count>,
    previous: HashMap<K, Count>,
    /// A count untouched for this long starts again from zero.
    forget_after: Duration,
}

impl<K: Hash + Eq + Copy> Recent<K> {
    pub fn new(forget_after: Duration) -> Recent<K> {
        Recent {
            current: HashMap::new(),
            previous: HashMap::new(),
            forget_after,
        }
    }

    /// The entry, moved to the current generation; None when absent or
    /// forgotten.
    fn touch(&mut self, key: &K, now: Instant) -> Option<&mut Count> {
        if !self.current.contains_key(key) {
            let moved = self.previous.remove(key)?;
            self.insert(*key, moved);
        }
        let forget_after = self.forget_after;
        let count = self.current.get_mut(key)?;
        if now.duration_since(count.last) > forget_after {
            count.n = 0;
        }
        Some(count)
    }

    fn insert(&mut self, key: K, count: Count) {
        if self.current.len() >= GENERATION {
            self.previous = std::mem::take(&mut self.current);
        }
        self.current.insert(key, count);
    }

    pub fn count(&mut self, key: &K, now: Instant) -> u32 {
        self.touch(key, now).map_or(0, |count| count.n)
    }

    /// Adds one; returns the count before.
    pub fn add(&mut self, key: K, now: Instant) -> u32 {
        match self.touch(&key, now) {
            Some(count) => {
                let before = count.n;
                count.n = count.n.saturating_add(1);
                count.last = now;
                before
            }
            None => {
                self.insert(key, Count { n: 1, last: now });
                0
            }
        }
    }

    pub fn give_back(&mut self, key: &K) {
        for map in [&mut self.current, &mut self.previous] {
            if let Some(count) = map.get_mut(key) {
                count.n = count.n.saturating_sub(1);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// At most `max` actions per key within a quiet period: the count of a
/// key goes back to zero only after `period` without any attempt, so a
/// client that keeps trying stays refused.
pub struct RateLimit {
    max: u32,
    /// Keys are kept as keyed hashes: long keys take no memory, and the
    /// key is secret so collisions cannot be aimed.
    hasher: RandomState,
    counts: Mutex<Recent<u64>>,
}

impl RateLimit {
    pub fn new(max: u32, period: Duration) -> RateLimit {
        RateLimit {
            max,
            hasher: RandomState::new(),
            counts: Mutex::new(Recent::new(period)),
        }
    }

    /// Counts one attempt under `key`; false when the key already made
    /// `max` of them (the attempt is refused, and still counted).
    pub fn allow(&self, key: impl Hash) -> bool {
        let key = self.hasher.hash_one(key);
        lock(&self.counts).add(key, Instant::now()) < self.max
    }

    /// [`RateLimit::allow`] for a client, counted by
    /// [`crate::server::limits::source_key`] (an IPv6 /64 is one client).
    pub fn allow_source(&self, peer: IpAddr) -> bool {
        self.allow(crate::server::limits::source_key(peer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spraying_names_does_not_forget_a_key_in_use() {
        let mut recent = Recent::new(Duration::from_secs(900));
        let now = Instant::now();
        for _ in 0..7 {
            recent.add(u64::MAX, now);
        }
        for name in 0..(5 * GENERATION as u64) {
            recent.add(name, now);
            if name % 1000 == 0 {
                recent.add(u64::MAX, now); // the victim, still hammered
            }
        }
        assert!(recent.len() <= 2 * GENERATION);
        assert!(recent.count(&u64::MAX, now) >= 7);
    }

    #[test]
    fn counts_are_forgotten_after_a_quiet_period() {
        let forget = Duration::from_secs(900);
        let mut recent = Recent::new(forget);
        let then = Instant::now();
        recent.add(1u64, then);
        assert_eq!(recent.count(&1, then + Duration::from_secs(60)), 1);
        assert_eq!(recent.count(&1, then + forget * 2), 0);
    }

    #[test]
    fn a_rate_limit_refuses_past_its_maximum_per_key() {
        let limit = RateLimit::new(2, Duration::from_secs(3600));
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert!(limit.allow_source(a));
        assert!(limit.allow_source(a));
        assert!(!limit.allow_source(a));
        assert!(limit.allow_source(b));
        // One IPv6 /64 is one client.
        let (c, d): (IpAddr, IpAddr) = (
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        );
        assert!(limit.allow_source(c));
        assert!(limit.allow_source(d));
        assert!(!limit.allow_source(c));
    }
}
