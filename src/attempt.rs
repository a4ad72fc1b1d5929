//! One try of one request against a store the host owns (SPEC "Storage
//! callbacks", R14), as a sans-I/O state machine.
//!
//! The host calls [`Attempt::step`]; each answer is one of
//! - [`Step::Load`]: `get` these keys (one call), then `list` these prefixes,
//!   and call `step` again with what the store said;
//! - [`Step::Commit`]: commit this; if the store accepts, the answer stands;
//!   if it refuses (a lost race), start a new attempt;
//! - [`Step::Answer`]: the answer, with nothing to commit.
//!
//! Every commit expects each key the attempt read with `get` at the version
//! it read, and each key it writes at the version it saw, so a commit fails
//! if anything the decision rested on changed (R14). Ranges are read with
//! `list`, which carries no versions; their guard keys (see `keys`) are read
//! with `get` before the range, so an insertion into a range fails the commit.
//! An answer that wrote nothing needs no commit when all it read came from one
//! `get` (a consistent read); otherwise it is confirmed by a commit that only
//! expects.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::Serialize;

use crate::audit::{self, Audit};
use crate::changelog::{self, LogContext};
use crate::error::{Error, ErrorCode};
use crate::export::export_scenario;
use crate::keys::{self, Record};
use crate::memory::MemoryState;
use crate::model::{AccountId, Feature, Node};
use crate::query::{
    account_view, directory, feature_seats, licence_view, seat_limit, waitlist, AccountView,
    DirectoryView, FeatureSeats, LicenceView,
};
use crate::record_cache::RecordCache;
use crate::rules::{execute, explain, Admission, Decision, Explanation, Reason, Request, Response};
use crate::scenario::{parse_event, ScenarioFile};
use crate::signature::Trust;
use crate::time::Timestamp;
use crate::tx::{Halt, Missing, Snapshot, Writes};

/// What the host asks the engine to do.
#[derive(Debug, Clone)]
pub enum Operation {
    Request(Request),
    /// A connect (`Request::Connect`) that goes ahead only when it writes nothing but a holder's
    /// `lastSeen` (R3) or nothing at all; one that would claim a seat, cap or waitlist the account
    /// answers [`Answer::Pending`] and writes nothing, so the host can check the caller's
    /// credentials first and then run the full connect. With `touch: false` (a peek) even a
    /// holder's `lastSeen` is held back: the gateway peeks before forwarding and touches only
    /// after the mail server accepted the caller's credentials.
    TryConnect {
        account: AccountId,
        feature: Feature,
        touch: bool,
    },
    /// An event that did not parse: answered `invalid-input` without reading anything.
    Invalid {
        connect: bool,
        message: String,
    },
    Account(AccountId),
    Seats(Feature),
    /// A feature's waiting accounts in arrival order (R12).
    Waitlist(Feature),
    /// A feature's seats in the licence: checks a feature before its ranges are paged.
    Limit(Feature),
    Explain(AccountId, Feature),
    Export,
    Audit,
    /// The server's, domains' and classes' settings (no accounts).
    Directory,
    /// The licence, the policy and the licence's origin.
    Licence,
    /// Lays a scenario's directory and recorded state into the store; into an
    /// empty store unless `replace`, which deletes whatever was there.
    Import {
        state: MemoryState,
        replace: bool,
        admission: Admission,
    },
}

impl Operation {
    /// A SPEC scenario event and the time it runs at: its own valid `at`,
    /// else the host's time (which may itself be invalid).
    pub fn event(raw: &str, host_at: Result<Timestamp, String>) -> (Operation, Timestamp) {
        let event = parse_event(raw);
        let at = event.at.map_or(host_at, Ok);
        let connect = event.is_connect;
        match (event.request, at) {
            (Ok(request), Ok(at)) => (Operation::Request(request), at),
            (Err(message), at) => (
                Operation::Invalid { connect, message },
                at.unwrap_or(crate::time::DEFAULT_START),
            ),
            (Ok(_), Err(message)) => (
                Operation::Invalid { connect, message },
                crate::time::DEFAULT_START,
            ),
        }
    }
}

