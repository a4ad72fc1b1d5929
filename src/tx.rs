//! Read → decide → write: the shape every request has (sans-I/O).
//!
//! A rule runs against a [`Snapshot`] through a [`Tx`], which records what it
//! writes and shows those writes to the rule's later reads. The rule never
//! touches storage: the host gets the keys, runs the rule, and commits the
//! writes if nothing it read has changed (R14). A snapshot that lacks a key it
//! was not given answers [`Missing`]; the host fetches that key and runs the
//! rule again, which is safe because rules are pure functions (R13).

use std::collections::BTreeMap;

use crate::error::Error;
use crate::keys::{self, AccountRec, CountRec, HolderRec, NodeRec, Record, SeatsRec, WaiterRec};
use crate::model::{AccountId, ClassName, DomainName, Feature, Licence, Policy};

/// A key or key range the snapshot has not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Key(String),
    /// Ranges, asked for together (one round trip for a rule that reads several).
    Prefixes(Vec<String>),
}

/// Why a rule stopped without a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Halt {
    /// The request is refused; nothing may be written.
    Refused(Error),
    /// The host must load this and run the rule again.
    Missing(Missing),
}

impl From<Error> for Halt {
    fn from(e: Error) -> Self {
        Halt::Refused(e)
    }
}

/// Read access to stored state.
pub trait Snapshot {
    /// Whether `scan(prefix)` can answer without loading (a snapshot that holds everything: always).
    fn has_range(&self, _prefix: &str) -> bool {
        true
    }
    /// `Ok(None)` when the key is absent.
    fn get(&self, key: &str) -> Result<Option<Record>, Missing>;
    /// Every key starting with `prefix`, in ascending key order.
    fn scan(&self, prefix: &str) -> Result<Vec<(String, Record)>, Missing>;
}

/// The writes of one request: `Some` puts, `None` deletes.
pub type Writes = BTreeMap<String, Option<Record>>;

/// A snapshot plus the writes made so far by the running rule.
pub struct Tx<'s> {
    snap: &'s dyn Snapshot,
    writes: Writes,
}

/// The stored value under a key was of another type than its key promises.
fn corrupt(key: &str) -> Halt {
    Halt::Refused(Error::new(
        crate::error::ErrorCode::StoreError,
        format!("stored value of `{key}` has the wrong shape"),
    ))
}

macro_rules! typed_get {
    ($name:ident, $variant:ident, $ty:ty) => {
        pub fn $name(&self, key: &str) -> Result<Option<$ty>, Halt> {
            match self.get(key)? {
                None => Ok(None),
                Some(Record::$variant(r)) => Ok(Some(r)),
                Some(_) => Err(corrupt(key)),
            }
        }
    };
}

impl<'s> Tx<'s> {
    pub fn new(snap: &'s dyn Snapshot) -> Self {
        Tx {
            snap,
            writes: Writes::new(),
        }
    }

    pub fn into_writes(self) -> Writes {
        self.writes
    }

    pub fn get(&self, key: &str) -> Result<Option<Record>, Halt> {
        match self.writes.get(key) {
            Some(written) => Ok(written.clone()),
            None => self.snap.get(key).map_err(Halt::Missing),
        }
    }

    pub fn put(&mut self, key: String, record: Record) {
        self.writes.insert(key, Some(record));
    }

    pub fn del(&mut self, key: String) {
        self.writes.insert(key, None);
    }

