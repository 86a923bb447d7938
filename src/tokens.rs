//! Secrets handed to people: session cookies, activation and personal
//! links. Each is 256 random bits; only its digest is stored, so that a
//! copy of the database opens nothing.

use base64::Engine;
use blake2::{Blake2s256, Digest};

/// A new random token, URL- and cookie-safe (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random source failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a token.
pub fn digest(token: &str) -> Vec<u8> {
    Blake2s256::digest(token.as_bytes()).to_vec()
}

/// A value derived from a token for one purpose (`purpose` keeps the
/// derivations apart), e.g. the CSRF field of a session's forms.
pub fn derive(token: &str, purpose: &str) -> String {
    let mut hasher = Blake2s256::new();
    hasher.update(purpose.as_bytes());
    hasher.update([0]);
    hasher.update(token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Compares two secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_differ_and_derivations_are_stable() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(derive(&a, "csrf"), derive(&a, "csrf"));
        assert_ne!(derive(&a, "csrf"), derive(&a, "other"));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert_ne!(digest(&a), digest(&b));
    }
}