/// What an operation answers.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub enum Answer {
    /// A connect's decision (SPEC "Outcome").
    Decision(Decision),
    /// What a [`Operation::TryConnect`] would decide, with the writes it held back.
    Pending(Decision),
    /// An administrative write was applied.
    Done,
    /// The operation was refused; nothing is written.
    Refused(Error),
    Account(AccountView),
    Seats(FeatureSeats),
    Waitlist(Vec<AccountId>),
    /// Seats of a feature; `null`: unlimited.
    Limit(Option<u64>),
    Explanation(Explanation),
    Scenario(ScenarioFile),
    Audit(Audit),
    Directory(DirectoryView),
    Licence(LicenceView),
}

/// SPEC `commit` argument.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Commit {
    pub expect: Vec<Expect>,
    pub put: Vec<Put>,
    pub del: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    pub key: String,
    /// `None`: the key must be absent.
    pub version: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Put {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// `get(keys)` first, then `list` each prefix (whole, in key order).
    Load {
        keys: Vec<String>,
        lists: Vec<String>,
    },
    Commit {
        commit: Commit,
        answer: Answer,
    },
    Answer {
        answer: Answer,
    },
}

/// A stored value and its version, as `get` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub value: String,
    pub version: u64,
}

/// The store's answers to the last [`Step::Load`], in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loads {
    pub got: Vec<Option<Versioned>>,
    pub listed: Vec<Vec<Entry>>,
}

/// One entry of a `list` answer. A store that can also give the entry's version lets the attempt
/// count the value as read at that version: it is not read again with `get` before the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub version: Option<u64>,
}

#[derive(Debug, Clone)]
struct Got {
    record: Option<Record>,
    version: Option<u64>,
}

/// Everything the store has answered during this attempt.
#[derive(Debug, Default)]
struct Loaded {
    got: BTreeMap<String, Got>,
    listed: BTreeMap<String, Record>,
    prefixes: Vec<String>,
    /// Keys the last evaluation read (scans count as reading their guards):
    /// a commit expects only these, so a held-seat connect does not conflict
    /// with claims it never looked at.
    touched: RefCell<BTreeSet<String>>,
    /// Keys the last evaluation read from a listing only: their values count,
    /// so they are read again with `get` for a version before any answer.
    unversioned: RefCell<BTreeSet<String>>,
    /// Keys the last evaluation's `at-cap` sweep wrote (logged as the engine's, not the caller's).
    swept: RefCell<BTreeSet<String>>,
}

impl Loaded {
    fn covers(&self, key: &str) -> bool {
        self.prefixes.iter().any(|p| key.starts_with(p.as_str()))
    }
}

impl Snapshot for Loaded {
    fn has_range(&self, prefix: &str) -> bool {
        self.covers(prefix)
    }

