//! The what-if scenario file (SPEC "Scenario file"): parsing, validation and
//! loading into a [`MemoryState`].
//!
//! A problem in `licence`, `policy`, `directory` or the recorded state
//! rejects the whole scenario with one line naming the field; a problem in an
//! event only makes that event answer `invalid-input` (see [`parse_event`]).

use serde::Serialize;
use serde_json::Value;

use crate::input::{self, At, Invalid, Path};
use crate::keys::{
    self, AccountRec, CappedRec, CountRec, HolderRec, NodeRec, Record, SeatsRec, WaiterRec,
};
use crate::memory::MemoryState;
use crate::model::{
    AccountId, AccountType, ClassName, DomainName, Feature, Licence, Node, Policy, Setting,
    Settings, Via,
};
use crate::resolve::resolve_in;
use crate::rules::Request;
use crate::split;
use crate::time::{Timestamp, DEFAULT_START};
use crate::tx::{Tx, Writes};
use crate::vecmap::VecMap;

/// The most accounts a scenario may hold (explicit plus generated): far
/// beyond any mail domain, and a clear error instead of exhausted memory.
pub const MAX_ACCOUNTS: u64 = 10_000_000;

/// What a scenario's accounts may need in memory while it runs: half of wasm32's 4 GiB, since
/// the allocator grows geometrically and the outcome is copied out to the host.
pub const MEMORY_BUDGET: u64 = 2 << 30;

/// Memory one account needs in a run, measured (Node, `simulate` of a generated directory,
/// resident memory per account at 100,000–400,000 accounts): ~1,100 bytes with a short id, ~4
/// per character of its id, ~128 per licence feature after the first. With 12-character ids
/// and one feature, the budget holds ~1.87 million accounts.
pub fn account_memory(id_len: u64, features: u64) -> u64 {
    1_100 + 4 * id_len + 128 * features.saturating_sub(1)
}

/// Decimal digits of `n` (an id's number part).
fn digits(mut n: u64) -> u64 {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// A scenario file (SPEC "Scenario file"): licence, policy and directory at
/// the start, optional recorded state, and the events to run.
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "Scenario")
)]
#[derive(Debug, Serialize)]
pub struct ScenarioFile {
    pub licence: Licence,
    #[cfg_attr(test, ts(as = "Option<Policy>", optional))]
    pub policy: Policy,
    pub directory: DirectoryFile,
    #[serde(skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        test,
        ts(
            as = "Option<std::collections::BTreeMap<Feature, RecordedSeats>>",
            optional
        )
    )]
    pub seats: VecMap<Feature, RecordedSeats>,
    #[cfg_attr(test, ts(as = "Option<Vec<ScenarioEvent>>", optional))]
    pub events: Vec<Value>,
}

/// The events of a scenario, for the generated TypeScript types only: the
/// engine reads each event itself ([`parse_event`]) so one bad event does not
/// reject the scenario.
#[cfg(test)]
#[allow(dead_code)]
#[derive(ts_rs::TS)]
#[ts(
    export,
    export_to = "../js/src/generated/",
    tag = "op",
    rename_all = "kebab-case"
)]
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
        settings: Option<std::collections::BTreeMap<Feature, Setting>>,
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

#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "Directory")
)]
#[derive(Debug, Default, Serialize)]
pub struct DirectoryFile {
    #[cfg_attr(
        test,
        ts(as = "Option<std::collections::BTreeMap<Feature, Setting>>", optional)
    )]
    pub server: Settings,
    #[cfg_attr(
        test,
        ts(
            as = "Option<std::collections::BTreeMap<String, DomainFile>>",
            optional
        )
    )]
    pub domains: VecMap<String, DomainFile>,
    #[cfg_attr(test, ts(as = "Option<Vec<AccountFile>>", optional))]
    pub accounts: Vec<AccountFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<GenerateFile>>", optional))]
    pub generate: Vec<GenerateFile>,
}

#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "DomainConfig")
)]
#[derive(Debug, Default, Serialize)]
pub struct DomainFile {
    #[cfg_attr(
        test,
        ts(as = "Option<std::collections::BTreeMap<Feature, Setting>>", optional)
    )]
    pub settings: Settings,
    #[cfg_attr(
        test,
        ts(
            as = "Option<std::collections::BTreeMap<ClassName, ClassFile>>",
            optional
        )
    )]
    pub classes: VecMap<ClassName, ClassFile>,
}

