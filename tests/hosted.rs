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
fn replay(scenario: &Value, versioned_lists: bool) -> (Vec<Value>, KvStore) {
    let mut state_only = scenario.clone();
    state_only.as_object_mut().expect("object").remove("events");
    let mut store = KvStore::default();
    store.versioned_lists = versioned_lists;
    let mut next = common::import(&mut store, &state_only);
    let mut results = Vec::new();
    for event in scenario["events"].as_array().cloned().unwrap_or_default() {
        let (op, at) = Operation::event(&event.to_string(), Ok(next));
        next = at.plus_seconds(1);
        results.push(event_result(drive(&mut store, op, at)));
    }
    (results, store)
}

/// R14 / SPEC "Storage callbacks": every conformance case gives the same event
/// results and final state through the store protocol as through `simulate`,
/// whether the store's listings carry versions or not.
#[test]
fn conformance_cases_replayed_over_a_store_match_the_simulator() {
    for versioned_lists in [false, true] {
        conformance_cases_over_a_store(versioned_lists);
    }
}

fn conformance_cases_over_a_store(versioned_lists: bool) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        let case: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let (results, store) = replay(&case["scenario"], versioned_lists);
        let name = format!("{} (versioned lists: {versioned_lists})", path.display());
        assert_eq!(
            Value::from(results),
            case["outcome"]["events"],
            "{name}: events"
        );
        let view = serde_json::to_value(state_view(&store.state()).expect("view")).expect("json");
        assert_eq!(view, case["outcome"]["state"], "{name}: state");
        count += 1;
    }
    assert!(count >= 19);
}

fn small_store(seats: u64, accounts: u64) -> KvStore {
    let mut store = KvStore::default();
    common::import(
        &mut store,
        &common::axigen(json!(seats), accounts, json!({}), vec![]),
    );
    store
}

fn connect(n: u64) -> Operation {
    Operation::event(
        &common::connect(&common::user(n)).to_string(),
        Ok(Timestamp::from_millis(0)),
    )
    .0
}

