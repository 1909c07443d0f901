//! A small TTL map for reference data, and the cursor format.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::{Deserialize, Serialize};
use switchboard_core::{Error, Result};

/// Values that expire `ttl` after they were stored.
pub(crate) struct TtlMap<K, V> {
    ttl: Duration,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlMap<K, V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The fresh value of `key`.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let entries = self.lock();
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, v)| v.clone())
    }

    /// Stores `value` under `key`.
    pub(crate) fn put(&self, key: K, value: V) {
        let mut entries = self.lock();
        if entries.len() > 50_000 {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        entries.insert(key, (Instant::now(), value));
    }

    /// Drops the values of `keys`.
    pub(crate) fn forget(&self, keys: &[K]) {
        let mut entries = self.lock();
        for key in keys {
            entries.remove(key);
        }
    }

    /// Drops the values `stale` picks.
    pub(crate) fn forget_where(&self, stale: impl Fn(&V) -> bool) {
        self.lock().retain(|_, (_, value)| !stale(value));
    }

    /// Drops every value.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    /// Splits `keys` into the cached values and the keys to fetch.
    pub(crate) fn split(&self, keys: &[K]) -> (Vec<V>, Vec<K>) {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for key in keys {
            match self.get(key) {
                Some(v) => found.push(v),
                None => missing.push(key.clone()),
            }
        }
        (found, missing)
    }
}

/// A keyset cursor: the ordering it belongs to, the last item's sort key
/// and id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub o: String,
    pub k: String,
    pub i: String,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    /// Decodes a cursor of `ordering`; anything else is invalid input on `after`.
    pub(crate) fn decode(raw: &str, ordering: &str) -> Result<Self> {
        let invalid = || Error::invalid("after", "this cursor is not valid for this list");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| invalid())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if cursor.o != ordering {
            return Err(invalid());
        }
        Ok(cursor)
    }
}
