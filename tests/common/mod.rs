//! Helpers shared by the Rust test files.
#![allow(dead_code)]

use seatcap::memory::MemoryState;
use seatcap::model::{AccountId, Feature};
use seatcap::outcome::Outcome;
use seatcap::rules::Explanation;
use seatcap::scenario::Scenario;
use seatcap::simulate::{run, Ran};
use serde_json::{json, Value};

/// Runs a scenario given as a JSON value.
pub fn run_value(scenario: &Value) -> Ran {
    let text = scenario.to_string();
    let parsed = Scenario::parse(&text).unwrap_or_else(|e| panic!("scenario rejected: {e}"));
    run(parsed, &mut |_, _| {})
}

/// The Outcome as JSON, the way hosts see it.
pub fn outcome(scenario: &Value) -> Value {
    serde_json::to_value(run_value(scenario).outcome).expect("outcome serialises")
}

pub fn outcome_of(ran: &Ran) -> Value {
    serde_json::to_value(&ran.outcome).expect("outcome serialises")
}

/// `count` premium accounts `user1..` in example.com, whose domain enables
/// `activesync`; the server leaves it disabled (SPEC example).
pub fn axigen(seats: Value, count: u64, policy: Value, events: Vec<Value>) -> Value {
    json!({
        "licence": {"mailboxes": 1000, "features": {"activesync": {"seats": seats}}},
        "policy": policy,
        "directory": {
            "server": {"activesync": "disabled"},
            "domains": {"example.com": {"settings": {"activesync": "enabled"}, "classes": {"sales": {"settings": {}}}}},
            "generate": [{"domain": "example.com", "count": count, "prefix": "user"}]
        },
        "events": events
    })
}

pub fn user(n: u64) -> String {
    format!("user{n}@example.com")
}

pub fn connect(account: &str) -> Value {
    json!({"op": "connect", "account": account, "feature": "activesync"})
}

pub fn connect_at(account: &str, at: &str) -> Value {
    json!({"op": "connect", "account": account, "feature": "activesync", "at": at})
}

pub fn set(node: &str, value: &str) -> Value {
    json!({"op": "set", "node": node, "feature": "activesync", "value": value})
}

pub fn reason(outcome: &Value, i: usize) -> String {
    outcome["events"][i]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("event {i} has no reason: {}", outcome["events"][i]))
        .to_string()
}

pub fn error_code(outcome: &Value, i: usize) -> Option<String> {
    outcome["events"][i]["error"]["code"]
        .as_str()
        .map(str::to_string)
}

pub fn ok(outcome: &Value, i: usize) -> bool {
    outcome["events"][i]["ok"]
        .as_bool()
        .unwrap_or_else(|| panic!("event {i} is not an op: {}", outcome["events"][i]))
}

/// `state.seats.activesync.<list>` as ids (`holders` or `waitlist`).
fn ids(outcome: &Value, list: &str) -> Vec<String> {
    outcome["state"]["seats"]["activesync"][list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list}"))
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect()
}

pub fn holders(outcome: &Value) -> Vec<String> {
    ids(outcome, "holders")
}

pub fn waitlist(outcome: &Value) -> Vec<String> {
    ids(outcome, "waitlist")
}

pub fn account<'a>(outcome: &'a Value, id: &str) -> &'a Value {
    &outcome["state"]["accounts"][id]["activesync"]
}

pub fn capped_count(outcome: &Value) -> usize {
    outcome["state"]["accounts"]
        .as_object()
        .expect("accounts")
        .values()
        .filter(|a| a["activesync"]["capped"] == true)
        .count()
}

pub fn explain(state: &MemoryState, id: &str, at: &str) -> Explanation {
    seatcap::rules::explain(
        state,
        &AccountId::parse(id).expect("id"),
        &Feature::parse("activesync").expect("feature"),
        seatcap::time::Timestamp::parse(at).expect("time"),
    )
    .expect("explain")
}

pub fn outcome_value(outcome: &Outcome) -> Value {
    serde_json::to_value(outcome).expect("serialises")
}

/// A key–value store with versions, as SPEC "Storage callbacks" describes:
/// what a host's store does, in memory, for driving `Attempt`s natively.
#[derive(Debug, Default, Clone)]
pub struct KvStore {
    pub entries: std::collections::BTreeMap<String, (String, u64)>,
    next_version: u64,
    /// `list` answers carry each entry's version (a store may; SPEC's plain `{key, value}` otherwise).
    pub versioned_lists: bool,
}

