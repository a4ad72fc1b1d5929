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
    outcome["events"][i]["reason"].as_str().unwrap_or_else(|| panic!("event {i} has no reason: {}", outcome["events"][i])).to_string()
}

pub fn error_code(outcome: &Value, i: usize) -> Option<String> {
    outcome["events"][i]["error"]["code"].as_str().map(str::to_string)
}

pub fn ok(outcome: &Value, i: usize) -> bool {
    outcome["events"][i]["ok"].as_bool().unwrap_or_else(|| panic!("event {i} is not an op: {}", outcome["events"][i]))
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
    outcome["state"]["accounts"].as_object().expect("accounts").values().filter(|a| a["activesync"]["capped"] == true).count()
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
