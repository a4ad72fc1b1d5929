//! The what-if scenario file (SPEC "Scenario file"): parsing, validation and
//! loading into a [`MemoryState`].
//!
//! A problem in `licence`, `policy`, `directory` or the recorded state
//! rejects the whole scenario with one line naming the field; a problem in an
//! event only makes that event answer `invalid-input` (see [`parse_event`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::keys::{self, AccountRec, CappedRec, CountRec, HolderRec, NodeRec, Record, SeatsRec, WaiterRec};
use crate::memory::MemoryState;
use crate::model::{AccountId, AccountType, ClassName, DomainName, Feature, Licence, Node, Policy, Setting, Settings, Via};
use crate::resolve::resolve_in;
use crate::rules::Request;
use crate::time::{Timestamp, DEFAULT_START};
use crate::tx::{Tx, Writes};

/// The most accounts a scenario may hold (explicit plus generated): far
/// beyond any mail domain, and a clear error instead of exhausted memory.
pub const MAX_ACCOUNTS: u64 = 10_000_000;

/// A scenario file as written, before cross-field checks.
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "Scenario"))]
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub licence: Licence,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Policy>", optional))]
    pub policy: Policy,
    pub directory: DirectoryFile,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(test, ts(as = "Option<BTreeMap<Feature, RecordedSeats>>", optional))]
    pub seats: BTreeMap<Feature, RecordedSeats>,
    #[serde(default)]
    #[cfg_attr(test, ts(type = "Array<ScenarioEvent>", optional))]
    pub events: Vec<Box<RawValue>>,
}

/// The events of a scenario, for the generated TypeScript types only: the
/// engine reads each event itself ([`parse_event`]) so one bad event does not
/// reject the scenario.
#[cfg(test)]
#[allow(dead_code)]
#[derive(ts_rs::TS)]
#[ts(export, export_to = "../js/src/generated/", tag = "op", rename_all = "kebab-case")]
enum ScenarioEvent {
    Connect {
        account: String,
        feature: String,
        #[ts(optional)]
        at: Option<String>,
    },
    Set {
        /// `server`, `domain:<name>`, `class:<domain>/<name>` or `account:<id>`.
        node: String,
        feature: String,
        value: Setting,
        #[ts(optional)]
        at: Option<String>,
    },
    Licence {
        licence: Licence,
        #[ts(optional)]
        at: Option<String>,
    },
    Create {
        account: String,
        #[ts(optional, rename = "type")]
        kind: Option<AccountType>,
        #[ts(optional)]
        class: Option<String>,
        #[ts(optional)]
        settings: Option<Settings>,
        #[ts(optional)]
        at: Option<String>,
    },
    Delete {
        account: String,
        #[ts(optional)]
        at: Option<String>,
    },
    SetType {
        account: String,
        #[ts(rename = "type")]
        kind: AccountType,
        #[ts(optional)]
        at: Option<String>,
    },
    RestoreCapped {
        feature: String,
        #[ts(optional)]
        at: Option<String>,
    },
}

#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "Directory"))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryFile {
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Settings>", optional))]
    pub server: Settings,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<BTreeMap<String, DomainFile>>", optional))]
    pub domains: BTreeMap<String, DomainFile>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Vec<AccountFile>>", optional))]
    pub accounts: Vec<AccountFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<GenerateFile>>", optional))]
    pub generate: Vec<GenerateFile>,
}

#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "DomainConfig"))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DomainFile {
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Settings>", optional))]
    pub settings: Settings,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<BTreeMap<ClassName, ClassFile>>", optional))]
    pub classes: BTreeMap<ClassName, ClassFile>,
}

#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "ClassConfig"))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClassFile {
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Settings>", optional))]
    pub settings: Settings,
}

#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "AccountConfig"))]
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFile {
    pub id: AccountId,
    #[serde(rename = "type", default)]
    #[cfg_attr(test, ts(as = "Option<AccountType>", optional))]
    pub kind: AccountType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub class: Option<ClassName>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Settings>", optional))]
    pub settings: Settings,
    /// Recorded state: feature → when its capped marker was written.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(test, ts(as = "Option<BTreeMap<Feature, Timestamp>>", optional))]
    pub capped: BTreeMap<Feature, Timestamp>,
}

