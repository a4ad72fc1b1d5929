//! The engine over a host's versioned store (SPEC "Storage callbacks", R14):
//! `Attempt`s driven natively against an in-memory key–value store give what
//! the simulator gives, and a commit never lands on a state it did not read.

mod common;

use std::path::Path;

use common::{drive, event_result, KvStore};
use seatcap::attempt::{Answer, Attempt, Loads, Operation, Step};
use seatcap::outcome::state_view;
use seatcap::scenario::Scenario;
use seatcap::time::Timestamp;
use serde_json::{json, Value};

/// Imports a scenario's state into an empty store, then applies its events one
/// by one as a host would, each at the time the simulator's clock gives it.
fn replay(scenario: &Value) -> (Vec<Value>, KvStore) {
    let mut state_only = scenario.clone();
    state_only.as_object_mut().expect("object").remove("events");
    let text = state_only.to_string();
    let parsed = Scenario::parse(&text).expect("scenario loads");
    let start = parsed.start;
    let mut store = KvStore::default();
    let imported = drive(&mut store, Operation::Import { state: parsed.state, replace: false }, start);
    assert!(matches!(imported, Answer::Done), "import: {imported:?}");
    let mut next = start;
    let mut results = Vec::new();
    for event in scenario["events"].as_array().cloned().unwrap_or_default() {
        let (op, at) = Operation::event(&event.to_string(), Ok(next));
        next = at.plus_seconds(1);
        results.push(event_result(drive(&mut store, op, at)));
    }
    (results, store)
}

/// R14 / SPEC "Storage callbacks": every conformance case gives the same event
/// results and final state through the store protocol as through `simulate`.
#[test]
fn conformance_cases_replayed_over_a_store_match_the_simulator() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let (results, store) = replay(&case["scenario"]);
        assert_eq!(Value::from(results), case["outcome"]["events"], "{}: events", path.display());
        let view = serde_json::to_value(state_view(&store.state()).expect("view")).expect("json");
        assert_eq!(view, case["outcome"]["state"], "{}: state", path.display());
        count += 1;
    }
    assert!(count >= 19);
}

fn small_store(seats: u64, accounts: u64) -> KvStore {
    let scenario = common::axigen(json!(seats), accounts, json!({}), vec![]);
    let text = scenario.to_string();
    let parsed = Scenario::parse(&text).expect("loads");
    let mut store = KvStore::default();
    drive(&mut store, Operation::Import { state: parsed.state, replace: false }, parsed.start);
    store
}

fn connect(n: u64) -> Operation {
    Operation::event(&common::connect(&common::user(n)).to_string(), Ok(Timestamp::from_millis(0))).0
}

/// Steps an attempt until it asks to commit, answering loads from `store`.
fn until_commit(attempt: &mut Attempt, store: &KvStore) -> (seatcap::attempt::Commit, Answer) {
    let mut loads = None;
    loop {
        match attempt.step(loads.take()) {
            Step::Load { keys, lists } => {
                loads = Some(Loads { got: store.get(&keys), listed: lists.iter().map(|p| store.list(p)).collect() });
            }
            Step::Commit { commit, answer } => return (commit, answer),
            Step::Answer { answer } => panic!("expected a commit, got {answer:?}"),
        }
    }
}

/// R14: two claims for the last seat read the same state; the second commit
/// is refused, and its retry is capped (R5) instead of over-filling.
#[test]
fn the_second_of_two_racing_claims_loses_and_its_retry_is_capped() {
    let mut store = small_store(1, 3);
    let mut first = Attempt::new(connect(1), Timestamp::from_millis(1000));
    let mut second = Attempt::new(connect(2), Timestamp::from_millis(1000));
    let (c1, a1) = until_commit(&mut first, &store);
    let (c2, _) = until_commit(&mut second, &store);
    assert!(store.commit(&c1));
    assert!(matches!(a1, Answer::Decision(ref d) if d.allowed));
    assert!(!store.commit(&c2), "the stale claim must not land");
    let retry = drive(&mut store, connect(2), Timestamp::from_millis(1000));
    assert_eq!(event_result(retry)["reason"], "capped");
    let seats = drive(&mut store, Operation::Seats(seatcap::model::Feature::parse("activesync").expect("f")), Timestamp::from_millis(0));
    let Answer::Seats(seats) = seats else { panic!("{seats:?}") };
    assert_eq!(seats.holders.len(), 1);
}

