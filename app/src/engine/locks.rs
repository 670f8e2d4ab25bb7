//! Async locks by key (a session or an end user id), for the turn machinery.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// Async locks by key (a session or an end user id): FIFO per key, entries dropped when
/// nobody holds or waits for them.
#[derive(Clone, Default)]
pub struct KeyedLocks(Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>);

/// Held while a key is locked; unlocks on drop.
pub struct KeyedGuard {
    key: i64,
    map: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    /// Waits for `key`, in the order callers asked.
    pub async fn lock(&self, key: i64) -> KeyedGuard {
        let lock = self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(key).or_default().clone();
        let guard = lock.lock_owned().await;
        KeyedGuard { key, map: self.0.clone(), guard: Some(guard) }
    }

    /// Keys with a holder or a waiter (for tests).
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for KeyedGuard {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.get(&self.key).is_some_and(|l| Arc::strong_count(l) == 1) {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn keyed_locks_serialise_one_key_and_forget_it_afterwards() {
        let locks = KeyedLocks::default();
        let g = locks.lock(7).await;
        // Another key is free.
        let other = tokio::time::timeout(Duration::from_millis(50), locks.lock(8)).await;
        assert!(other.is_ok());
        drop(other);
        // The same key waits until the first guard goes.
        assert!(tokio::time::timeout(Duration::from_millis(50), locks.lock(7)).await.is_err());
        drop(g);
        let again = tokio::time::timeout(Duration::from_millis(50), locks.lock(7)).await.expect("free again");
        drop(again);
        assert!(locks.is_empty(), "unused keys are dropped");
    }
}
