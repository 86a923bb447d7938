//! Limits on password guessing, so that argon2 time (the scarce resource)
//! goes to clients that know their password:
//!
//! - attempts are counted per source address and per login, in bounded
//!   maps that forget the least recently touched entries (never all at
//!   once: spraying other names cannot reset a victim's count);
//! - an attempt counts before its verification and is given back if the
//!   password verifies, so a burst of parallel guesses is counted whole;
//! - one verification at a time per login and source;
//! - a source past the threshold (or, with failures of its own, trying a
//!   login that others hammer) is *suspect*: it is verified only while a
//!   global budget of failing verifications lasts, one at a time, else
//!   refused at once; its failures are answered slowly;
//! - a source without failures is never slowed down, whatever happens to
//!   the login it uses: the owner of a hammered account logs in at once.

use crate::locks::lock;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

/// Counts older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Entries per generation of a [`Recent`] map (two generations are kept).
const GENERATION: usize = 10_000;
/// Longest delay of a failure's answer.
const MAX_DELAY_SECONDS: u32 = 30;

pub struct Throttle {
    threshold: u32,
    /// Logins are kept as keyed hashes: an attacker's long names take no
    /// memory, and the key is secret so collisions cannot be aimed.
    hasher: RandomState,
    sources: Mutex<Recent<IpAddr>>,
    logins: Mutex<Recent<u64>>,
    budget: Mutex<Bucket>,
    in_flight: Mutex<HashSet<(u64, IpAddr)>>,
    released: Notify,
    /// Suspect verifications run one at a time, so that they never hold
    /// more than one of the verification slots real users need.
    suspect_turn: Semaphore,
}

/// One attempt, counted in both maps until it succeeds.
pub struct Attempt {
    login: u64,
    source: IpAddr,
    pub suspect: bool,
    /// How long to wait before answering if the password is wrong.
    pub delay_on_failure: Duration,
}

/// The right to verify a login from a source; others wait for it.
pub struct Turn<'a> {
    throttle: &'a Throttle,
    key: (u64, IpAddr),
}

impl Throttle {
    pub fn new(threshold: u32, failures_per_minute: u32) -> Throttle {
        Throttle {
            threshold,
            hasher: RandomState::new(),
            sources: Mutex::new(Recent::default()),
            logins: Mutex::new(Recent::default()),
            budget: Mutex::new(Bucket::new(failures_per_minute)),
            in_flight: Mutex::new(HashSet::new()),
            released: Notify::new(),
            suspect_turn: Semaphore::new(1),
        }
    }

    pub fn login_key(&self, login: &str) -> u64 {
        self.hasher.hash_one(login)
    }

    fn source_is_suspect(&self, source: IpAddr) -> bool {
        lock(&self.sources).count(&source, Instant::now()) >= self.threshold
    }

    /// Waits until no other verification of `login` from `source` is in
    /// flight; a suspect source does not wait but is refused (None).
    pub async fn turn(&self, login: u64, source: IpAddr) -> Option<Turn<'_>> {
        let key = (login, source);
        loop {
            let released = self.released.notified();
            let mut released = std::pin::pin!(released);
            // Registered before looking, so that a release in between is
            // not missed.
            released.as_mut().enable();
            if lock(&self.in_flight).insert(key) {
                return Some(Turn {
                    throttle: self,
                    key,
                });
            }
            if self.source_is_suspect(source) {
                return None;
            }
            released.await;
        }
    }

    /// Counts an attempt before verifying it.
    pub fn attempt(&self, login: u64, source: IpAddr) -> Attempt {
        let now = Instant::now();
        let from_source = lock(&self.sources).add(source, now);
        let on_login = lock(&self.logins).add(login, now);
        let suspect =
            from_source >= self.threshold || (on_login >= self.threshold && from_source > 0);
        let past = (from_source + 1).saturating_sub(self.threshold);
        Attempt {
            login,
            source,
            suspect,
            delay_on_failure: Duration::from_secs(u64::from(past.min(MAX_DELAY_SECONDS))),
        }
    }

    /// A suspect attempt takes from the budget of failing verifications;
    /// false when it is spent.
    pub fn take_budget(&self) -> bool {
        lock(&self.budget).take(Instant::now())
    }

    pub async fn suspect_turn(&self) -> Option<SemaphorePermit<'_>> {
        self.suspect_turn.acquire().await.ok()
    }

    /// The password verified (or could not be checked): the attempt is no
    /// failure. Other failures of the source and login stay counted.
    pub fn not_failed(&self, attempt: &Attempt) {
        lock(&self.sources).give_back(&attempt.source);
        lock(&self.logins).give_back(&attempt.login);
        if attempt.suspect {
            lock(&self.budget).give_back();
        }
    }

    /// The password was wrong: a verification that was not suspect is
    /// taken from the budget after the fact.
    pub fn failed(&self, attempt: &Attempt) {
        if !attempt.suspect {
            lock(&self.budget).spend(Instant::now());
        }
    }

    #[cfg(test)]
    pub fn attempts_from(&self, source: IpAddr) -> u32 {
        lock(&self.sources).count(&source, Instant::now())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        lock(&self.throttle.in_flight).remove(&self.key);
        self.throttle.released.notify_waiters();
    }
}