impl KvStore {
    pub fn get(&self, keys: &[String]) -> Vec<Option<seatcap::attempt::Versioned>> {
        keys.iter()
            .map(|k| {
                self.entries
                    .get(k)
                    .map(|(value, version)| seatcap::attempt::Versioned {
                        value: value.clone(),
                        version: *version,
                    })
            })
            .collect()
    }

    pub fn list(&self, prefix: &str) -> Vec<seatcap::attempt::Entry> {
        self.entries
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, (v, version))| seatcap::attempt::Entry {
                key: k.clone(),
                value: v.clone(),
                version: self.versioned_lists.then_some(*version),
            })
            .collect()
    }

    /// Applies all of it or, if any expectation fails, nothing.
    pub fn commit(&mut self, commit: &seatcap::attempt::Commit) -> bool {
        let holds = commit
            .expect
            .iter()
            .all(|e| self.entries.get(&e.key).map(|(_, v)| *v) == e.version);
        if holds {
            for put in &commit.put {
                self.next_version += 1;
                self.entries
                    .insert(put.key.clone(), (put.value.clone(), self.next_version));
            }
            for key in &commit.del {
                self.entries.remove(key);
            }
        }
        holds
    }

    /// The stored state as the simulator holds it.
    pub fn state(&self) -> MemoryState {
        let mut writes = seatcap::tx::Writes::new();
        for (k, (v, _)) in &self.entries {
            writes.insert(
                k.clone(),
                Some(seatcap::keys::Record::from_json(k, v).expect("stored records parse")),
            );
        }
        let mut state = MemoryState::new();
        state.apply(writes);
        state
    }
}

/// Runs one operation to its answer over `store`, with every load answered
/// at once and no competitor: a lost race is impossible here.
pub fn drive(
    store: &mut KvStore,
    op: seatcap::attempt::Operation,
    at: seatcap::time::Timestamp,
) -> seatcap::attempt::Answer {
    drive_attempt(store, seatcap::attempt::Attempt::new(op, at))
}

/// As [`drive`], for an attempt the caller built (e.g. one that writes a change-log entry).
pub fn drive_attempt(
    store: &mut KvStore,
    attempt: seatcap::attempt::Attempt,
) -> seatcap::attempt::Answer {
    drive_counting(store, attempt).0
}

/// As [`drive_attempt`], also answering how many loads (store round trips) the attempt asked for.
pub fn drive_counting(
    store: &mut KvStore,
    mut attempt: seatcap::attempt::Attempt,
) -> (seatcap::attempt::Answer, u32) {
    use seatcap::attempt::{Loads, Step};
    let mut loads = None;
    for count in 0..1000 {
        match attempt.step(loads.take()) {
            Step::Load { keys, lists } => {
                loads = Some(Loads {
                    got: store.get(&keys),
                    listed: lists.iter().map(|p| store.list(p)).collect(),
                });
            }
            Step::Commit { commit, answer } => {
                assert!(store.commit(&commit), "an uncontended commit holds");
                return (answer, count);
            }
            Step::Answer { answer } => return (answer, count),
        }
    }
    panic!("the attempt did not finish in 1000 steps");
}

/// Imports `scenario`'s state into `store` as a host's first `importScenario` does (the import
/// must be done: into an empty store), and answers the scenario's start.
pub fn import(store: &mut KvStore, scenario: &Value) -> seatcap::time::Timestamp {
    use seatcap::attempt::{Answer, Operation};
    let text = scenario.to_string();
    let parsed = Scenario::parse(&text).unwrap_or_else(|e| panic!("scenario rejected: {e}"));
    let start = parsed.start;
    let import = Operation::Import {
        state: parsed.state,
        replace: false,
        admission: Default::default(),
    };
    let answer = drive(store, import, start);
    assert!(matches!(answer, Answer::Done), "import: {answer:?}");
    start
}

/// An answer as the Outcome's event entry.
pub fn event_result(answer: seatcap::attempt::Answer) -> Value {
    use seatcap::attempt::Answer;
    match answer {
        Answer::Decision(d) => serde_json::to_value(d).expect("json"),
        Answer::Done => json!({"ok": true}),
        Answer::Refused(e) => json!({"ok": false, "error": e}),
        other => panic!("not an event answer: {other:?}"),
    }
}