/// R3 on the hot path: a held-seat connect reads neither the ledger header nor
/// other holders, so a concurrent claim does not make it retry.
#[test]
fn a_held_seat_connect_does_not_conflict_with_a_concurrent_claim() {
    let mut store = small_store(3, 3);
    drive(&mut store, connect(1), Timestamp::from_millis(1000));
    let mut held = Attempt::new(connect(1), Timestamp::from_millis(2000));
    let (commit, answer) = until_commit(&mut held, &store);
    assert_eq!(event_result(answer)["reason"], "seat-held");
    assert!(commit.expect.iter().all(|e| !e.key.starts_with("seats/")), "{:?}", commit.expect);
    drive(&mut store, connect(2), Timestamp::from_millis(2000));
    assert!(store.commit(&commit), "the claim of another account does not invalidate a held-seat connect");
}

/// A denial read with a single `get` needs no commit; a refusal after several
/// rounds is confirmed by an expect-only commit.
#[test]
fn read_only_answers_commit_only_when_their_reads_span_several_gets() {
    let mut store = small_store(1, 2);
    let unknown = Operation::event(&common::connect("nobody@example.com").to_string(), Ok(Timestamp::from_millis(0))).0;
    let mut attempt = Attempt::new(unknown, Timestamp::from_millis(0));
    let Step::Load { keys, lists } = attempt.step(None) else { panic!("loads first") };
    let loads = Loads { got: store.get(&keys), listed: lists.iter().map(|p| store.list(p)).collect() };
    assert!(matches!(attempt.step(Some(loads)), Step::Answer { .. }));
    drive(&mut store, connect(1), Timestamp::from_millis(0));
    let enable = Operation::event(&common::set("account:user2@example.com", "enabled").to_string(), Ok(Timestamp::from_millis(0))).0;
    let mut attempt = Attempt::new(enable, Timestamp::from_millis(0));
    let (commit, answer) = until_commit(&mut attempt, &store);
    assert!(matches!(answer, Answer::Refused(ref e) if e.code == seatcap::ErrorCode::SeatsExhausted));
    assert!(commit.put.is_empty() && commit.del.is_empty() && !commit.expect.is_empty());
}

/// Bad answers from a store are `store-error`, never a panic.
#[test]
fn a_store_answering_the_wrong_count_or_shape_gives_store_error() {
    let mut attempt = Attempt::new(connect(1), Timestamp::from_millis(0));
    let _ = attempt.step(None);
    let step = attempt.step(Some(Loads { got: vec![], listed: vec![] }));
    let Step::Answer { answer: Answer::Refused(e) } = step else { panic!("{step:?}") };
    assert_eq!(e.code, seatcap::ErrorCode::StoreError);
    let mut attempt = Attempt::new(connect(1), Timestamp::from_millis(0));
    let Step::Load { keys, .. } = attempt.step(None) else { panic!() };
    let got = keys.iter().map(|_| Some(seatcap::attempt::Versioned { value: "{not json".into(), version: 1 })).collect();
    let step = attempt.step(Some(Loads { got, listed: vec![] }));
    let Step::Answer { answer: Answer::Refused(e) } = step else { panic!("{step:?}") };
    assert_eq!(e.code, seatcap::ErrorCode::StoreError);
}

/// Import seeds an empty store only, unless told to replace; replace leaves
/// exactly the imported state.
#[test]
fn import_refuses_a_non_empty_store_unless_replacing() {
    let mut store = small_store(2, 3);
    drive(&mut store, connect(1), Timestamp::from_millis(0));
    let other = common::axigen(json!(5), 2, json!({}), vec![]).to_string();
    let parsed = Scenario::parse(&other).expect("loads");
    let again = drive(&mut store, Operation::Import { state: parsed.state.clone(), replace: false }, parsed.start);
    assert!(matches!(again, Answer::Refused(ref e) if e.code == seatcap::ErrorCode::AlreadyExists), "{again:?}");
    let replaced = drive(&mut store, Operation::Import { state: parsed.state.clone(), replace: true }, parsed.start);
    assert!(matches!(replaced, Answer::Done));
    assert_eq!(store.state(), parsed.state);
}