/// `<prefix>1@domain` … `<prefix>N@domain`.
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "Generate"))]
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateFile {
    pub domain: DomainName,
    #[cfg_attr(test, ts(type = "number"))]
    pub count: u64,
    pub prefix: String,
    #[serde(rename = "type", default)]
    #[cfg_attr(test, ts(as = "Option<AccountType>", optional))]
    pub kind: AccountType,
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub class: Option<ClassName>,
}

#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedSeats {
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Vec<RecordedHolder>>", optional))]
    pub holders: Vec<RecordedHolder>,
    #[serde(default)]
    #[cfg_attr(test, ts(as = "Option<Vec<AccountId>>", optional))]
    pub waitlist: Vec<AccountId>,
}

#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecordedHolder {
    pub account: AccountId,
    pub since: Timestamp,
    pub via: Via,
    pub last_seen: Timestamp,
}

/// A scenario rejected as a whole: `path` names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ScenarioError {
    pub path: String,
    pub message: String,
}

fn reject(path: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError { path: path.into(), message: message.into() }
}

/// Deserialises with the failing field's path in the error (`licence.features.x.seats`).
fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        (if path == "." { String::new() } else { path }, strip_position(&inner))
    })?;
    de.end().map_err(|e| (String::new(), strip_position(&e)))?;
    Ok(value)
}

/// serde_json appends "at line L column C", which says nothing once the path
/// is known; for text that is not JSON at all the position is what helps.
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match (e.classify(), text.rfind(" at line ")) {
        (serde_json::error::Category::Data, Some(i)) => text.get(..i).unwrap_or(&text).to_string(),
        (serde_json::error::Category::Data, None) => text,
        _ => format!("not valid JSON: {text}"),
    }
}