    fn get(&self, key: &str) -> Result<Option<Record>, Missing> {
        if let Some(got) = self.got.get(key) {
            self.touched.borrow_mut().insert(key.to_string());
            return Ok(got.record.clone());
        }
        if self.covers(key) {
            return Ok(self.listed.get(key).cloned());
        }
        Err(Missing::Key(key.to_string()))
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Record)>, Missing> {
        if !self.covers(prefix) {
            return Err(Missing::Prefixes(vec![prefix.to_string()]));
        }
        let under = |map_key: &&String| map_key.starts_with(prefix);
        let from = (Bound::Included(prefix), Bound::Unbounded);
        let mut listed = self
            .listed
            .range::<str, _>(from)
            .take_while(|(k, _)| under(k))
            .peekable();
        let mut got = self
            .got
            .range::<str, _>(from)
            .take_while(|(k, _)| under(k))
            .peekable();
        let mut touched = self.touched.borrow_mut();
        let mut unversioned = self.unversioned.borrow_mut();
        touched.extend(guards_of(prefix));
        // Both sides are sorted: merge them. A key read with `get` is the newer, versioned answer.
        let mut merged = Vec::new();
        loop {
            let take_listed = match (listed.peek(), got.peek()) {
                (None, None) => break,
                (Some((l, _)), Some((g, _))) => {
                    if l == g {
                        listed.next();
                        continue;
                    }
                    l < g
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
            };
            if take_listed {
                if let Some((key, record)) = listed.next() {
                    unversioned.insert(key.clone());
                    merged.push((key.clone(), record.clone()));
                }
            } else if let Some((
                key,
                Got {
                    record: Some(record),
                    ..
                },
            )) = got.next()
            {
                touched.insert(key.clone());
                merged.push((key.clone(), record.clone()));
            }
        }
        Ok(merged)
    }
}

/// The keys whose version covers a range (see `keys`): read before the range.
fn guards_of(prefix: &str) -> Vec<String> {
    if prefix == keys::ACCOUNT_PREFIX {
        return vec![keys::ACCOUNTS.to_string()];
    }
    let feature = ["holder/", "wait/", "capped/"]
        .iter()
        .find_map(|range| prefix.strip_prefix(range))
        .and_then(|f| f.strip_suffix('/'));
    match feature {
        Some(f) if !f.is_empty() && !f.contains('/') => {
            let mut guard = String::from("seats/");
            guard.push_str(f);
            vec![guard]
        }
        _ => Vec::new(),
    }
}

/// One try of one operation. See the module documentation for the protocol.
pub struct Attempt {
    op: Operation,
    at: Timestamp,
    loaded: Loaded,
    asked: Option<(Vec<String>, Vec<String>)>,
    gets: u32,
    log: Option<LogContext>,
}

impl Attempt {
    pub fn new(op: Operation, at: Timestamp) -> Self {
        Attempt {
            op,
            at,
            loaded: Loaded::default(),
            asked: None,
            gets: 0,
            log: None,
        }
    }

    /// Writes a change-log entry (see `changelog`) in the commit of any change this attempt makes.
    pub fn logged(mut self, context: LogContext) -> Self {
        self.log = Some(context);
        self
    }

    /// The store trusts only licences `trust` admits: every licence this attempt would write (a
    /// licence change, an import's licence) is verified here, before anything is read, and may
    /// not replace a newer one (`Admission`). Other operations are unchanged.
    pub fn trusting(mut self, trust: &Trust) -> Self {
        let admitted = match &mut self.op {
            Operation::Request(Request::SetLicence { licence, admission }) => {
                admit(trust, licence, admission)
            }
            Operation::Import {
                state, admission, ..
            } => match state.get(keys::LICENCE) {
                Ok(Some(Record::Licence(licence))) => admit(trust, &licence, admission),
                _ => Err(Error::invalid(
                    "licence: an imported scenario must carry a licence",
                )),
            },
            _ => Ok(()),
        };
        if let Err(e) = admitted {
            self.op = Operation::Invalid {
                connect: false,
                message: e.message,
            };
        }
        self
    }

    /// When the operation happens.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// First call with `None`, then with the answers to each `Load`.
    pub fn step(&mut self, loads: Option<Loads>) -> Step {
        self.step_cached(loads, &mut RecordCache::new())
    }

    /// As [`Attempt::step`], reading stored values through a cache the host keeps across requests.
    pub fn step_cached(&mut self, loads: Option<Loads>, cache: &mut RecordCache) -> Step {
        if let Some(loads) = loads {
            if let Err(e) = self.absorb(loads, cache) {
                return Step::Answer {
                    answer: Answer::Refused(e),
                };
            }
        }
        let (keys, lists) = self.prefetch();
        if !keys.is_empty() || !lists.is_empty() {
            return self.ask(keys, lists);
        }
        match self.evaluate() {
            Err(Halt::Missing(Missing::Key(key))) => self.ask(vec![key], Vec::new()),
            Err(Halt::Missing(Missing::Prefixes(prefixes))) => {
                let mut guards: Vec<String> = Vec::new();
                for guard in prefixes.iter().flat_map(|p| guards_of(p)) {
                    if !self.loaded.got.contains_key(&guard) && !guards.contains(&guard) {
                        guards.push(guard);
                    }
                }
                self.ask(guards, prefixes)
            }
            Err(Halt::Refused(error)) => self.versioned_or(Answer::Refused(error), Writes::new()),
            Ok((answer, writes)) => self.versioned_or(answer, writes),
        }
    }

