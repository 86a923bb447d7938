//! Locking shared in-memory state.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering from a panic of a previous holder: every value
/// concord guards this way (caches, pools, channel ends) stays consistent
/// between two statements, so a poisoned lock holds nothing half-written.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