#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "ClassConfig")
)]
#[derive(Debug, Default, Serialize)]
pub struct ClassFile {
    #[cfg_attr(
        test,
        ts(as = "Option<std::collections::BTreeMap<Feature, Setting>>", optional)
    )]
    pub settings: Settings,
}

#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "AccountConfig")
)]
#[derive(Debug, Serialize)]
pub struct AccountFile {
    pub id: AccountId,
    #[serde(rename = "type")]
    #[cfg_attr(test, ts(as = "Option<AccountType>", optional))]
    pub kind: AccountType,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub class: Option<ClassName>,
    #[cfg_attr(
        test,
        ts(as = "Option<std::collections::BTreeMap<Feature, Setting>>", optional)
    )]
    pub settings: Settings,
    /// Recorded state: feature → when its capped marker was written.
    #[serde(skip_serializing_if = "VecMap::is_empty")]
    #[cfg_attr(
        test,
        ts(
            as = "Option<std::collections::BTreeMap<Feature, Timestamp>>",
            optional
        )
    )]
    pub capped: VecMap<Feature, Timestamp>,
}

/// `<prefix>1@domain` … `<prefix>N@domain`.
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "Generate")
)]
#[derive(Debug, Serialize)]
pub struct GenerateFile {
    pub domain: DomainName,
    #[cfg_attr(test, ts(type = "number"))]
    pub count: u64,
    pub prefix: String,
    #[serde(rename = "type")]
    #[cfg_attr(test, ts(as = "Option<AccountType>", optional))]
    pub kind: AccountType,
    #[cfg_attr(test, ts(optional))]
    pub class: Option<ClassName>,
}

#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[derive(Debug, Default, Serialize)]
pub struct RecordedSeats {
    #[cfg_attr(test, ts(as = "Option<Vec<RecordedHolder>>", optional))]
    pub holders: Vec<RecordedHolder>,
    #[cfg_attr(test, ts(as = "Option<Vec<AccountId>>", optional))]
    pub waitlist: Vec<AccountId>,
}

#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
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
    ScenarioError {
        path: path.into(),
        message: message.into(),
    }
}

/// A rejected scenario as an engine error: `invalid-input`, the one line as message.
impl From<ScenarioError> for crate::error::Error {
    fn from(e: ScenarioError) -> Self {
        crate::error::Error::invalid(e.to_string())
    }
}

impl From<Invalid> for ScenarioError {
    fn from(e: Invalid) -> Self {
        ScenarioError {
            path: if e.path.is_empty() {
                "scenario".into()
            } else {
                e.path
            },
            message: e.message,
        }
    }
}

/// Splits a JSON object into its fields, unparsed, refusing unknown and repeated ones.
fn raw_fields<'t>(
    text: &'t str,
    path: &str,
    allowed: &[&str],
) -> Result<VecMap<String, &'t str>, ScenarioError> {
    let entries = split::object(text).map_err(|why| reject(path, why))?;
    let mut fields = VecMap::new();
    for (key, value) in entries {
        if !allowed.contains(&key.as_str()) {
            let list = allowed
                .iter()
                .map(|a| format!("`{a}`"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(reject(
                path,
                format!("unknown field `{key}`, expected one of {list}"),
            ));
        }
        if fields.insert(key.clone(), value).is_some() {
            return Err(reject(path, format!("field `{key}` appears twice")));
        }
    }
    Ok(fields)
}

/// Parses one raw field into a `Value`; `null` is absent.
fn value_of(raw: Option<&str>, path: &str) -> Result<Option<Value>, ScenarioError> {
    match raw.map(serde_json::from_str::<Value>) {
        None | Some(Ok(Value::Null)) => Ok(None),
        Some(Ok(v)) => Ok(Some(v)),
        Some(Err(e)) => Err(reject(path, format!("not valid JSON: {e}"))),
    }
}

/// A JSON array of raw items (events, accounts), each parsed only when used.
fn raw_items<'t>(raw: Option<&'t str>, path: &str) -> Result<Vec<&'t str>, ScenarioError> {
    match raw {
        None | Some("null") => Ok(Vec::new()),
        Some(r) => split::array(r).map_err(|why| reject(path, why)),
    }
}

