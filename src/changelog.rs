//! The change log: one entry per request that changed the directory or the
//! licence — who, when, what was asked, each changed node before and after,
//! and the seats it moved. The entry is written in the same commit as the
//! change (R14: the log can't miss a change or record one that did not happen).
//!
//! Keys are `log/s<seq>`, `seq` zero-padded to 16 digits: each logged commit reads the head
//! (`keys::LOG_HEAD`), writes the entry at the next number and bumps the head, so the store's
//! compare-and-set orders entries as their commits landed, and a reader that has seen entry
//! `n` can never later find an entry below `n` (a cursor never misses one). Stores written
//! before this keep their `log/<time>/<id>` entries; they list first (digits sort before `s`).
//! Connects that only claim or keep a seat are not logged (the ledger keeps
//! `since`/`via`); a connect that caps an account is.

use serde::Serialize;

use crate::keys::{self, Record};
use crate::model::{
    AccountId, AccountType, ClassName, DomainName, Feature, Licence, Node, Setting, Settings, Via,
};
use crate::rules::Request;
use crate::time::Timestamp;
use crate::tx::Writes;

/// Who asks, and a host-made id for the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogContext {
    pub actor: String,
    pub id: String,
}

impl LogContext {
    /// `actor`: 1–200 characters; `id`: 1–64 of `A–Z a–z 0–9 - _` (it ends a key).
    pub fn new(actor: &str, id: &str) -> Result<Self, String> {
        if actor.is_empty() || actor.chars().count() > 200 {
            return Err("actor: expected 1 to 200 characters".into());
        }
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("log id: expected 1 to 64 of A-Z a-z 0-9 - _".into());
        }
        Ok(LogContext {
            actor: actor.to_string(),
            id: id.to_string(),
        })
    }

    /// The engine's own entry for a consequence of this request (the `at-cap` sweep): actor
    /// `seatcap`, id `<request id>-<what>` (still at most 64 characters).
    pub fn consequence(&self, what: &str) -> LogContext {
        let keep = 64usize.saturating_sub(what.len() + 1).min(self.id.len());
        LogContext {
            actor: ENGINE_ACTOR.to_string(),
            id: format!("{}-{what}", self.id.get(..keep).unwrap_or_default()),
        }
    }
}

/// Who the log names for what the engine did on its own account (R5 `at-cap`).
pub const ENGINE_ACTOR: &str = "seatcap";

/// The key of entry `seq`.
pub fn key(seq: u64) -> String {
    format!("{}s{seq:016}", keys::LOG_PREFIX)
}

/// What was asked, as the SPEC event (or extension op) that asks it. Serialised
/// with derives, not `serde_json::Value`: a `Value` serialiser costs ~20 KB of wasm.
#[derive(Debug, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Logged<'a> {
    Connect {
        account: &'a AccountId,
        feature: &'a Feature,
    },
    Set {
        node: String,
        feature: &'a Feature,
        value: Setting,
    },
    #[serde(rename_all = "camelCase")]
    Licence {
        licence: &'a Licence,
        signed_by: &'a Option<String>,
        /// An administrator installed an older or expired licence on purpose.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        force: bool,
    },
    Create {
        account: &'a AccountId,
        #[serde(rename = "type")]
        kind: AccountType,
        class: &'a Option<ClassName>,
        settings: &'a Settings,
    },
    Delete {
        account: &'a AccountId,
    },
    SetType {
        account: &'a AccountId,
        #[serde(rename = "type")]
        kind: AccountType,
    },
    RestoreCapped {
        feature: &'a Feature,
    },
    CreateDomain {
        domain: &'a DomainName,
        settings: &'a Settings,
    },
    CreateClass {
        domain: &'a DomainName,
        class: &'a ClassName,
        settings: &'a Settings,
    },
    /// R5 `at-cap`: the engine capped every other eligible account when the last seat was taken.
    AtCap,
    /// An import records what was asked and how many keys it wrote, not every key.
    #[serde(rename_all = "camelCase")]
    Import {
        replace: bool,
        keys_written: usize,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        force: bool,
    },
}

impl<'a> Logged<'a> {
    pub fn of(request: &'a Request) -> Self {
        match request {
            Request::Connect { account, feature } => Logged::Connect { account, feature },
            Request::Set {
                node,
                feature,
                value,
            } => Logged::Set {
                node: node.to_string(),
                feature,
                value: *value,
            },
            Request::SetLicence { licence, admission } => Logged::Licence {
                licence,
                signed_by: &admission.signed_by,
                force: admission.force,
            },
            Request::Create {
                account,
                kind,
                class,
                settings,
            } => Logged::Create {
                account,
                kind: *kind,
                class,
                settings,
            },
            Request::Delete { account } => Logged::Delete { account },
            Request::SetType { account, kind } => Logged::SetType {
                account,
                kind: *kind,
            },
            Request::RestoreCapped { feature } => Logged::RestoreCapped { feature },
            Request::CreateDomain { domain, settings } => Logged::CreateDomain { domain, settings },
            Request::CreateClass {
                domain,
                class,
                settings,
            } => Logged::CreateClass {
                domain,
                class,
                settings,
            },
        }
    }
}