    /// Finishes, unless the answer rests on values read without a version or
    /// writes a key whose version is unknown: those are read with `get` first,
    /// and the rule runs again.
    fn versioned_or(&mut self, answer: Answer, writes: Writes) -> Step {
        let mut need: BTreeSet<String> = std::mem::take(&mut *self.loaded.unversioned.borrow_mut());
        need.extend(
            writes
                .keys()
                .filter(|k| self.expectation(k).is_none())
                .cloned(),
        );
        if need.is_empty() {
            self.finish(answer, writes)
        } else {
            self.ask(need.into_iter().collect(), Vec::new())
        }
    }

    /// Keys the operation surely reads, asked for together so one `get` serves the common path.
    fn prefetch(&self) -> (Vec<String>, Vec<String>) {
        let mut keys: Vec<String> = vec![
            keys::LICENCE.into(),
            keys::POLICY.into(),
            keys::SERVER.into(),
        ];
        let mut lists: Vec<String> = Vec::new();
        let account_keys = |keys: &mut Vec<String>, id: &AccountId| {
            keys.push(keys::account(id));
            keys.push(keys::domain(&id.domain()));
            if let Some(Got {
                record: Some(Record::Account(a)),
                ..
            }) = self.loaded.got.get(&keys::account(id))
            {
                if let Some(c) = &a.class {
                    keys.push(keys::class(&id.domain(), c));
                }
            }
        };
        let ledger_keys = |keys: &mut Vec<String>, f: &Feature, id: &AccountId| {
            keys.extend([keys::seats(f), keys::holder(f, id), keys::waiter(f, id)]);
        };
        match &self.op {
            Operation::Invalid { .. } => return (Vec::new(), Vec::new()),
            Operation::Request(Request::Connect { account, feature })
            | Operation::TryConnect {
                account, feature, ..
            }
            | Operation::Explain(account, feature) => {
                account_keys(&mut keys, account);
                ledger_keys(&mut keys, feature, account);
            }
            Operation::Request(Request::Set { node, feature, .. }) => {
                keys.push(keys::seats(feature));
                match node {
                    Node::Account(id) => {
                        account_keys(&mut keys, id);
                        ledger_keys(&mut keys, feature, id);
                    }
                    Node::Domain(d) => keys.push(keys::domain(d)),
                    Node::Class(d, c) => keys.push(keys::class(d, c)),
                    Node::Server => {}
                }
            }
            Operation::Request(Request::Create { account, class, .. }) => {
                keys.push(keys::ACCOUNTS.into());
                keys.push(keys::account(account));
                keys.push(keys::domain(&account.domain()));
                if let Some(c) = class {
                    keys.push(keys::class(&account.domain(), c));
                }
            }
            Operation::Request(Request::Delete { account } | Request::SetType { account, .. })
            | Operation::Account(account) => {
                keys.push(keys::ACCOUNTS.into());
                account_keys(&mut keys, account);
            }
            Operation::Request(Request::SetLicence { .. } | Request::RestoreCapped { .. }) => {
                keys.push(keys::LICENCE_ORIGIN.into())
            }
            Operation::Request(Request::CreateDomain { domain, .. }) => {
                keys.push(keys::domain(domain))
            }
            Operation::Request(Request::CreateClass { domain, class, .. }) => {
                keys.push(keys::domain(domain));
                keys.push(keys::class(domain, class));
            }
            Operation::Directory => lists.extend([
                keys::DOMAIN_PREFIX.to_string(),
                keys::CLASS_PREFIX.to_string(),
            ]),
            Operation::Licence => keys.push(keys::LICENCE_ORIGIN.into()),
            Operation::Seats(feature) | Operation::Waitlist(feature) => {
                keys.push(keys::seats(feature))
            }
            Operation::Limit(_) => {}
            Operation::Export | Operation::Audit => {
                // Guards first (each feature's header once the licence is known), then every range.
                keys.push(keys::ACCOUNTS.into());
                if let Some(Got {
                    record: Some(Record::Licence(licence)),
                    ..
                }) = self.loaded.got.get(keys::LICENCE)
                {
                    keys.extend(licence.features.keys().map(keys::seats));
                }
                let ranges: &[&str] = if matches!(self.op, Operation::Audit) {
                    &audit::RANGES
                } else {
                    &EXPORT_RANGES
                };
                lists.extend(ranges.iter().map(|r| r.to_string()));
            }
            Operation::Import { .. } => {
                keys.clear();
                lists.push(String::new());
            }
        }
        if self.log.is_some() && matches!(self.op, Operation::Request(_)) {
            // Read with the request's own keys: a logged commit bumps it (see `changelog`).
            keys.push(keys::LOG_HEAD.into());
        }
        keys.retain(|k| !self.loaded.got.contains_key(k) && !self.loaded.covers(k));
        keys.sort_unstable();
        keys.dedup();
        if !keys.is_empty() {
            // Ranges wait until their guards are read.
            return (keys, Vec::new());
        }
        lists.retain(|p| !self.loaded.covers(p));
        (keys, lists)
    }