fn required(value: Option<Value>, parent: &str, name: &str) -> Result<Value, ScenarioError> {
    value.ok_or_else(|| reject(parent, format!("missing field `{name}`")))
}

/// Reads a scenario file. Accounts and events stay raw until used, so a
/// million of them never sit in memory as a JSON tree.
pub fn read_file(text: &str) -> Result<(ScenarioFile, Vec<&str>), ScenarioError> {
    let top = raw_fields(
        text,
        "scenario",
        &["licence", "policy", "directory", "seats", "events"],
    )?;
    // One pass per part bounds the nesting of all parsed later; each event bounds its own
    // (`parse_event`), so a deeply nested event is that event's problem only.
    for (name, raw) in top.iter().filter(|(name, _)| name.as_str() != "events") {
        split::depth_within(raw).map_err(|why| reject(name.as_str(), why))?;
    }
    let get = |name: &str| top.get(name).copied();
    let licence_value = required(value_of(get("licence"), "licence")?, "scenario", "licence")?;
    let licence = input::licence(At::root(&licence_value, "licence"))?;
    let policy = match value_of(get("policy"), "policy")? {
        Some(v) => input::policy(At::root(&v, "policy"))?,
        None => Policy::default(),
    };
    let directory_raw = get("directory")
        .filter(|r| *r != "null")
        .ok_or_else(|| reject("scenario", "missing field `directory`"))?;
    let directory = read_directory(directory_raw)?;
    let seats = match value_of(get("seats"), "seats")? {
        Some(v) => read_seats(At::root(&v, "seats"))?,
        None => VecMap::new(),
    };
    let events = raw_items(get("events"), "events")?;
    Ok((
        ScenarioFile {
            licence,
            policy,
            directory,
            seats,
            events: Vec::new(),
        },
        events,
    ))
}

fn read_directory(text: &str) -> Result<DirectoryFile, ScenarioError> {
    let dir = raw_fields(
        text,
        "directory",
        &["server", "domains", "accounts", "generate"],
    )?;
    let get = |name: &str| dir.get(name).copied();
    let mut out = DirectoryFile::default();
    if let Some(v) = value_of(get("server"), "directory.server")? {
        out.server = input::settings(At::root(&v, "directory.server"))?;
    }
    if let Some(v) = value_of(get("domains"), "directory.domains")? {
        for (name, domain) in At::root(&v, "directory.domains").entries()? {
            domain.object(&["settings", "classes"])?;
            let mut file = DomainFile::default();
            if let Some(s) = domain.field("settings") {
                file.settings = input::settings(s)?;
            }
            if let Some(classes) = domain.field("classes") {
                for (class, spec) in classes.entries()? {
                    spec.object(&["settings"])?;
                    let settings = spec
                        .field("settings")
                        .map(input::settings)
                        .transpose()?
                        .unwrap_or_default();
                    file.classes
                        .insert(spec.key(class, ClassName::parse)?, ClassFile { settings });
                }
            }
            out.domains.insert(name.to_string(), file);
        }
    }
    let list = Path::Root("directory.accounts");
    for (i, raw) in raw_items(get("accounts"), "directory.accounts")?
        .iter()
        .enumerate()
    {
        let value: Value = serde_json::from_str(raw).map_err(|e| {
            reject(
                format!("directory.accounts[{i}]"),
                format!("not valid JSON: {e}"),
            )
        })?;
        out.accounts.push(read_account(At {
            value: &value,
            path: Path::Index(&list, i),
        })?);
    }
    if let Some(v) = value_of(get("generate"), "directory.generate")? {
        for g in At::root(&v, "directory.generate").items()? {
            g.object(&["domain", "count", "prefix", "type", "class"])?;
            out.generate.push(GenerateFile {
                domain: g.req("domain")?.name(DomainName::parse)?,
                count: g.req("count")?.count()?,
                prefix: g.req("prefix")?.str()?.to_string(),
                kind: g
                    .field("type")
                    .map(|t| t.choice())
                    .transpose()?
                    .unwrap_or_default(),
                class: g
                    .field("class")
                    .map(|c| c.name(ClassName::parse))
                    .transpose()?,
            });
        }
    }
    Ok(out)
}

