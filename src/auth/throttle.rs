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
use crate::rate::Recent;
use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

/// Counts older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
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
            sources: Mutex::new(Recent::new(FORGET_AFTER)),
            logins: Mutex::new(Recent::new(FORGET_AFTER)),
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