    fn ask(&mut self, keys: Vec<String>, lists: Vec<String>) -> Step {
        self.asked = Some((keys.clone(), lists.clone()));
        Step::Load { keys, lists }
    }

    fn absorb(&mut self, loads: Loads, cache: &mut RecordCache) -> Result<(), Error> {
        let (keys, lists) = self
            .asked
            .take()
            .ok_or_else(|| store_error("the attempt was given answers it did not ask for"))?;
        if loads.got.len() != keys.len() || loads.listed.len() != lists.len() {
            return Err(store_error(format!(
                "the store answered {} values for {} keys and {} listings for {} prefixes",
                loads.got.len(),
                keys.len(),
                loads.listed.len(),
                lists.len()
            )));
        }
        if !keys.is_empty() {
            self.gets += 1;
        }
        // An import only counts what is there, and a replacing one deletes or overwrites it: neither
        // may need to understand it (so a store holding an unreadable record can be repaired).
        let repairs = matches!(self.op, Operation::Import { .. });
        let readable =
            |key: &str, value: String, cache: &mut RecordCache| match cache.read(key, &value) {
                Ok(record) => Ok(record),
                Err(_) if repairs => Ok(Record::Unreadable(value)),
                Err(why) => Err(store_error(why)),
            };
        for (key, answer) in keys.into_iter().zip(loads.got) {
            let got = match answer {
                None => Got {
                    record: None,
                    version: None,
                },
                Some(v) => Got {
                    record: Some(readable(&key, v.value, cache)?),
                    version: Some(v.version),
                },
            };
            self.loaded.got.insert(key, got);
        }
        for (prefix, entries) in lists.into_iter().zip(loads.listed) {
            for Entry {
                key,
                value,
                version,
            } in entries
            {
                if !key.starts_with(prefix.as_str()) {
                    return Err(store_error(format!(
                        "list(`{prefix}`) answered `{key}`, which is outside the prefix"
                    )));
                }
                let record = match Record::from_json(&key, &value) {
                    Ok(record) => record,
                    Err(_) if repairs => Record::Unreadable(value),
                    Err(why) => return Err(store_error(why)),
                };
                if version.is_some() {
                    // As good as a `get` of it, and newer than one made before this listing.
                    let got = Got {
                        record: Some(record),
                        version,
                    };
                    self.loaded.got.insert(key, got);
                } else {
                    self.loaded.listed.insert(key, record);
                }
            }
            self.loaded.prefixes.push(prefix);
        }
        Ok(())
    }

