//! The key layout: how the engine's state is laid out in a key–value store.
//!
//! Every request reads some of these keys, decides, and writes some of them
//! back only if none changed meanwhile (SPEC "Storage callbacks", R14). Each
//! key holds one JSON value (`Record::to_json`). Ranges that a rule lists
//! (`holder/<f>/…`, `wait/<f>/…`, `capped/<f>/…`, `account/…`) each have a *guard* key that
//! every change to the range also writes, so a commit that expects the guard's
//! version cannot miss an insertion into the range (no phantoms).
//!
//! | key                          | value                                   | guard of |
//! |------------------------------|-----------------------------------------|----------|
//! | `licence`                    | the SPEC licence                         | |
//! | `policy`                     | the SPEC policy                          | |
//! | `server`                     | `{settings}`                             | |
//! | `domain/<domain>`            | `{settings}`                             | |
//! | `class/<domain>/<class>`     | `{settings}`                             | |
//! | `accounts`                   | `{count}` (mailboxes in use)             | `account/…` |
//! | `account/<id>`               | `{type, class?, settings, capped}`       | |
//! | `seats/<feature>`            | `{holders, nextSeq, waiting, nextWait}`  | `holder/<f>/…`, `wait/<f>/…`, `capped/<f>/…` |
//! | `holder/<feature>/<id>`      | `{seq, since, via, lastSeen}`            | |
//! | `wait/<feature>/<id>`        | `{seq}` (arrival order)                  | |
//! | `capped/<feature>/<id>`      | `{at}` (index of capped markers, R11)    | |
//! | `log-head`                   | `{count}` (last change-log entry)        | `log/s…` |
//! | `log/s<seq>`                 | a change-log entry (`changelog`)         | |
//!
//! Feature, domain and class names never contain `/` (see `model`), so a
//! prefix such as `holder/activesync/` selects exactly one feature's holders.

use crate::vecmap::VecMap;

use serde::Serialize;

use crate::input::{self, At};

use crate::model::{
    AccountId, AccountType, ClassName, DomainName, Feature, Licence, Policy, Settings, Via,
};
use crate::time::Timestamp;

pub const LICENCE: &str = "licence";
pub const POLICY: &str = "policy";
pub const SERVER: &str = "server";
pub const ACCOUNTS: &str = "accounts";
pub const ACCOUNT_PREFIX: &str = "account/";
pub const DOMAIN_PREFIX: &str = "domain/";
pub const CLASS_PREFIX: &str = "class/";
pub const LICENCE_ORIGIN: &str = "licence-origin";
/// The change log (`changelog`): never read by the rules, kept by imports.
pub const LOG_PREFIX: &str = "log/";
/// `{count}`: the sequence number of the last change-log entry. Every logged commit reads and
/// bumps it, so the store's compare-and-set puts entries in commit order.
pub const LOG_HEAD: &str = "log-head";

/// Joins key parts. Keys are built for every read, so this avoids the
/// formatting machinery (measured: `format!` was an eighth of simulation time).
fn join(parts: &[&str]) -> String {
    let mut key = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        key.push_str(part);
    }
    key
}

pub fn domain(d: &DomainName) -> String {
    join(&["domain/", d.as_str()])
}
pub fn class(d: &DomainName, c: &ClassName) -> String {
    join(&["class/", d.as_str(), "/", c.as_str()])
}
pub fn class_prefix(d: &DomainName) -> String {
    join(&["class/", d.as_str(), "/"])
}
pub fn account(id: &AccountId) -> String {
    join(&["account/", id.as_str()])
}
pub fn seats(f: &Feature) -> String {
    join(&["seats/", f.as_str()])
}
pub fn holder(f: &Feature, id: &AccountId) -> String {
    join(&["holder/", f.as_str(), "/", id.as_str()])
}
pub fn holder_prefix(f: &Feature) -> String {
    join(&["holder/", f.as_str(), "/"])
}
pub fn waiter(f: &Feature, id: &AccountId) -> String {
    join(&["wait/", f.as_str(), "/", id.as_str()])
}
pub fn waiter_prefix(f: &Feature) -> String {
    join(&["wait/", f.as_str(), "/"])
}
pub fn capped(f: &Feature, id: &AccountId) -> String {
    join(&["capped/", f.as_str(), "/", id.as_str()])
}
pub fn capped_prefix(f: &Feature) -> String {
    join(&["capped/", f.as_str(), "/"])
}

/// The settings of the server, a domain or a class.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NodeRec {
    pub settings: Settings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountRec {
    #[serde(rename = "type")]
    pub kind: AccountType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<ClassName>,
    pub settings: Settings,
    /// Features whose `disabled` setting was written by the cap (R5), and when.
    pub capped: VecMap<Feature, Timestamp>,
}