#[derive(Serialize)]
struct Entry<'a> {
    /// Commit order: one more than the entry committed before it.
    seq: u64,
    id: &'a str,
    at: Timestamp,
    actor: &'a str,
    request: Logged<'a>,
    domains: Vec<String>,
    seats: Vec<Moved<'a>>,
}

#[derive(Serialize)]
struct Moved<'a> {
    feature: &'a str,
    account: &'a str,
    change: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<Via>,
}

/// The node a directory key stores, as SPEC writes nodes.
fn node_of(key: &str) -> Option<String> {
    if key == keys::SERVER || key == keys::LICENCE || key == keys::POLICY {
        return Some(key.to_string());
    }
    let (kind, rest) = key.split_once('/')?;
    match kind {
        "domain" => Some(format!("domain:{rest}")),
        "class" => Some(format!("class:{rest}")),
        "account" => Some(format!("account:{rest}")),
        _ => None,
    }
}

/// Whether a write changes what administrators configure (and so is logged).
fn is_directory_key(key: &str) -> bool {
    node_of(key).is_some()
}

/// `{"node": …, "before": …, "after": …}`: a changed node with its stored values (`null`: absent)
/// embedded as stored. Written by hand: serde's `RawValue` would pull float formatting (~14 KB)
/// into the wasm.
fn change_json(node: &str, before: Option<&Record>, after: Option<&Record>) -> String {
    let stored = |r: Option<&Record>| r.map_or_else(|| "null".to_string(), Record::to_json);
    let mut out = String::from("{\"node\":");
    out.push_str(&serde_json::to_string(node).unwrap_or_default());
    out.push_str(",\"before\":");
    out.push_str(&stored(before));
    out.push_str(",\"after\":");
    out.push_str(&stored(after));
    out.push('}');
    out
}

/// The entry for a request's writes, or `None` when it changed nothing an administrator configures.
/// `before` answers each written key's value as the request read it.
pub fn entry(
    context: &LogContext,
    seq: u64,
    at: Timestamp,
    request: Logged<'_>,
    writes: &Writes,
    before: impl Fn(&str) -> Option<Record>,
) -> Option<(String, Record)> {
    let silent = match request {
        Logged::Connect { .. } => !writes.keys().any(|k| is_directory_key(k)),
        // An import's entry summarises its writes instead of listing them.
        Logged::Import { .. } => false,
        _ => writes.is_empty(),
    };
    if silent {
        return None;
    }
    let listed = if matches!(request, Logged::Import { .. }) {
        None
    } else {
        Some(writes)
    };
    let mut changes = Vec::new();
    let mut seats = Vec::new();
    let mut domains: Vec<String> = Vec::new();
    let mut note_domain = |domain: &str| {
        if !domains.iter().any(|d| d == domain) {
            domains.push(domain.to_string());
        }
    };
    for (key, after) in listed.into_iter().flatten() {
        let old = before(key);
        if let Some(node) = node_of(key) {
            match Node::parse(&node) {
                Ok(Node::Account(id)) => note_domain(id.domain().as_str()),
                Ok(Node::Domain(d) | Node::Class(d, _)) => note_domain(d.as_str()),
                _ => {}
            }
            changes.push(change_json(&node, old.as_ref(), after.as_ref()));
            continue;
        }
        // `holder/<f>/<id>`, `wait/<f>/<id>`, `capped/<f>/<id>`: seats and markers that moved.
        let mut parts = key.splitn(3, '/');
        let (Some(range), Some(feature), Some(account)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let change = match (range, old.is_some(), after.is_some()) {
            ("holder", false, true) => "claimed",
            ("holder", true, false) => "released",
            ("wait", false, true) => "waitlisted",
            ("wait", true, false) => "left-waitlist",
            ("capped", false, true) => "capped",
            ("capped", true, false) => "uncapped",
            _ => continue,
        };
        if let Ok(id) = AccountId::parse(account) {
            note_domain(id.domain().as_str());
        }
        let via = match after {
            Some(Record::Holder(h)) => Some(h.via),
            _ => None,
        };
        seats.push(Moved {
            feature,
            account,
            change,
            via,
        });
    }
    domains.sort();
    let entry = Entry {
        seq,
        id: &context.id,
        at,
        actor: &context.actor,
        request,
        domains,
        seats,
    };
    // Strings and integers only: serialising cannot fail. `changes` goes in before the closing brace.
    let mut text = serde_json::to_string(&entry).unwrap_or_default();
    text.pop();
    text.push_str(",\"changes\":[");
    text.push_str(&changes.join(","));
    text.push_str("]}");
    Some((key(seq), Record::Log(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_sequence_and_after_the_time_keyed_entries_of_older_stores() {
        assert!(key(9) < key(10) && key(10) < key(1_000_000), "zero-padded");
        let old_style = "log/0063911059200000/abc";
        assert!(
            old_style < key(1).as_str(),
            "entries from before sequence numbers list first"
        );
    }

    #[test]
    fn contexts_are_checked() {
        assert!(LogContext::new("admin", "abc-1_2").is_ok());
        assert!(LogContext::new("", "x").is_err());
        assert!(
            LogContext::new("admin", "a/b").is_err(),
            "an id can't break the key layout"
        );
        assert!(LogContext::new("admin", &"x".repeat(65)).is_err());
    }
}