    fn evaluate(&self) -> Result<(Answer, Writes), Halt> {
        let snap = &self.loaded;
        snap.touched.borrow_mut().clear();
        snap.unversioned.borrow_mut().clear();
        let read = |answer: Answer| Ok((answer, Writes::new()));
        match &self.op {
            Operation::Request(request) => {
                let applied = execute(snap, request, self.at)?;
                let mut swept = snap.swept.borrow_mut();
                swept.clear();
                for (feature, id) in &applied.swept {
                    swept.insert(keys::account(id));
                    swept.insert(keys::capped(feature, id));
                }
                let answer = match applied.response {
                    Response::Decision(d) => Answer::Decision(d),
                    Response::Done => Answer::Done,
                };
                Ok((answer, applied.writes))
            }
            Operation::TryConnect {
                account,
                feature,
                touch,
            } => {
                let request = Request::Connect {
                    account: account.clone(),
                    feature: feature.clone(),
                };
                let applied = execute(snap, &request, self.at)?;
                match applied.response {
                    Response::Decision(d)
                        if d.reason != Reason::SeatHeld && !applied.writes.is_empty() =>
                    {
                        read(Answer::Pending(d))
                    }
                    Response::Decision(d) if !touch => read(Answer::Decision(d)),
                    Response::Decision(d) => Ok((Answer::Decision(d), applied.writes)),
                    Response::Done => Ok((Answer::Done, applied.writes)),
                }
            }
            Operation::Invalid { connect: true, .. } => {
                read(Answer::Decision(Decision::deny(Reason::InvalidInput, None)))
            }
            Operation::Invalid {
                connect: false,
                message,
            } => read(Answer::Refused(Error::invalid(message.clone()))),
            Operation::Account(id) => read(Answer::Account(account_view(snap, id)?)),
            Operation::Seats(feature) => read(Answer::Seats(feature_seats(snap, feature)?)),
            Operation::Waitlist(feature) => read(Answer::Waitlist(waitlist(snap, feature)?)),
            Operation::Limit(feature) => read(Answer::Limit(seat_limit(snap, feature)?)),
            Operation::Explain(id, feature) => {
                read(Answer::Explanation(explain(snap, id, feature, self.at)?))
            }
            Operation::Export => read(Answer::Scenario(export_scenario(snap)?)),
            Operation::Audit => read(Answer::Audit(audit::audit(snap)?)),
            Operation::Directory => read(Answer::Directory(directory(snap)?)),
            Operation::Licence => read(Answer::Licence(licence_view(snap)?)),
            Operation::Import {
                state,
                replace,
                admission,
            } => import(snap, state, *replace, admission, self.at),
        }
    }

    /// The version a write of `key` must find, if the attempt knows it.
    fn expectation(&self, key: &str) -> Option<Option<u64>> {
        match self.loaded.got.get(key) {
            Some(got) => Some(got.version),
            // Absent from a listing: the commit checks it is still absent.
            None if self.loaded.covers(key) && !self.loaded.listed.contains_key(key) => Some(None),
            None => None,
        }
    }

    /// A stored value as this attempt read it (with `get` or from a listing).
    fn before(&self, key: &str) -> Option<Record> {
        match self.loaded.got.get(key) {
            Some(got) => got.record.clone(),
            None => self.loaded.listed.get(key).cloned(),
        }
    }

    /// The change-log entry for these writes, if the host asked for one and they change anything
    /// it logs, with the head bumped to it (see `changelog`).
    fn log_entry(&self, writes: &Writes) -> Option<Vec<(String, Record)>> {
        let context = self.log.as_ref()?;
        let seq = match self
            .loaded
            .got
            .get(keys::LOG_HEAD)
            .and_then(|g| g.record.as_ref())
        {
            Some(Record::Count(head)) => head.count + 1,
            _ => 1,
        };
        let request = match &self.op {
            Operation::Request(request) => changelog::Logged::of(request),
            Operation::Import {
                replace, admission, ..
            } if !writes.is_empty() => changelog::Logged::Import {
                replace: *replace,
                keys_written: writes.len(),
                force: admission.force,
            },
            _ => return None,
        };
        // What the at-cap sweep marked is the engine's doing: its own entry, by `seatcap`.
        let swept = self.loaded.swept.borrow();
        let (own, sweep): (Writes, Writes) = writes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .partition(|(k, _)| !swept.contains(k));
        let mut out = Vec::new();
        let mut next = seq;
        if let Some(entry) = changelog::entry(context, next, self.at, request, &own, |key| {
            self.before(key)
        }) {
            out.push(entry);
            next += 1;
        }
        if !sweep.is_empty() {
            let engine = context.consequence("at-cap");
            if let Some(entry) = changelog::entry(
                &engine,
                next,
                self.at,
                changelog::Logged::AtCap,
                &sweep,
                |key| self.before(key),
            ) {
                out.push(entry);
                next += 1;
            }
        }
        if out.is_empty() {
            return None;
        }
        out.push((
            keys::LOG_HEAD.to_string(),
            Record::Count(keys::CountRec { count: next - 1 }),
        ));
        Some(out)
    }