/// Per-feature ledger header: counts and sequence numbers, and the guard of
/// the holder and waitlist ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatsRec {
    pub holders: u64,
    pub next_seq: u64,
    pub waiting: u64,
    pub next_wait: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HolderRec {
    /// Claim order within the feature.
    pub seq: u64,
    pub since: Timestamp,
    pub via: Via,
    pub last_seen: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WaiterRec {
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CappedRec {
    pub at: Timestamp,
}

/// Who vouched for the stored licence: the vendor key whose signature verified, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OriginRec {
    pub signed_by: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountRec {
    pub count: u64,
}

/// One stored value; its variant follows from its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Licence(Licence),
    Policy(Policy),
    Node(NodeRec),
    Account(AccountRec),
    Count(CountRec),
    Seats(SeatsRec),
    Holder(HolderRec),
    Waiter(WaiterRec),
    Capped(CappedRec),
    Origin(OriginRec),
    /// A change-log entry, kept as the JSON text `changelog` wrote.
    Log(String),
    /// A stored value that does not read back (written by an older, buggy version): only an
    /// import with `replace` loads these, so it can delete them.
    Unreadable(String),
}

impl Record {
    /// The value as a store keeps it.
    pub fn to_json(&self) -> String {
        let text = match self {
            Record::Licence(r) => serde_json::to_string(r),
            Record::Policy(r) => serde_json::to_string(r),
            Record::Node(r) => serde_json::to_string(r),
            Record::Account(r) => serde_json::to_string(r),
            Record::Count(r) => serde_json::to_string(r),
            Record::Seats(r) => serde_json::to_string(r),
            Record::Holder(r) => serde_json::to_string(r),
            Record::Waiter(r) => serde_json::to_string(r),
            Record::Capped(r) => serde_json::to_string(r),
            Record::Origin(r) => serde_json::to_string(r),
            Record::Log(text) | Record::Unreadable(text) => Ok(text.clone()),
        };
        // These types hold only strings, numbers and string-keyed maps: serialising cannot fail.
        text.unwrap_or_default()
    }

    /// Reads a stored value back, choosing its type by the key. Hand-written
    /// over `serde_json::Value` with the scenario readers (`input`): serde's
    /// derived visitors for nine record types cost ~100 KB of wasm.
    pub fn from_json(key: &str, text: &str) -> Result<Record, String> {
        if key.starts_with(LOG_PREFIX) {
            return Ok(Record::Log(text.to_string()));
        }
        let value = crate::split::value(text)
            .map_err(|e| format!("stored value of `{key}` is not JSON: {e}"))?;
        let at = At::root(&value, key);
        let prefix = key.split('/').next().unwrap_or_default();
        let record = match prefix {
            "licence" => input::licence(at).map(Record::Licence),
            "policy" => input::policy(at).map(Record::Policy),
            "server" | "domain" | "class" => at.object(&["settings"]).and_then(|_| {
                Ok(Record::Node(NodeRec {
                    settings: at
                        .field("settings")
                        .map(input::settings)
                        .transpose()?
                        .unwrap_or_default(),
                }))
            }),
            "accounts" | "log-head" => at.object(&["count"]).and_then(|_| {
                Ok(Record::Count(CountRec {
                    count: at.req("count")?.count()?,
                }))
            }),
            "account" => at
                .object(&["type", "class", "settings", "capped"])
                .and_then(|_| {
                    Ok(Record::Account(AccountRec {
                        kind: at.req("type")?.choice()?,
                        class: at
                            .field("class")
                            .map(|c| c.name(ClassName::parse))
                            .transpose()?,
                        settings: at
                            .field("settings")
                            .map(input::settings)
                            .transpose()?
                            .unwrap_or_default(),
                        capped: at
                            .field("capped")
                            .map(input::capped)
                            .transpose()?
                            .unwrap_or_default(),
                    }))
                }),
            "seats" => at
                .object(&["holders", "nextSeq", "waiting", "nextWait"])
                .and_then(|_| {
                    Ok(Record::Seats(SeatsRec {
                        holders: at.req("holders")?.count()?,
                        next_seq: at.req("nextSeq")?.count()?,
                        waiting: at.req("waiting")?.count()?,
                        next_wait: at.req("nextWait")?.count()?,
                    }))
                }),
            "holder" => at
                .object(&["seq", "since", "via", "lastSeen"])
                .and_then(|_| {
                    Ok(Record::Holder(HolderRec {
                        seq: at.req("seq")?.count()?,
                        since: at.req("since")?.time()?,
                        via: at.req("via")?.choice()?,
                        last_seen: at.req("lastSeen")?.time()?,
                    }))
                }),
            "wait" => at.object(&["seq"]).and_then(|_| {
                Ok(Record::Waiter(WaiterRec {
                    seq: at.req("seq")?.count()?,
                }))
            }),
            "licence-origin" => at.object(&["signedBy", "at"]).and_then(|_| {
                Ok(Record::Origin(OriginRec {
                    signed_by: at
                        .field("signedBy")
                        .filter(|s| !s.value.is_null())
                        .map(|s| s.str().map(str::to_string))
                        .transpose()?,
                    at: at.req("at")?.time()?,
                }))
            }),
            "capped" => at.object(&["at"]).and_then(|_| {
                Ok(Record::Capped(CappedRec {
                    at: at.req("at")?.time()?,
                }))
            }),
            _ => return Err(format!("`{key}` is not a seatcap key")),
        };
        record.map_err(|e| format!("stored value of `{key}` is not valid: {e}"))
    }
}
