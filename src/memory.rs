//! State held in memory, fully loaded: the simulator's store.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::keys::Record;
use crate::tx::{Missing, Snapshot, Writes};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryState {
    entries: BTreeMap<String, Record>,
}

impl MemoryState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one request's writes (all of them: the state is never half-written).
    pub fn apply(&mut self, writes: Writes) {
        for (key, value) in writes {
            match value {
                Some(record) => self.entries.insert(key, record),
                None => self.entries.remove(&key),
            };
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Record)> {
        self.entries.iter()
    }
}

impl Snapshot for MemoryState {
    fn get(&self, key: &str) -> Result<Option<Record>, Missing> {
        Ok(self.entries.get(key).cloned())
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Record)>, Missing> {
        Ok(self
            .entries
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, record)| (key.clone(), record.clone()))
            .collect())
    }
}