fn read_account(a: At<'_>) -> Result<AccountFile, Invalid> {
    a.object(&["id", "type", "class", "settings", "capped"])?;
    Ok(AccountFile {
        id: a.req("id")?.name(AccountId::parse)?,
        kind: a
            .field("type")
            .map(|t| t.choice())
            .transpose()?
            .unwrap_or_default(),
        class: a
            .field("class")
            .map(|c| c.name(ClassName::parse))
            .transpose()?,
        settings: a
            .field("settings")
            .map(input::settings)
            .transpose()?
            .unwrap_or_default(),
        capped: a
            .field("capped")
            .map(input::capped)
            .transpose()?
            .unwrap_or_default(),
    })
}

fn read_seats(at: At<'_>) -> Result<VecMap<Feature, RecordedSeats>, Invalid> {
    let mut seats = VecMap::new();
    for (name, ledger) in at.entries()? {
        ledger.object(&["holders", "waitlist"])?;
        let mut recorded = RecordedSeats::default();
        if let Some(holders) = ledger.field("holders") {
            for h in holders.items()? {
                h.object(&["account", "since", "via", "lastSeen"])?;
                recorded.holders.push(RecordedHolder {
                    account: h.req("account")?.name(AccountId::parse)?,
                    since: h.req("since")?.time()?,
                    via: h.req("via")?.choice()?,
                    last_seen: h.req("lastSeen")?.time()?,
                });
            }
        }
        if let Some(waitlist) = ledger.field("waitlist") {
            for w in waitlist.items()? {
                recorded.waitlist.push(w.name(AccountId::parse)?);
            }
        }
        seats.insert(ledger.key(name, Feature::parse)?, recorded);
    }
    Ok(seats)
}

/// A parsed, validated scenario, ready to run.
pub struct Scenario<'t> {
    pub state: MemoryState,
    pub licence: Licence,
    /// Still the raw text of the file: each event is read when its turn comes.
    pub events: Vec<&'t str>,
    /// Time of the first event without `at` (SPEC "Default times").
    pub start: Timestamp,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "ScenarioSummary")
)]
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
    /// When the first event without `at` happens (SPEC "Default times").
    pub start: Timestamp,
}