    fn finish(&self, answer: Answer, mut writes: Writes) -> Step {
        if matches!(answer, Answer::Refused(_)) {
            writes.clear();
        } else if let Some(entries) = self.log_entry(&writes) {
            for (key, record) in entries {
                writes.insert(key, Some(record));
            }
        }
        let consistent_read = self.gets <= 1 && self.loaded.prefixes.is_empty();
        if writes.is_empty() && consistent_read {
            return Step::Answer { answer };
        }
        let mut commit = Commit::default();
        // Requests expect what they read; reads for administrators expect all
        // they loaded (an export's headers guard the ranges it lists).
        let touched = self.loaded.touched.borrow();
        let mut expected: BTreeMap<String, Option<u64>> = BTreeMap::new();
        for (key, got) in &self.loaded.got {
            let request = matches!(
                self.op,
                Operation::Request(_) | Operation::TryConnect { .. }
            );
            if !request || touched.contains(key.as_str()) {
                expected.insert(key.clone(), got.version);
            }
        }
        for (key, value) in &writes {
            expected
                .entry(key.clone())
                .or_insert_with(|| self.expectation(key).flatten());
            match value {
                Some(record) => commit.put.push(Put {
                    key: key.clone(),
                    value: record.to_json(),
                }),
                None => commit.del.push(key.clone()),
            }
        }
        commit.expect = expected
            .into_iter()
            .map(|(key, version)| Expect { key, version })
            .collect();
        Step::Commit { commit, answer }
    }
}

/// The ranges an export reads whole.
const EXPORT_RANGES: [&str; 5] = ["domain/", "class/", "account/", "holder/", "wait/"];

/// Verifies `licence` for a trusting store and records how it was admitted. Only a signed
/// licence is held to succession (not older, not expired): an unsigned one got in through dev
/// mode, where nothing vouches for any licence anyway.
fn admit(
    trust: &Trust,
    licence: &crate::model::Licence,
    admission: &mut Admission,
) -> Result<(), Error> {
    admission.signed_by = trust.admit(licence)?;
    admission.enforced = admission.signed_by.is_some();
    Ok(())
}

fn import(
    snap: &Loaded,
    state: &MemoryState,
    replace: bool,
    admission: &Admission,
    at: Timestamp,
) -> Result<(Answer, Writes), Halt> {
    let existing = snap.scan("").map_err(Halt::Missing)?;
    if !existing.is_empty() && !replace {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("the store already holds {} keys; import seeds an empty store unless `replace` is set", existing.len()),
        )
        .into());
    }
    if let Ok(Some(Record::Licence(licence))) = state.get(keys::LICENCE) {
        // An unreadable stored licence counts as none: a replacing import is how a store is repaired.
        let in_force =
            existing
                .iter()
                .find(|(k, _)| k == keys::LICENCE)
                .and_then(|(_, r)| match r {
                    Record::Licence(l) => Some(l),
                    _ => None,
                });
        admission.check(in_force, &licence, at)?;
    }
    let mut writes = Writes::new();
    if admission.enforced {
        let origin = keys::OriginRec {
            signed_by: admission.signed_by.clone(),
            at,
        };
        writes.insert(
            keys::LICENCE_ORIGIN.to_string(),
            Some(Record::Origin(origin)),
        );
    }
    for (key, _) in existing {
        // The change log outlives what it records.
        if !state.contains(&key)
            && !key.starts_with(keys::LOG_PREFIX)
            && key != keys::LOG_HEAD
            && !writes.contains_key(&key)
        {
            writes.insert(key, None);
        }
    }
    for (key, record) in state.iter() {
        // Unchanged keys need no write.
        if snap.listed.get(key) != Some(record) {
            writes.insert(key.clone(), Some(record.clone()));
        }
    }
    Ok((Answer::Done, writes))
}

fn store_error(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::StoreError, message)
}
