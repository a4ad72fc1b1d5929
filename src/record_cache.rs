//! Memoises reading stored records: a host's store answers the same
//! `licence`, `policy`, `server` and `domain/…` text on nearly every request,
//! and reading JSON is most of a decision's cost in wasm (~5 µs a record).
//! Keyed by the key *and* the exact text, so it can never answer a stale or
//! foreign value: a different text is simply read again.

use std::collections::BTreeMap;

use crate::keys::Record;

/// Entries kept before the cache starts over (a few hundred hot keys).
const CAPACITY: usize = 512;

#[derive(Debug, Default)]
pub struct RecordCache {
    entries: BTreeMap<String, (String, Record)>,
}

impl RecordCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// `Record::from_json(key, text)`, from memory when this exact text was read before.
    pub fn read(&mut self, key: &str, text: &str) -> Result<Record, String> {
        if let Some((seen, record)) = self.entries.get(key) {
            if seen == text {
                return Ok(record.clone());
            }
        }
        let record = Record::from_json(key, text)?;
        if self.entries.len() >= CAPACITY {
            self.entries.clear();
        }
        self.entries
            .insert(key.to_string(), (text.to_string(), record.clone()));
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_text_is_read_again_and_a_bad_one_is_not_kept() {
        let mut cache = RecordCache::new();
        let one = cache
            .read(
                "seats/f",
                r#"{"holders":1,"nextSeq":1,"waiting":0,"nextWait":0}"#,
            )
            .expect("valid");
        let two = cache
            .read(
                "seats/f",
                r#"{"holders":2,"nextSeq":2,"waiting":0,"nextWait":0}"#,
            )
            .expect("valid");
        assert_ne!(
            one, two,
            "a new text for the same key is not answered from memory"
        );
        assert!(cache.read("seats/f", "{").is_err());
        assert_eq!(
            cache.read(
                "seats/f",
                r#"{"holders":2,"nextSeq":2,"waiting":0,"nextWait":0}"#
            ),
            Ok(two)
        );
        assert!(
            cache
                .read(
                    "holder/f/a@b.c",
                    r#"{"holders":2,"nextSeq":2,"waiting":0,"nextWait":0}"#
                )
                .is_err(),
            "the key decides the type"
        );
    }
}