/// A parsed, validated scenario, ready to run.
pub struct Scenario {
    pub state: MemoryState,
    pub licence: Licence,
    pub events: Vec<Box<RawValue>>,
    /// Time of the first event without `at` (SPEC "Default times").
    pub start: Timestamp,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/", rename = "ScenarioSummary"))]
pub struct Summary {
    #[cfg_attr(test, ts(type = "number"))]
    pub domains: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub classes: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub accounts: u64,
    pub features: Vec<Feature>,
    #[cfg_attr(test, ts(type = "number"))]
    pub events: u64,
}

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        // serde would also read a struct from a JSON array; a scenario is an object.
        if text.trim_start().starts_with('[') {
            return Err(reject("scenario", "expected a JSON object, found an array"));
        }
        let file: ScenarioFile = parse_json(text).map_err(|(path, message)| {
            if path.is_empty() {
                reject("scenario", message)
            } else {
                reject(path, message)
            }
        })?;
        Scenario::load(file)
    }

    fn load(file: ScenarioFile) -> Result<Scenario, ScenarioError> {
        let mut w = Writes::new();
        fn put(w: &mut Writes, key: String, record: Record) {
            w.insert(key, Some(record));
        }
        put(&mut w, keys::LICENCE.into(), Record::Licence(file.licence.clone()));
        put(&mut w, keys::POLICY.into(), Record::Policy(file.policy));
        let dir = file.directory;

        if let Some((feature, _)) = dir.server.iter().find(|(_, v)| **v == Setting::Inherit) {
            return Err(reject(format!("directory.server.{feature}"), "the server's setting can't be `inherit`"));
        }
        put(&mut w, keys::SERVER.into(), Record::Node(NodeRec { settings: dir.server }));

        let mut domains: BTreeMap<DomainName, BTreeSet<ClassName>> = BTreeMap::new();
        let mut class_count = 0u64;
        for (name, domain) in dir.domains {
            let path = format!("directory.domains.{name}");
            let d = DomainName::parse(&name).map_err(|e| reject(&path, e))?;
            if domains.contains_key(&d) {
                return Err(reject(&path, format!("domain `{d}` is listed twice (names are compared lower-cased)")));
            }
            for (class, spec) in &domain.classes {
                put(&mut w, keys::class(&d, class), Record::Node(NodeRec { settings: spec.settings.clone() }));
            }
            class_count += domain.classes.len() as u64;
            put(&mut w, keys::domain(&d), Record::Node(NodeRec { settings: domain.settings }));
            domains.insert(d, domain.classes.into_keys().collect());
        }

        let place = |path: &str, id: &AccountId, class: &Option<ClassName>| -> Result<(), ScenarioError> {
            let d = id.domain();
            let classes = domains
                .get(&d)
                .ok_or_else(|| reject(format!("{path}.id"), format!("domain `{d}` is not in directory.domains")))?;
            match class {
                Some(c) if !classes.contains(c) => Err(reject(format!("{path}.class"), format!("domain `{d}` has no class `{c}`"))),
                _ => Ok(()),
            }
        };

        let total: u64 = (dir.accounts.len() as u64).saturating_add(dir.generate.iter().map(|g| g.count).fold(0, u64::saturating_add));
        if total > MAX_ACCOUNTS {
            return Err(reject("directory", format!("{total} accounts is more than the {MAX_ACCOUNTS} a scenario may hold")));
        }
        let mut latest: Option<Timestamp> = None;
        for (i, account) in dir.accounts.into_iter().enumerate() {
            let path = format!("directory.accounts[{i}]");
            place(&path, &account.id, &account.class)?;
            let key = keys::account(&account.id);
            if w.contains_key(&key) {
                return Err(reject(format!("{path}.id"), format!("account `{}` is listed twice", account.id)));
            }
            for (feature, at) in &account.capped {
                if account.settings.get(feature) != Some(&Setting::Disabled) {
                    return Err(reject(format!("{path}.capped.{feature}"), "a capped feature's setting must be `disabled`"));
                }
                latest = latest.max(Some(*at));
                put(&mut w, keys::capped(feature, &account.id), Record::Capped(CappedRec { at: *at }));
            }
            let settings = account.settings.into_iter().filter(|(_, v)| *v != Setting::Inherit).collect();
            let rec = AccountRec { kind: account.kind, class: account.class, settings, capped: account.capped };
            put(&mut w, key, Record::Account(rec));
        }
        for (i, g) in dir.generate.into_iter().enumerate() {
            let path = format!("directory.generate[{i}]");
            for n in 1..=g.count {
                let id = AccountId::parse(&format!("{}{n}@{}", g.prefix, g.domain))
                    .map_err(|e| reject(format!("{path}.prefix"), e))?;
                if n == 1 {
                    place(&path, &id, &g.class).map_err(|e| if e.path.ends_with(".id") { reject(format!("{path}.domain"), e.message) } else { e })?;
                }
                let key = keys::account(&id);
                if w.contains_key(&key) {
                    return Err(reject(&path, format!("generated account `{id}` is already in the directory")));
                }
                put(&mut w, key, Record::Account(AccountRec { kind: g.kind, class: g.class.clone(), settings: Settings::new(), capped: BTreeMap::new() }));
            }
        }
        put(&mut w, keys::ACCOUNTS.into(), Record::Count(CountRec { count: total }));
        let mut state = MemoryState::new();
        state.apply(w);

        let mut w = Writes::new();
        {
            let tx = Tx::new(&state);
            for (feature, recorded) in &file.seats {
                let path = format!("seats.{feature}");
                if !file.licence.features.contains_key(feature) {
                    return Err(reject(&path, format!("`{feature}` is not a feature of the licence")));
                }
                let mut header = SeatsRec::default();
                for (i, h) in recorded.holders.iter().enumerate() {
                    let path = format!("{path}.holders[{i}].account");
                    let account = tx.account(&h.account).ok().flatten().ok_or_else(|| reject(&path, format!("no account `{}`", h.account)))?;
                    if account.kind != AccountType::Premium {
                        return Err(reject(&path, format!("`{}` is basic; only premium accounts hold seats", h.account)));
                    }
                    let enabled = resolve_in(&tx, &h.account, &account, feature).map(|r| r.effective == Setting::Enabled).unwrap_or(false);
                    if !enabled {
                        return Err(reject(&path, format!("`{}` does not resolve to enabled for `{feature}`", h.account)));
                    }
                    let key = keys::holder(feature, &h.account);
                    if w.contains_key(&key) {
                        return Err(reject(&path, format!("`{}` holds a seat twice", h.account)));
                    }
                    latest = latest.max(Some(h.since)).max(Some(h.last_seen));
                    put(&mut w, key, Record::Holder(HolderRec { seq: header.next_seq, since: h.since, via: h.via, last_seen: h.last_seen }));
                    header.next_seq += 1;
                    header.holders += 1;
                }
                for (i, id) in recorded.waitlist.iter().enumerate() {
                    let path = format!("{path}.waitlist[{i}]");
                    if tx.account(id).ok().flatten().is_none() {
                        return Err(reject(&path, format!("no account `{id}`")));
                    }
                    if w.contains_key(&keys::holder(feature, id)) {
                        return Err(reject(&path, format!("`{id}` holds a seat and can't also wait for one")));
                    }
                    let key = keys::waiter(feature, id);
                    if w.contains_key(&key) {
                        return Err(reject(&path, format!("`{id}` is on the waitlist twice")));
                    }
                    put(&mut w, key, Record::Waiter(WaiterRec { seq: header.next_wait }));
                    header.next_wait += 1;
                    header.waiting += 1;
                }
                put(&mut w, keys::seats(feature), Record::Seats(header));
            }
        }
        state.apply(w);

        let summary = Summary {
            domains: domains.len() as u64,
            classes: class_count,
            accounts: total,
            features: file.licence.features.keys().cloned().collect(),
            events: file.events.len() as u64,
        };
        Ok(Scenario {
            state,
            licence: file.licence,
            events: file.events,
            start: latest.map_or(DEFAULT_START, |t| t.plus_seconds(1)),
            summary,
        })
    }
}