    /// The snapshot's range merged with this request's own writes.
    /// Asks for every one of `prefixes` not loaded yet in one round trip, before a rule scans them.
    pub fn load_ranges(&self, prefixes: &[&str]) -> Result<(), Halt> {
        let missing: Vec<String> = prefixes
            .iter()
            .filter(|p| !self.snap.has_range(p))
            .map(|p| p.to_string())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Halt::Missing(Missing::Prefixes(missing)))
        }
    }

    pub fn scan(&self, prefix: &str) -> Result<Vec<(String, Record)>, Halt> {
        let stored = self.snap.scan(prefix).map_err(Halt::Missing)?;
        let written = self
            .writes
            .range::<str, _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(key, _)| key.starts_with(prefix));
        // Both sides are sorted by key: merge them, this request's writes winning.
        let mut merged = Vec::with_capacity(stored.len());
        let mut stored = stored.into_iter().peekable();
        for (key, value) in written {
            while let Some((k, _)) = stored.peek() {
                if k.as_str() >= key.as_str() {
                    break;
                }
                merged.extend(stored.next());
            }
            if stored.peek().is_some_and(|(k, _)| k == key) {
                stored.next();
            }
            if let Some(record) = value {
                merged.push((key.clone(), record.clone()));
            }
        }
        merged.extend(stored);
        Ok(merged)
    }

    typed_get!(get_licence_rec, Licence, Licence);
    typed_get!(get_policy_rec, Policy, Policy);
    typed_get!(get_node, Node, NodeRec);
    typed_get!(get_account_rec, Account, AccountRec);
    typed_get!(get_count, Count, CountRec);
    typed_get!(get_seats, Seats, SeatsRec);
    typed_get!(get_holder, Holder, HolderRec);
    typed_get!(get_waiter, Waiter, WaiterRec);

    /// The licence; a store without one has nothing licensed.
    pub fn licence(&self) -> Result<Licence, Halt> {
        Ok(self.get_licence_rec(keys::LICENCE)?.unwrap_or(Licence {
            mailboxes: Some(0),
            features: crate::vecmap::VecMap::new(),
            expires: None,
            serial: None,
            issued: None,
            signature: None,
        }))
    }

    pub fn policy(&self) -> Result<Policy, Halt> {
        Ok(self.get_policy_rec(keys::POLICY)?.unwrap_or_default())
    }

    pub fn server(&self) -> Result<NodeRec, Halt> {
        Ok(self.get_node(keys::SERVER)?.unwrap_or_default())
    }

    pub fn domain(&self, d: &DomainName) -> Result<Option<NodeRec>, Halt> {
        self.get_node(&keys::domain(d))
    }

    pub fn class(&self, d: &DomainName, c: &ClassName) -> Result<Option<NodeRec>, Halt> {
        self.get_node(&keys::class(d, c))
    }

    pub fn account(&self, id: &AccountId) -> Result<Option<AccountRec>, Halt> {
        self.get_account_rec(&keys::account(id))
    }

    pub fn account_count(&self) -> Result<u64, Halt> {
        Ok(self.get_count(keys::ACCOUNTS)?.map_or(0, |c| c.count))
    }

    pub fn seats(&self, f: &Feature) -> Result<SeatsRec, Halt> {
        Ok(self.get_seats(&keys::seats(f))?.unwrap_or_default())
    }

    pub fn holder(&self, f: &Feature, id: &AccountId) -> Result<Option<HolderRec>, Halt> {
        self.get_holder(&keys::holder(f, id))
    }

    pub fn waiter(&self, f: &Feature, id: &AccountId) -> Result<Option<WaiterRec>, Halt> {
        self.get_waiter(&keys::waiter(f, id))
    }

    /// Holders of a feature in claim order.
    pub fn holders(&self, f: &Feature) -> Result<Vec<(AccountId, HolderRec)>, Halt> {
        let holders = self.scan_typed(&keys::holder_prefix(f), |r| match r {
            Record::Holder(h) => Some(h),
            _ => None,
        })?;
        Ok(sort_by_rank(holders, |(_, h)| [h.seq, 0, 0]))
    }

    /// Waiting accounts of a feature in arrival order.
    pub fn waiters(&self, f: &Feature) -> Result<Vec<(AccountId, WaiterRec)>, Halt> {
        let waiters = self.scan_typed(&keys::waiter_prefix(f), |r| match r {
            Record::Waiter(w) => Some(w),
            _ => None,
        })?;
        Ok(sort_by_rank(waiters, |(_, w)| [w.seq, 0, 0]))
    }

    /// Accounts carrying a capped marker for a feature, in id order.
    pub fn capped(&self, f: &Feature) -> Result<Vec<AccountId>, Halt> {
        let found = self.scan_typed(&keys::capped_prefix(f), |r| match r {
            Record::Capped(c) => Some(c),
            _ => None,
        })?;
        Ok(found.into_iter().map(|(id, _)| id).collect())
    }

    /// Every account, in id order.
    pub fn accounts(&self) -> Result<Vec<(AccountId, AccountRec)>, Halt> {
        self.scan_typed(keys::ACCOUNT_PREFIX, |r| match r {
            Record::Account(a) => Some(a),
            _ => None,
        })
    }

    fn scan_typed<T>(
        &self,
        prefix: &str,
        pick: impl Fn(Record) -> Option<T>,
    ) -> Result<Vec<(AccountId, T)>, Halt> {
        self.scan(prefix)?
            .into_iter()
            .map(|(key, record)| {
                // Keys are written by this crate from checked ids.
                let id = key
                    .get(prefix.len()..)
                    .filter(|id| id.contains('@'))
                    .map(|id| AccountId::trusted(id.to_string()));
                match (id, pick(record)) {
                    (Some(id), Some(value)) => Ok((id, value)),
                    _ => Err(corrupt(&key)),
                }
            })
            .collect()
    }
}

/// Sorts by a rank of three numbers, smallest first. Every sort in the engine
/// goes through this one instantiation of the sort code (a wasm size budget:
/// each `sort_by_key` on a new type adds ~3 KB).
pub fn sort_by_rank<T>(items: Vec<T>, rank: impl Fn(&T) -> [u64; 3]) -> Vec<T> {
    let mut order: Vec<([u64; 3], usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (rank(item), i))
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i).and_then(Option::take))
        .collect()
}