/// Steps an attempt until it asks to commit, answering loads from `store`.
fn until_commit(attempt: &mut Attempt, store: &KvStore) -> (seatcap::attempt::Commit, Answer) {
    let mut loads = None;
    loop {
        match attempt.step(loads.take()) {
            Step::Load { keys, lists } => {
                loads = Some(Loads {
                    got: store.get(&keys),
                    listed: lists.iter().map(|p| store.list(p)).collect(),
                });
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
    let seats = drive(
        &mut store,
        Operation::Seats(seatcap::model::Feature::parse("activesync").expect("f")),
        Timestamp::from_millis(0),
    );
    let Answer::Seats(seats) = seats else {
        panic!("{seats:?}")
    };
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
    assert!(
        commit.expect.iter().all(|e| !e.key.starts_with("seats/")),
        "{:?}",
        commit.expect
    );
    drive(&mut store, connect(2), Timestamp::from_millis(2000));
    assert!(
        store.commit(&commit),
        "the claim of another account does not invalidate a held-seat connect"
    );
}

/// A denial read with a single `get` needs no commit; a refusal after several
/// rounds is confirmed by an expect-only commit.
#[test]
fn read_only_answers_commit_only_when_their_reads_span_several_gets() {
    let mut store = small_store(1, 2);
    let unknown = Operation::event(
        &common::connect("nobody@example.com").to_string(),
        Ok(Timestamp::from_millis(0)),
    )
    .0;
    let mut attempt = Attempt::new(unknown, Timestamp::from_millis(0));
    let Step::Load { keys, lists } = attempt.step(None) else {
        panic!("loads first")
    };
    let loads = Loads {
        got: store.get(&keys),
        listed: lists.iter().map(|p| store.list(p)).collect(),
    };
    assert!(matches!(attempt.step(Some(loads)), Step::Answer { .. }));
    drive(&mut store, connect(1), Timestamp::from_millis(0));
    let enable = Operation::event(
        &common::set("account:user2@example.com", "enabled").to_string(),
        Ok(Timestamp::from_millis(0)),
    )
    .0;
    let mut attempt = Attempt::new(enable, Timestamp::from_millis(0));
    let (commit, answer) = until_commit(&mut attempt, &store);
    assert!(
        matches!(answer, Answer::Refused(ref e) if e.code == seatcap::ErrorCode::SeatsExhausted)
    );
    assert!(commit.put.is_empty() && commit.del.is_empty() && !commit.expect.is_empty());
}

/// Bad answers from a store are `store-error`, never a panic.
#[test]
fn a_store_answering_the_wrong_count_or_shape_gives_store_error() {
    let mut attempt = Attempt::new(connect(1), Timestamp::from_millis(0));
    let _ = attempt.step(None);
    let step = attempt.step(Some(Loads {
        got: vec![],
        listed: vec![],
    }));
    let Step::Answer {
        answer: Answer::Refused(e),
    } = step
    else {
        panic!("{step:?}")
    };
    assert_eq!(e.code, seatcap::ErrorCode::StoreError);
    let mut attempt = Attempt::new(connect(1), Timestamp::from_millis(0));
    let Step::Load { keys, .. } = attempt.step(None) else {
        panic!()
    };
    let got = keys
        .iter()
        .map(|_| {
            Some(seatcap::attempt::Versioned {
                value: "{not json".into(),
                version: 1,
            })
        })
        .collect();
    let step = attempt.step(Some(Loads {
        got,
        listed: vec![],
    }));
    let Step::Answer {
        answer: Answer::Refused(e),
    } = step
    else {
        panic!("{step:?}")
    };
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
    let again = drive(
        &mut store,
        Operation::Import {
            state: parsed.state.clone(),
            replace: false,
            admission: Default::default(),
        },
        parsed.start,
    );
    assert!(
        matches!(again, Answer::Refused(ref e) if e.code == seatcap::ErrorCode::AlreadyExists),
        "{again:?}"
    );
    let replaced = drive(
        &mut store,
        Operation::Import {
            state: parsed.state.clone(),
            replace: true,
            admission: Default::default(),
        },
        parsed.start,
    );
    assert!(matches!(replaced, Answer::Done));
    assert_eq!(store.state(), parsed.state);
}

fn logged(op: Operation, at_ms: i64, id: &str) -> Attempt {
    Attempt::new(op, Timestamp::from_millis(at_ms))
        .logged(seatcap::changelog::LogContext::new("admin:alice", id).expect("context"))
}

fn log_entries(store: &KvStore) -> Vec<Value> {
    store
        .list("log/")
        .into_iter()
        .map(|e| serde_json::from_str(&e.value).expect("log entries are JSON"))
        .collect()
}

fn event(value: Value) -> Operation {
    Operation::event(&value.to_string(), Ok(Timestamp::from_millis(0))).0
}

/// The change log: an entry rides in the commit of each change that touches
/// what administrators configure (who, when, node before/after, seats moved);
/// plain claims, refusals and reads write none.
#[test]
fn changes_are_logged_in_their_own_commit_and_refusals_are_not() {
    let mut store = small_store(1, 3);
    let t = 1_767_225_600_000;
    assert!(matches!(
        common::drive_attempt(&mut store, logged(connect(1), t, "a")),
        Answer::Decision(_)
    ));
    assert!(
        log_entries(&store).is_empty(),
        "a claim is in the ledger, not the log"
    );

    // R5: a capped connect writes the account's setting: logged, with the marker.
    common::drive_attempt(&mut store, logged(connect(2), t + 1000, "b"));
    let entries = log_entries(&store);
    assert_eq!(entries.len(), 1);
    let capped = &entries[0];
    assert_eq!(capped["actor"], "admin:alice");
    assert_eq!(capped["at"], "2026-01-01T00:00:01Z");
    assert_eq!(
        capped["request"],
        json!({"op": "connect", "account": "user2@example.com", "feature": "activesync"})
    );
    assert_eq!(capped["domains"], json!(["example.com"]));
    assert_eq!(
        capped["seats"],
        json!([{"feature": "activesync", "account": "user2@example.com", "change": "capped"}])
    );
    let change = &capped["changes"][0];
    assert_eq!(change["node"], "account:user2@example.com");
    assert_eq!(change["before"]["settings"], json!({}));
    assert_eq!(
        change["after"]["settings"],
        json!({"activesync": "disabled"})
    );

    // R6 refused: nothing written, nothing logged.
    let refused = common::drive_attempt(
        &mut store,
        logged(
            event(common::set("account:user3@example.com", "enabled")),
            t + 2000,
            "c",
        ),
    );
    assert!(
        matches!(refused, Answer::Refused(ref e) if e.code == seatcap::ErrorCode::SeatsExhausted)
    );
    assert_eq!(log_entries(&store).len(), 1);

    // R7: the release is logged with the seat it moved.
    common::drive_attempt(
        &mut store,
        logged(
            event(common::set("account:user1@example.com", "disabled")),
            t + 3000,
            "d",
        ),
    );
    let entries = log_entries(&store);
    assert_eq!(entries.len(), 2, "entries come back in time order");
    assert_eq!(
        entries[1]["seats"],
        json!([{"feature": "activesync", "account": "user1@example.com", "change": "released"}])
    );

    // An import with `replace` keeps the log, and records itself.
    let text = common::axigen(json!(5), 2, json!({}), vec![]).to_string();
    let parsed = Scenario::parse(&text).expect("loads");
    common::drive_attempt(
        &mut store,
        logged(
            Operation::Import {
                state: parsed.state,
                replace: true,
                admission: Default::default(),
            },
            t + 4000,
            "e",
        ),
    );
    let entries = log_entries(&store);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[2]["request"]["op"], "import");
    assert!(
        entries[2]["request"]["keysWritten"]
            .as_u64()
            .expect("count")
            > 0
    );
}

/// The licence's origin: which trusted vendor key signed it, if any.
#[test]
fn the_licence_remembers_who_signed_it() {
    use seatcap::rules::Request;
    let mut store = small_store(1, 2);
    let licence = |seats: u64| {
        seatcap::input::licence(seatcap::input::At::root(
            &json!({"features": {"activesync": {"seats": seats}}}),
            "licence",
        ))
        .expect("licence")
    };
    let admission = seatcap::rules::Admission {
        signed_by: Some("ab".repeat(32)),
        ..Default::default()
    };
    let signed = Request::SetLicence {
        licence: licence(7),
        admission,
    };
    drive(
        &mut store,
        Operation::Request(signed),
        Timestamp::from_millis(5_000),
    );
    let Answer::Licence(view) = drive(
        &mut store,
        Operation::Licence,
        Timestamp::from_millis(6_000),
    ) else {
        panic!("a licence view")
    };
    assert_eq!(view.signed_by, Some("ab".repeat(32)));
    assert_eq!(
        view.licence
            .seats(&seatcap::model::Feature::parse("activesync").expect("name")),
        Some(Some(7))
    );
    assert_eq!(view.since, Some(Timestamp::from_millis(5_000)));
    // A SPEC `licence` event carries no signature.
    drive(
        &mut store,
        event(json!({"op": "licence", "licence": {"features": {"activesync": {"seats": 3}}}})),
        Timestamp::from_millis(7_000),
    );
    let Answer::Licence(view) = drive(
        &mut store,
        Operation::Licence,
        Timestamp::from_millis(8_000),
    ) else {
        panic!("a licence view")
    };
    assert_eq!(view.signed_by, None);
}

/// The directory above the accounts, as the admin API lists it.
#[test]
fn directory_lists_domains_with_their_classes() {
    let mut store = small_store(1, 1);
    for e in [
        json!({"op": "create-domain", "domain": "B.org", "settings": {"activesync": "disabled"}}),
        json!({"op": "create-class", "domain": "b.org", "class": "vip", "settings": {"activesync": "enabled", "outlook": "inherit"}}),
    ] {
        assert!(matches!(
            drive(&mut store, event(e), Timestamp::from_millis(0)),
            Answer::Done
        ));
    }
    let Answer::Directory(dir) = drive(&mut store, Operation::Directory, Timestamp::from_millis(0))
    else {
        panic!("a directory")
    };
    let dir = serde_json::to_value(dir).expect("json");
    assert_eq!(
        dir["domains"]["b.org"],
        json!({"settings": {"activesync": "disabled"}, "classes": {"vip": {"activesync": "enabled"}}})
    );
    assert_eq!(
        dir["domains"]["example.com"]["settings"],
        json!({"activesync": "enabled"})
    );
    assert_eq!(dir["server"], json!({"activesync": "disabled"}));
}

/// `TryConnect`: a holder's connect goes through in one step; one that would
/// claim, cap or waitlist is held back with the decision it would give, so a
/// gateway can check credentials before anything is written.
#[test]
fn try_connect_writes_only_for_holders() {
    let mut store = small_store(1, 3);
    let user = |n: u64| seatcap::model::AccountId::parse(&common::user(n)).expect("id");
    let feature = seatcap::model::Feature::parse("activesync").expect("name");
    let try_connect = |n: u64| Operation::TryConnect {
        account: user(n),
        feature: feature.clone(),
        touch: true,
    };
    let before = store.clone();
    let pending = drive(&mut store, try_connect(1), Timestamp::from_millis(1_000));
    assert!(
        matches!(pending, Answer::Pending(ref d) if d.allowed),
        "{pending:?}"
    );
    assert_eq!(store.entries, before.entries, "a claim is held back");
    drive(&mut store, connect(1), Timestamp::from_millis(2_000));
    let held = drive(&mut store, try_connect(1), Timestamp::from_millis(3_000));
    assert!(
        matches!(held, Answer::Decision(ref d) if d.allowed),
        "{held:?}"
    );
    assert!(
        store
            .list("holder/")
            .iter()
            .any(|e| e.value.contains("\"lastSeen\":\"1970-01-01T00:00:03Z\"")),
        "R3: lastSeen moves"
    );
    let would_cap = drive(&mut store, try_connect(2), Timestamp::from_millis(4_000));
    assert!(
        matches!(would_cap, Answer::Pending(ref d) if !d.allowed),
        "{would_cap:?}"
    );
    assert!(store.list("capped/").is_empty(), "the cap is held back");
    drive(&mut store, connect(2), Timestamp::from_millis(5_000));
    let capped = drive(&mut store, try_connect(2), Timestamp::from_millis(6_000));
    assert!(
        matches!(capped, Answer::Decision(ref d) if !d.allowed),
        "a capped account's denial writes nothing: {capped:?}"
    );
}

/// A peek (`TryConnect` with `touch: false`) writes nothing at all, not even a
/// holder's `lastSeen` (R3 is applied by the touch that follows an accepted
/// request, so a stranger's refused request keeps no idle seat alive).
#[test]
fn peek_connect_writes_nothing() {
    let mut store = small_store(1, 3);
    let user = |n: u64| seatcap::model::AccountId::parse(&common::user(n)).expect("id");
    let feature = seatcap::model::Feature::parse("activesync").expect("name");
    let peek = |n: u64| Operation::TryConnect {
        account: user(n),
        feature: feature.clone(),
        touch: false,
    };
    drive(&mut store, connect(1), Timestamp::from_millis(2_000));
    let before = store.clone();
    let held = drive(&mut store, peek(1), Timestamp::from_millis(3_000));
    assert!(
        matches!(held, Answer::Decision(ref d) if d.allowed),
        "{held:?}"
    );
    let would_cap = drive(&mut store, peek(2), Timestamp::from_millis(4_000));
    assert!(
        matches!(would_cap, Answer::Pending(ref d) if !d.allowed),
        "{would_cap:?}"
    );
    assert_eq!(store.entries, before.entries, "a peek writes nothing");
}