impl<'t> Scenario<'t> {
    pub fn parse(text: &'t str) -> Result<Scenario<'t>, ScenarioError> {
        let (file, events) = read_file(text)?;
        Scenario::load(file, events)
    }

    /// Checks a scenario file and lays its directory and recorded state out as stored state.
    pub fn load(file: ScenarioFile, events: Vec<&'t str>) -> Result<Scenario<'t>, ScenarioError> {
        let mut w = Writes::new();
        fn put(w: &mut Writes, key: String, record: Record) {
            w.insert(key, Some(record));
        }
        put(
            &mut w,
            keys::LICENCE.into(),
            Record::Licence(file.licence.clone()),
        );
        put(&mut w, keys::POLICY.into(), Record::Policy(file.policy));
        let dir = file.directory;

        if let Some((feature, _)) = dir.server.iter().find(|(_, v)| **v == Setting::Inherit) {
            return Err(reject(
                format!("directory.server.{feature}"),
                "the server's setting can't be `inherit`",
            ));
        }
        put(
            &mut w,
            keys::SERVER.into(),
            Record::Node(NodeRec {
                settings: dir.server,
            }),
        );

        let mut domains: VecMap<DomainName, Vec<ClassName>> = VecMap::new();
        let mut class_count = 0u64;
        for (name, domain) in dir.domains {
            let path = format!("directory.domains.{name}");
            let d = DomainName::parse(&name).map_err(|e| reject(&path, e))?;
            if domains.contains_key(&d) {
                return Err(reject(
                    &path,
                    format!("domain `{d}` is listed twice (names are compared lower-cased)"),
                ));
            }
            for (class, spec) in &domain.classes {
                put(
                    &mut w,
                    keys::class(&d, class),
                    Record::Node(NodeRec {
                        settings: spec.settings.clone(),
                    }),
                );
            }
            class_count += domain.classes.len() as u64;
            put(
                &mut w,
                keys::domain(&d),
                Record::Node(NodeRec {
                    settings: domain.settings,
                }),
            );
            domains.insert(d, domain.classes.into_keys().collect::<Vec<_>>());
        }

        let place =
            |path: &str, id: &AccountId, class: &Option<ClassName>| -> Result<(), ScenarioError> {
                let d = id.domain();
                let classes = domains.get(&d).ok_or_else(|| {
                    reject(
                        format!("{path}.id"),
                        format!("domain `{d}` is not in directory.domains"),
                    )
                })?;
                match class {
                    Some(c) if !classes.contains(c) => Err(reject(
                        format!("{path}.class"),
                        format!("domain `{d}` has no class `{c}`"),
                    )),
                    _ => Ok(()),
                }
            };

        let total: u64 = (dir.accounts.len() as u64).saturating_add(
            dir.generate
                .iter()
                .map(|g| g.count)
                .fold(0, u64::saturating_add),
        );
        if total > MAX_ACCOUNTS {
            return Err(reject(
                "directory",
                format!("{total} accounts is more than the {MAX_ACCOUNTS} a scenario may hold"),
            ));
        }
        // Checked before any account is made, so a tiny file asking for millions fails at once.
        let features = file.licence.features.len() as u64;
        let listed = dir
            .accounts
            .iter()
            .map(|a| account_memory(a.id.as_str().len() as u64, features));
        let generated = dir.generate.iter().map(|g| {
            let id_len = (g.prefix.len() as u64)
                .saturating_add(digits(g.count))
                .saturating_add(1 + g.domain.as_str().len() as u64);
            g.count.saturating_mul(account_memory(id_len, features))
        });
        let need = listed.chain(generated).fold(0, u64::saturating_add);
        if need > MEMORY_BUDGET {
            let mb = |bytes: u64| bytes / 1_000_000;
            return Err(reject(
                "directory",
                format!(
                    "{total} accounts need about {} MB of memory to run, more than the {} MB a scenario may use (about {} bytes an account: fewer accounts, shorter ids or fewer features)",
                    mb(need),
                    mb(MEMORY_BUDGET),
                    need / total.max(1)
                ),
            ));
        }
        let mut latest: Option<Timestamp> = None;
        for (i, account) in dir.accounts.into_iter().enumerate() {
            let path = format!("directory.accounts[{i}]");
            place(&path, &account.id, &account.class)?;
            let key = keys::account(&account.id);
            if w.contains_key(&key) {
                return Err(reject(
                    format!("{path}.id"),
                    format!("account `{}` is listed twice", account.id),
                ));
            }
            for (feature, at) in &account.capped {
                if account.settings.get(feature) != Some(&Setting::Disabled) {
                    return Err(reject(
                        format!("{path}.capped.{feature}"),
                        "a capped feature's setting must be `disabled`",
                    ));
                }
                latest = latest.max(Some(*at));
                put(
                    &mut w,
                    keys::capped(feature, &account.id),
                    Record::Capped(CappedRec { at: *at }),
                );
            }
            let mut settings = account.settings;
            settings.retain(|_, v| *v != Setting::Inherit);
            let rec = AccountRec {
                kind: account.kind,
                class: account.class,
                settings,
                capped: account.capped,
            };
            put(&mut w, key, Record::Account(rec));
        }
        for (i, g) in dir.generate.into_iter().enumerate() {
            let path = format!("directory.generate[{i}]");
            if g.count == 0 {
                continue;
            }
            // The first and the longest id stand for all: only the number varies.
            let checked = |n: u64| {
                AccountId::parse(&format!("{}{n}@{}", g.prefix, g.domain))
                    .map_err(|e| reject(format!("{path}.prefix"), e))
            };
            let first = checked(1)?;
            checked(g.count)?;
            place(&path, &first, &g.class).map_err(|e| {
                if e.path.ends_with(".id") {
                    reject(format!("{path}.domain"), e.message)
                } else {
                    e
                }
            })?;
            let suffix = format!("1@{}", g.domain);
            let prefix = first
                .as_str()
                .strip_suffix(suffix.as_str())
                .unwrap_or_default()
                .to_string();
            let mut digits = itoa_buffer();
            for n in 1..=g.count {
                let number = itoa(&mut digits, n);
                let mut id = String::with_capacity(
                    prefix.len() + number.len() + 1 + g.domain.as_str().len(),
                );
                id.push_str(&prefix);
                id.push_str(number);
                id.push('@');
                id.push_str(g.domain.as_str());
                let id = AccountId::trusted(id);
                let key = keys::account(&id);
                if w.contains_key(&key) {
                    return Err(reject(
                        &path,
                        format!("generated account `{id}` is already in the directory"),
                    ));
                }
                put(
                    &mut w,
                    key,
                    Record::Account(AccountRec {
                        kind: g.kind,
                        class: g.class.clone(),
                        settings: Settings::new(),
                        capped: VecMap::new(),
                    }),
                );
            }
        }
        put(
            &mut w,
            keys::ACCOUNTS.into(),
            Record::Count(CountRec { count: total }),
        );
        let mut state = MemoryState::new();
        state.apply(w);

        let mut w = Writes::new();
        {
            let tx = Tx::new(&state);
            for (feature, recorded) in &file.seats {
                let path = format!("seats.{feature}");
                if !file.licence.features.contains_key(feature) {
                    return Err(reject(
                        &path,
                        format!("`{feature}` is not a feature of the licence"),
                    ));
                }
                let mut header = SeatsRec::default();
                for (i, h) in recorded.holders.iter().enumerate() {
                    let path = format!("{path}.holders[{i}].account");
                    let account = tx
                        .account(&h.account)
                        .ok()
                        .flatten()
                        .ok_or_else(|| reject(&path, format!("no account `{}`", h.account)))?;
                    if account.kind != AccountType::Premium {
                        return Err(reject(
                            &path,
                            format!("`{}` is basic; only premium accounts hold seats", h.account),
                        ));
                    }
                    let enabled = resolve_in(&tx, &h.account, &account, feature)
                        .map(|r| r.effective == Setting::Enabled)
                        .unwrap_or(false);
                    if !enabled {
                        return Err(reject(
                            &path,
                            format!(
                                "`{}` does not resolve to enabled for `{feature}`",
                                h.account
                            ),
                        ));
                    }
                    let key = keys::holder(feature, &h.account);
                    if w.contains_key(&key) {
                        return Err(reject(&path, format!("`{}` holds a seat twice", h.account)));
                    }
                    latest = latest.max(Some(h.since)).max(Some(h.last_seen));
                    put(
                        &mut w,
                        key,
                        Record::Holder(HolderRec {
                            seq: header.next_seq,
                            since: h.since,
                            via: h.via,
                            last_seen: h.last_seen,
                        }),
                    );
                    header.next_seq += 1;
                    header.holders += 1;
                }
                for (i, id) in recorded.waitlist.iter().enumerate() {
                    let path = format!("{path}.waitlist[{i}]");
                    if tx.account(id).ok().flatten().is_none() {
                        return Err(reject(&path, format!("no account `{id}`")));
                    }
                    if w.contains_key(&keys::holder(feature, id)) {
                        return Err(reject(
                            &path,
                            format!("`{id}` holds a seat and can't also wait for one"),
                        ));
                    }
                    let key = keys::waiter(feature, id);
                    if w.contains_key(&key) {
                        return Err(reject(&path, format!("`{id}` is on the waitlist twice")));
                    }
                    put(
                        &mut w,
                        key,
                        Record::Waiter(WaiterRec {
                            seq: header.next_wait,
                        }),
                    );
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
            events: events.len() as u64,
            start: latest.map_or(DEFAULT_START, |t| t.plus_seconds(1)),
        };
        Ok(Scenario {
            state,
            licence: file.licence,
            events,
            start: summary.start,
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

/// Reads one event. `op` and `at` are taken first, so an event with a good
/// `at` but a bad field still keeps its time on the clock.
pub fn parse_event(raw: &str) -> ParsedEvent {
    if let Err(why) = split::depth_within(raw) {
        return ParsedEvent {
            at: None,
            is_connect: false,
            request: Err(format!("event: {why}")),
        };
    }
    let value: Value = match serde_json::from_str(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return ParsedEvent {
                at: None,
                is_connect: false,
                request: Err("an event must be a JSON object".into()),
            }
        }
    };
    let event = At::root(&value, "");
    let op = value.get("op").and_then(Value::as_str);
    let (at, request) = match event.field("at").map(|t| t.time()).transpose() {
        Ok(at) => (at, request_of(event, op)),
        Err(e) => (None, Err(e)),
    };
    ParsedEvent {
        at,
        is_connect: op == Some("connect"),
        request: request.map_err(|e| e.to_string()),
    }
}

fn request_of(e: At<'_>, op: Option<&str>) -> Result<Request, Invalid> {
    let Some(op) = op else {
        return match e.value.get("op") {
            None => e.fail("missing field `op`"),
            Some(_) => e.req("op")?.fail("expected a string"),
        };
    };
    let account = |e: &At<'_>| e.req("account")?.name(AccountId::parse);
    let feature = |e: &At<'_>| e.req("feature")?.name(Feature::parse);
    Ok(match op {
        "connect" => {
            e.object(&["op", "at", "account", "feature"])?;
            Request::Connect {
                account: account(&e)?,
                feature: feature(&e)?,
            }
        }
        "set" => {
            e.object(&["op", "at", "node", "feature", "value"])?;
            let node = e.req("node")?.name(Node::parse)?;
            let value_at = e.req("value")?;
            let value = value_at.choice()?;
            if node == Node::Server && value == Setting::Inherit {
                return value_at.fail("the server's setting can't be `inherit`");
            }
            Request::Set {
                node,
                feature: feature(&e)?,
                value,
            }
        }
        "licence" => {
            e.object(&["op", "at", "licence", "force"])?;
            let force = e
                .field("force")
                .map(|f| f.bool())
                .transpose()?
                .unwrap_or(false);
            let admission = crate::rules::Admission {
                force,
                ..Default::default()
            };
            Request::SetLicence {
                licence: input::licence(e.req("licence")?)?,
                admission,
            }
        }
        "create" => {
            e.object(&["op", "at", "account", "type", "class", "settings"])?;
            Request::Create {
                account: account(&e)?,
                kind: e
                    .field("type")
                    .map(|t| t.choice())
                    .transpose()?
                    .unwrap_or_default(),
                class: e
                    .field("class")
                    .map(|c| c.name(ClassName::parse))
                    .transpose()?,
                settings: e
                    .field("settings")
                    .map(input::settings)
                    .transpose()?
                    .unwrap_or_default(),
            }
        }
        "delete" => {
            e.object(&["op", "at", "account"])?;
            Request::Delete {
                account: account(&e)?,
            }
        }
        "set-type" => {
            e.object(&["op", "at", "account", "type"])?;
            Request::SetType {
                account: account(&e)?,
                kind: e.req("type")?.choice()?,
            }
        }
        "restore-capped" => {
            e.object(&["op", "at", "feature"])?;
            Request::RestoreCapped {
                feature: feature(&e)?,
            }
        }
        // Not SPEC events: a live directory grows by these (see rules::directory).
        "create-domain" => {
            e.object(&["op", "at", "domain", "settings"])?;
            Request::CreateDomain {
                domain: e.req("domain")?.name(DomainName::parse)?,
                settings: e
                    .field("settings")
                    .map(input::settings)
                    .transpose()?
                    .unwrap_or_default(),
            }
        }
        "create-class" => {
            e.object(&["op", "at", "domain", "class", "settings"])?;
            Request::CreateClass {
                domain: e.req("domain")?.name(DomainName::parse)?,
                class: e.req("class")?.name(ClassName::parse)?,
                settings: e
                    .field("settings")
                    .map(input::settings)
                    .transpose()?
                    .unwrap_or_default(),
            }
        }
        other => return e.req("op")?.fail(format!("unknown op `{other}`")),
    })
}

fn itoa_buffer() -> [u8; 20] {
    [0; 20]
}

/// Decimal digits of `n` without the formatting machinery (generated ids).
fn itoa(buf: &mut [u8; 20], mut n: u64) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(buf.get(i..).unwrap_or_default()).unwrap_or_default()
}
