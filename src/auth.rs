//! HTTP Basic authentication against argon2id hashes.
//!
//! argon2 is slow on purpose, and a syncing client sends dozens of requests
//! a minute, so a successful verification is cached (keyed by a hash of the
//! password, never the password itself). Accounts and passwords change only
//! through the command-line tools, so the cache is forgotten as soon as
//! another process writes to the database: a new password or a disabled
//! account takes effect within a fraction of a second however long the
//! cache lasts. Failures are counted per source address and per login,
//! and limited so that a password that verifies is never delayed (see
//! `throttle`). A database error is no failure: it is answered 503, and
//! the client tries again.
//!
//! Every attempt that reaches argon2 costs one verification, whether the
//! login exists, is disabled or not: an unknown login is checked against a
//! dummy hash made with the configured parameters, so that the time of an
//! answer does not tell which logins exist.
//!
//! Verifications run at most one per core at a time: each takes tens of
//! milliseconds and 19 MiB, and thirty clients connecting at once would
//! otherwise need 600 MB together and all wait for the slowest.

mod throttle;

use crate::config::AuthSettings;
use crate::locks::lock;
use crate::store::accounts::{self, Principal};
use crate::store::{Store, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Authenticator {
    store: Store,
    settings: AuthSettings,
    cache: Mutex<HashMap<String, CachedLogin>>,
    throttle: throttle::Throttle,
    verifications: tokio::sync::Semaphore,
    /// What unknown logins are verified against, made on first need (under
    /// the same concurrency limit as verifications).
    dummy_hash: Arc<OnceLock<String>>,
    /// argon2 verifications run so far.
    verified: Arc<AtomicU64>,
}

struct CachedLogin {
    secret_digest: [u8; 32],
    principal: Principal,
    until: Instant,
    /// `Store::outside_writes` when verified.
    outside_writes: u64,
}

pub enum AuthOutcome {
    Anonymous,
    Authenticated(Principal),
    Refused,
    /// Too many failed attempts from this source: refused without
    /// verifying (answered 429).
    Throttled,
    /// The accounts could not be read: neither the client's fault nor a
    /// failed attempt (answered 503).
    Unavailable,
}

impl Authenticator {
    pub fn new(store: Store, settings: AuthSettings) -> Authenticator {
        let throttle = throttle::Throttle::new(
            settings.failures_before_delay,
            settings.failed_verifications_per_minute,
        );
        Authenticator {
            store,
            settings,
            cache: Mutex::new(HashMap::new()),
            throttle,
            verifications: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            dummy_hash: Arc::new(OnceLock::new()),
            verified: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Checks an `Authorization` header value, if any, from a client at
    /// `peer`.
    pub async fn check(&self, header: Option<&[u8]>, peer: IpAddr) -> AuthOutcome {
        let Some(header) = header else {
            return AuthOutcome::Anonymous;
        };
        let Some((login, password)) = parse_basic(header) else {
            return AuthOutcome::Refused;
        };
        self.check_credentials(login, password, peer).await
    }

    /// Checks a login and password however they came (Basic header, the
    /// web sign-in form), with the same cache and the same slow-down on
    /// failures.
    pub async fn check_credentials(
        &self,
        login: String,
        password: String,
        peer: IpAddr,
    ) -> AuthOutcome {
        let digest = secret_digest(&login, &password);
        if let Some(principal) = self.cached(&login, &digest) {
            return AuthOutcome::Authenticated(principal);
        }
        let source = crate::server::limits::source_key(peer);
        let login_key = self.throttle.login_key(&login);
        let Some(_turn) = self.throttle.turn(login_key, source).await else {
            return AuthOutcome::Throttled;
        };
        // The verification this one waited for may have been of the same
        // password (a client opening several connections at once).
        if let Some(principal) = self.cached(&login, &digest) {
            return AuthOutcome::Authenticated(principal);
        }
        let attempt = self.throttle.attempt(login_key, source);
        if attempt.suspect && !self.throttle.take_budget() {
            return AuthOutcome::Throttled;
        }
        let suspect_turn = match attempt.suspect {
            true => self.throttle.suspect_turn().await,
            false => None,
        };
        // Read before the account is: a change in between makes the entry
        // stale rather than the other way round.
        let outside_writes = self.store.outside_writes();
        let verified = self.verify(&login, password).await;
        drop(suspect_turn);
        match verified {
            Err(error) => {
                self.throttle.not_failed(&attempt);
                tracing::error!("cannot check the password of {login:?}: {error}");
                AuthOutcome::Unavailable
            }
            Ok(Some(principal)) => {
                self.throttle.not_failed(&attempt);
                let until = Instant::now() + Duration::from_secs(self.settings.cache_seconds);
                lock(&self.cache).insert(
                    login,
                    CachedLogin {
                        secret_digest: digest,
                        principal: principal.clone(),
                        until,
                        outside_writes,
                    },
                );
                AuthOutcome::Authenticated(principal)
            }
            Ok(None) => {
                self.throttle.failed(&attempt);
                // Answered slowly, still holding the turn: this source's
                // next guesses at this login wait, or are refused at once.
                if !attempt.delay_on_failure.is_zero() {
                    tokio::time::sleep(attempt.delay_on_failure).await;
                }
                AuthOutcome::Refused
            }
        }
    }

    /// Forgets a login's cached verification, after this server changed
    /// its password (an activation link): the cache notices only other
    /// processes' writes by itself, and the old password must stop working
    /// at once.
    pub fn forget(&self, login: &str) {
        lock(&self.cache).remove(login);
    }

    fn cached(&self, login: &str, digest: &[u8; 32]) -> Option<Principal> {
        let cache = lock(&self.cache);
        let entry = cache.get(login)?;
        (entry.until > Instant::now()
            && &entry.secret_digest == digest
            && entry.outside_writes == self.store.outside_writes())
        .then(|| entry.principal.clone())
    }

    async fn verify(&self, login: &str, password: String) -> Result<Option<Principal>, StoreError> {
        let login = login.to_owned();
        let found = self
            .store
            .read(move |conn| accounts::credentials(conn, &login))
            .await?;
        let Ok(_turn) = self.verifications.acquire().await else {
            return Ok(None);
        };
        let (dummy_hash, verified) = (self.dummy_hash.clone(), self.verified.clone());
        let settings = self.settings.clone();
        let (found, ok) = tokio::task::spawn_blocking(move || {
            let hash = match &found {
                Some((_, hash)) => hash.as_str(),
                None => dummy_hash.get_or_init(|| {
                    hash_password("no account has this password", &settings).unwrap_or_default()
                }),
            };
            let ok = verify_password(&password, hash);
            verified.fetch_add(1, Ordering::Relaxed);
            (found, ok)
        })
        .await
        .unwrap_or((None, false));
        // A disabled account is refused only after its verification, like
        // an unknown login, for the same reason.
        Ok(found
            .map(|(principal, _)| principal)
            .filter(|principal| ok && !principal.disabled))
    }
}

fn parse_basic(header: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (login, password) = decoded.split_once(':')?;
    Some((login.to_owned(), password.to_owned()))
}

fn secret_digest(login: &str, password: &str) -> [u8; 32] {
    use blake2::{Blake2s256, Digest};
    let mut hasher = Blake2s256::new();
    hasher.update(login.as_bytes());
    hasher.update([0]);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

fn argon2(settings: &AuthSettings) -> Argon2<'static> {
    let params = Params::new(
        settings.argon2_memory_kib,
        settings.argon2_iterations,
        1,
        None,
    )
    .unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str, settings: &AuthSettings) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2(settings)
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// The parameters are read from the stored hash, so changing the settings
/// does not lock out existing accounts.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A readable random password: 20 characters from an alphabet without
/// look-alikes (about 110 bits).
pub fn generate_password() -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    // Bytes past the largest multiple of the alphabet's size are dropped so
    // that every character is equally likely.
    let fair = 256 - 256 % ALPHABET.len();
    let mut password = String::with_capacity(20);
    while password.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
        for b in bytes.iter().map(|b| usize::from(*b)).filter(|b| *b < fair) {
            if password.len() < 20 {
                password.push(ALPHABET[b % ALPHABET.len()] as char);
            }
        }
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::{AuthOutcome, Authenticator};
    use crate::config::AuthSettings;
    use crate::store::{accounts, Store};
    use base64::Engine;
    use std::net::IpAddr;
    use std::sync::atomic::Ordering;
    use std::time::{Duration, Instant};

    const PASSWORD: &str = "correct-horse-battery";
    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const ELSEWHERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7));

    /// An authenticator over a fresh store holding `asso-a` (cheap argon2
    /// parameters), with a runtime shaped like the server's.
    fn fresh() -> (tempfile::TempDir, Authenticator, tokio::runtime::Runtime) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("test.db")).unwrap();
        let settings = AuthSettings {
            argon2_memory_kib: 64,
            argon2_iterations: 1,
            ..AuthSettings::default()
        };
        let hash = super::hash_password(PASSWORD, &settings).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            store
                .write(move |tx| {
                    let new = accounts::NewPrincipal {
                        login: "asso-a",
                        display_name: "Asso A",
                        kind: "association",
                        role: accounts::Role::Organiser,
                        commune: None,
                        password_hash: &hash,
                    };
                    accounts::insert(tx, &new)
                })
                .await
                .unwrap();
        });
        (dir, Authenticator::new(store, settings), runtime)
    }

    fn basic(login: &str, password: &str) -> Vec<u8> {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        format!("Basic {encoded}").into_bytes()
    }

    /// An unknown login costs one argon2 verification like a known one, so
    /// that answer times do not tell which logins exist.
    #[test]
    fn unknown_logins_cost_one_verification_like_known_ones() {
        let (_dir, auth, runtime) = fresh();
        runtime.block_on(async {
            let verified = || auth.verified.load(Ordering::Relaxed);
            let refused = auth.check(Some(&basic("nobody", PASSWORD)), HOME).await;
            assert!(matches!(refused, AuthOutcome::Refused));
            assert_eq!(verified(), 1, "unknown login");
            let refused = auth.check(Some(&basic("asso-a", "wrong")), HOME).await;
            assert!(matches!(refused, AuthOutcome::Refused));
            assert_eq!(verified(), 2, "known login, wrong password");
            let accepted = auth.check(Some(&basic("asso-a", PASSWORD)), HOME).await;
            assert!(matches!(accepted, AuthOutcome::Authenticated(_)));
            assert_eq!(verified(), 3, "known login, right password");
        });
    }

    /// A database error is answered "unavailable", and is not counted as a
    /// failed attempt (which would slow the account's next logins down).
    #[test]
    fn a_database_error_is_no_failed_login() {
        let (_dir, auth, runtime) = fresh();
        runtime.block_on(async {
            auth.store
                .write(|tx| Ok(tx.execute_batch("ALTER TABLE principals RENAME TO gone")?))
                .await
                .unwrap();
            for _ in 0..3 {
                let outcome = auth.check(Some(&basic("asso-a", PASSWORD)), HOME).await;
                assert!(matches!(outcome, AuthOutcome::Unavailable));
            }
            assert_eq!(auth.throttle.attempts_from(HOME), 0);
            assert_eq!(auth.verified.load(Ordering::Relaxed), 0);
        });
    }

    /// Wrong passwords from one address, in parallel, are verified one at a
    /// time, then within the shared budget only, then refused at once;
    /// the owner at another address is answered at once meanwhile.
    #[test]
    fn guessing_is_limited_and_does_not_lock_the_owner_out() {
        let (_dir, auth, runtime) = fresh();
        let auth = std::sync::Arc::new(auth);
        runtime.block_on(async {
            let guesses: Vec<_> = (0..200)
                .map(|i| {
                    let auth = auth.clone();
                    tokio::spawn(async move {
                        let header = basic("asso-a", &format!("guess-{i}"));
                        auth.check(Some(&header), HOME).await
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            let owner = auth
                .check(Some(&basic("asso-a", PASSWORD)), ELSEWHERE)
                .await;
            assert!(matches!(owner, AuthOutcome::Authenticated(_)));
            assert!(started.elapsed() < Duration::from_secs(1));
            let mut throttled = 0;
            for guess in guesses {
                match guess.await.unwrap() {
                    AuthOutcome::Throttled => throttled += 1,
                    AuthOutcome::Refused => {}
                    _ => panic!("a guess was not refused"),
                }
            }
            // The five free attempts, the rest refused without argon2 (at
            // most one more verified with the budget while they raced).
            assert!(throttled >= 190, "{throttled} throttled");
            assert!(auth.verified.load(Ordering::Relaxed) <= 10);
            assert!(auth.throttle.attempts_from(HOME) >= 5);
            assert_eq!(auth.throttle.attempts_from(ELSEWHERE), 0);
        });
    }
}