/// One event as read: its time (when it had a valid one) and the request, or
/// why it is `invalid-input`.
pub struct ParsedEvent {
    pub at: Option<Timestamp>,
    pub is_connect: bool,
    pub request: Result<Request, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectEvent {
    account: AccountId,
    feature: Feature,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetEvent {
    node: Node,
    feature: Feature,
    value: Setting,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LicenceEvent {
    licence: Licence,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateEvent {
    account: AccountId,
    #[serde(rename = "type", default)]
    kind: AccountType,
    #[serde(default)]
    class: Option<ClassName>,
    #[serde(default)]
    settings: Settings,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEvent {
    account: AccountId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetTypeEvent {
    account: AccountId,
    #[serde(rename = "type")]
    kind: AccountType,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureEvent {
    feature: Feature,
}

/// Reads one event. `op` and `at` are taken first, so an event with a good
/// `at` but a bad field still keeps its time on the clock.
pub fn parse_event(raw: &RawValue) -> ParsedEvent {
    let mut fields: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(raw.get()) {
        Ok(map) => map,
        Err(_) => return ParsedEvent { at: None, is_connect: false, request: Err("an event must be a JSON object".into()) },
    };
    let op = fields.remove("op");
    let is_connect = op.as_ref().and_then(|v| v.as_str()) == Some("connect");
    let (at, at_error) = match fields.remove("at") {
        None | Some(serde_json::Value::Null) => (None, None),
        Some(serde_json::Value::String(text)) => match Timestamp::parse(&text) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(format!("at: {e}"))),
        },
        Some(_) => (None, Some("at: expected an ISO-8601 time string".to_string())),
    };
    let request = match at_error {
        Some(e) => Err(e),
        None => request_of(op, fields),
    };
    ParsedEvent { at, is_connect, request }
}

fn request_of(op: Option<serde_json::Value>, fields: serde_json::Map<String, serde_json::Value>) -> Result<Request, String> {
    fn body<T: DeserializeOwned>(fields: serde_json::Map<String, serde_json::Value>) -> Result<T, String> {
        serde_path_to_error::deserialize(serde_json::Value::Object(fields)).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." { strip_position(&inner) } else { format!("{path}: {}", strip_position(&inner)) }
        })
    }
    let op = match op {
        Some(serde_json::Value::String(op)) => op,
        Some(_) => return Err("op: expected a string".into()),
        None => return Err("missing field `op`".into()),
    };
    Ok(match op.as_str() {
        "connect" => body::<ConnectEvent>(fields).map(|e| Request::Connect { account: e.account, feature: e.feature })?,
        "set" => {
            let e = body::<SetEvent>(fields)?;
            if e.node == Node::Server && e.value == Setting::Inherit {
                return Err("value: the server's setting can't be `inherit`".into());
            }
            Request::Set { node: e.node, feature: e.feature, value: e.value }
        }
        "licence" => body::<LicenceEvent>(fields).map(|e| Request::SetLicence { licence: e.licence })?,
        "create" => body::<CreateEvent>(fields)
            .map(|e| Request::Create { account: e.account, kind: e.kind, class: e.class, settings: e.settings })?,
        "delete" => body::<AccountEvent>(fields).map(|e| Request::Delete { account: e.account })?,
        "set-type" => body::<SetTypeEvent>(fields).map(|e| Request::SetType { account: e.account, kind: e.kind })?,
        "restore-capped" => body::<FeatureEvent>(fields).map(|e| Request::RestoreCapped { feature: e.feature })?,
        other => return Err(format!("unknown op `{other}`")),
    })
}