#[derive(Clone, Copy)]
struct Count {
    n: u32,
    last: Instant,
}

/// Counts in two generations: new and touched entries go to the current
/// one; when it is full, the previous one (entries nobody touched during a
/// whole generation) is dropped. Bounded at twice [`GENERATION`] entries,
/// and an entry in use is never forgotten however many others come.
struct Recent<K> {
    current: HashMap<K, Count>,
    previous: HashMap<K, Count>,
}

impl<K> Default for Recent<K> {
    fn default() -> Self {
        Recent {
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Copy> Recent<K> {
    /// The entry, moved to the current generation; None when absent or
    /// forgotten.
    fn touch(&mut self, key: &K, now: Instant) -> Option<&mut Count> {
        if !self.current.contains_key(key) {
            let moved = self.previous.remove(key)?;
            self.insert(*key, moved);
        }
        let count = self.current.get_mut(key)?;
        if now.duration_since(count.last) > FORGET_AFTER {
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

    fn count(&mut self, key: &K, now: Instant) -> u32 {
        self.touch(key, now).map_or(0, |count| count.n)
    }

    /// Adds one; returns the count before.
    fn add(&mut self, key: K, now: Instant) -> u32 {
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

    fn give_back(&mut self, key: &K) {
        for map in [&mut self.current, &mut self.previous] {
            if let Some(count) = map.get_mut(key) {
                count.n = count.n.saturating_sub(1);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// A token bucket of failing verifications: refilled at the configured
/// rate, holding at most a minute's worth.
struct Bucket {
    tokens: f64,
    per_second: f64,
    capacity: f64,
    updated: Instant,
}

impl Bucket {
    fn new(per_minute: u32) -> Bucket {
        let capacity = f64::from(per_minute.max(1));
        Bucket {
            tokens: capacity,
            per_second: capacity / 60.0,
            capacity,
            updated: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        self.updated = now;
    }

    fn take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn spend(&mut self, now: Instant) {
        self.refill(now);
        self.tokens = (self.tokens - 1.0).max(0.0);
    }

    fn give_back(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spraying_names_does_not_forget_a_login_in_use() {
        let mut recent = Recent::default();
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
    fn counts_are_forgotten_after_a_while() {
        let mut recent = Recent::default();
        let then = Instant::now();
        recent.add(1u64, then);
        assert_eq!(recent.count(&1, then + Duration::from_secs(60)), 1);
        assert_eq!(recent.count(&1, then + FORGET_AFTER * 2), 0);
    }

    #[test]
    fn the_budget_refills_at_its_rate() {
        let mut bucket = Bucket::new(60);
        let now = Instant::now();
        for _ in 0..60 {
            assert!(bucket.take(now));
        }
        assert!(!bucket.take(now));
        assert!(bucket.take(now + Duration::from_secs(1)));
        assert!(!bucket.take(now + Duration::from_secs(1)));
    }
}
