//! Issue 13, the core's part: licences that can't be forged or rolled back on a
//! trusting store, host times checked before anything is written, bounded
//! parsing, and a store with an unreadable record repaired by a replacing import.

mod common;

use common::{drive, drive_attempt, KvStore};
use ed25519_dalek::{Signer, SigningKey};
use seatcap::attempt::{Answer, Attempt, Operation};
use seatcap::changelog::LogContext;
use seatcap::scenario::Scenario;
use seatcap::signature::Trust;
use seatcap::time::Timestamp;
use seatcap::ErrorCode;
use serde_json::{json, Value};

const T: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn vendor() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn trust() -> Trust {
    Trust::new(&[hex(vendor().verifying_key().as_bytes())], false).expect("key")
}

/// `body` (a licence) with the vendor's signature over its canonical message.
fn signed_by(body: Value, key: &SigningKey) -> Value {
    let licence = seatcap::signature::read_unverified(&body.to_string()).expect("licence");
    let sig = key.sign(seatcap::signature::message(&licence).as_bytes());
    let mut out = body;
    out["signature"] =
        json!({"key": hex(key.verifying_key().as_bytes()), "value": hex(&sig.to_bytes())});
    out
}

fn licence(seats: u64, serial: u64, issued: &str) -> Value {
    json!({"mailboxes": 100, "features": {"activesync": {"seats": seats}}, "expires": null, "serial": serial, "issued": issued})
}

/// A store seeded (without trust) with 3 accounts and a signed licence of serial 5.
fn seeded() -> KvStore {
    let mut scenario = common::axigen(json!(2), 3, json!({}), vec![]);
    scenario["licence"] = signed_by(licence(2, 5, "2026-01-01T00:00:00Z"), &vendor());
    let mut store = KvStore::default();
    common::import(&mut store, &scenario);
    store
}

fn licence_event(licence: Value, force: bool) -> Operation {
    let mut event = json!({"op": "licence", "licence": licence});
    if force {
        event["force"] = json!(true);
    }
    Operation::event(&event.to_string(), Ok(Timestamp::from_millis(T))).0
}

fn trusted(op: Operation, at: i64) -> Attempt {
    Attempt::new(op, Timestamp::from_millis(at)).trusting(&trust())
}

fn refused(answer: &Answer) -> (ErrorCode, String) {
    match answer {
        Answer::Refused(e) => (e.code, e.message.clone()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn seats_in_force(store: &mut KvStore) -> Option<u64> {
    let Answer::Limit(limit) = drive(
        store,
        Operation::Limit(seatcap::model::Feature::parse("activesync").expect("name")),
        Timestamp::from_millis(T),
    ) else {
        panic!("a limit")
    };
    limit
}

/// Issue 13: a licence event with an unsigned licence (`POST /v1/events`) raised a customer's
/// own seats on a server without `--dev`. On a trusting store it is refused and nothing changes.
#[test]
fn an_unsigned_or_tampered_licence_event_is_refused_on_a_trusting_store() {
    let mut store = seeded();
    let before = store.entries.clone();
    let unsigned = licence(1_000_000, 9, "2026-02-01T00:00:00Z");
    let (code, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(unsigned.clone(), false), T),
    ));
    assert_eq!(code, ErrorCode::InvalidInput);
    assert!(message.contains("unsigned"), "{message}");
    let mut tampered = signed_by(licence(2, 9, "2026-02-01T00:00:00Z"), &vendor());
    tampered["features"]["activesync"]["seats"] = json!(1_000_000);
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(tampered, false), T),
    ));
    assert!(message.contains("does not verify"), "{message}");
    let foreign = signed_by(
        licence(1_000_000, 9, "2026-02-01T00:00:00Z"),
        &SigningKey::from_bytes(&[9; 32]),
    );
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(foreign, true), T),
    ));
    assert!(
        message.contains("does not trust"),
        "{message}: force does not excuse a bad signature"
    );
    assert_eq!(store.entries, before, "nothing was written");
    // Without trust (a library user, the what-if simulator) a licence event works as SPEC says.
    assert!(matches!(
        drive(
            &mut store,
            licence_event(unsigned, false),
            Timestamp::from_millis(T)
        ),
        Answer::Done
    ));
    assert_eq!(seats_in_force(&mut store), Some(1_000_000));
}

/// Issue 13: an older signed licence (more seats) replaced a newer one. A lower serial, an
/// earlier issue time or an expired licence is refused unless forced, and forcing is logged.
#[test]
fn an_older_or_expired_licence_does_not_replace_the_one_in_force_unless_forced() {
    let mut store = seeded();
    let older = signed_by(licence(50, 4, "2026-01-01T00:00:00Z"), &vendor());
    let (code, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(older.clone(), false), T),
    ));
    assert_eq!(code, ErrorCode::InvalidInput);
    assert!(
        message.contains("serial 4 is older than serial 5"),
        "{message}"
    );
    let earlier = signed_by(licence(50, 5, "2025-12-01T00:00:00Z"), &vendor());
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(earlier, false), T),
    ));
    assert!(message.contains("before the licence in force"), "{message}");
    let mut expired_body = licence(50, 6, "2026-01-02T00:00:00Z");
    expired_body["expires"] = json!("2026-01-03T00:00:00Z");
    let expired = signed_by(expired_body, &vendor());
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(expired, false), T + 3 * 86_400_000),
    ));
    assert!(
        message.contains("expired at 2026-01-03T00:00:00Z"),
        "{message}"
    );
    // An old file without serial/issued counts as serial 0: older than serial 5.
    let legacy = signed_by(
        json!({"features": {"activesync": {"seats": 50}}}),
        &vendor(),
    );
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(licence_event(legacy, false), T),
    ));
    assert!(message.contains("serial 0 is older"), "{message}");
    assert_eq!(seats_in_force(&mut store), Some(2));

    // A newer licence goes in; the same one again too (a re-upload).
    let newer = signed_by(licence(3, 6, "2026-01-02T00:00:00Z"), &vendor());
    for _ in 0..2 {
        let answer = drive_attempt(&mut store, trusted(licence_event(newer.clone(), false), T));
        assert!(matches!(answer, Answer::Done), "{answer:?}");
    }
    assert_eq!(seats_in_force(&mut store), Some(3));

    // Forced by an administrator: accepted, and the change log says so.
    let context = LogContext::new("admin", "forced-1").expect("context");
    let forced = trusted(licence_event(older, true), T).logged(context);
    assert!(matches!(drive_attempt(&mut store, forced), Answer::Done));
    assert_eq!(seats_in_force(&mut store), Some(50));
    let log: Vec<Value> = store
        .list("log/")
        .iter()
        .map(|e| serde_json::from_str(&e.value).expect("json"))
        .collect();
    assert_eq!(
        log.last().expect("an entry")["request"]["force"],
        json!(true)
    );
    assert_eq!(
        log.last().expect("an entry")["request"]["signedBy"],
        json!(hex(vendor().verifying_key().as_bytes()))
    );
}

/// Issue 13: `POST /v1/import` installed an unsigned licence. On a trusting store an import's
/// licence passes the same check; an export carries the signature, so export → import round-trips.
#[test]
fn imports_pass_the_same_check_and_an_export_round_trips_on_a_trusting_store() {
    let mut store = seeded();
    let Answer::Scenario(exported) =
        drive(&mut store, Operation::Export, Timestamp::from_millis(T))
    else {
        panic!("an export")
    };
    let exported = serde_json::to_value(&exported).expect("json");
    assert!(
        exported["licence"]["signature"].is_object(),
        "the export carries the signature: {}",
        exported["licence"]
    );

    let import = |scenario: &Value, force: bool| {
        let text = scenario.to_string();
        let parsed = Scenario::parse(&text).expect("scenario");
        let admission = seatcap::rules::Admission {
            force,
            ..Default::default()
        };
        Operation::Import {
            state: parsed.state,
            replace: true,
            admission,
        }
    };
    let answer = drive_attempt(&mut store, trusted(import(&exported, false), T));
    assert!(
        matches!(answer, Answer::Done),
        "export → import on a trusting store: {answer:?}"
    );
    let Answer::Licence(view) = drive(&mut store, Operation::Licence, Timestamp::from_millis(T))
    else {
        panic!("a view")
    };
    assert_eq!(
        view.signed_by,
        Some(hex(vendor().verifying_key().as_bytes())),
        "the import records who signed it"
    );

    let before = store.entries.clone();
    let mut unsigned = exported.clone();
    unsigned["licence"] = licence(1_000_000, 9, "2026-02-01T00:00:00Z");
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(import(&unsigned, false), T),
    ));
    assert!(message.contains("unsigned"), "{message}");
    let mut older = exported.clone();
    older["licence"] = signed_by(licence(50, 1, "2025-01-01T00:00:00Z"), &vendor());
    let (_, message) = refused(&drive_attempt(
        &mut store,
        trusted(import(&older, false), T),
    ));
    assert!(message.contains("older"), "{message}");
    assert_eq!(store.entries, before, "refused imports change nothing");
    assert!(
        matches!(
            drive_attempt(&mut store, trusted(import(&older, true), T)),
            Answer::Done
        ),
        "forced"
    );
    assert_eq!(seats_in_force(&mut store), Some(50));
}

/// Dev mode accepts an unsigned licence, never a bad signature.
#[test]
fn dev_mode_accepts_unsigned_licences_only() {
    let mut store = seeded();
    let dev = Trust::new(&[], true).expect("no keys");
    let unsigned = licence(9, 9, "2026-02-01T00:00:00Z");
    let attempt =
        Attempt::new(licence_event(unsigned, false), Timestamp::from_millis(T)).trusting(&dev);
    assert!(matches!(drive_attempt(&mut store, attempt), Answer::Done));
    let mut bad = signed_by(licence(2, 10, "2026-02-02T00:00:00Z"), &vendor());
    bad["serial"] = json!(11);
    let attempt = Attempt::new(licence_event(bad, false), Timestamp::from_millis(T)).trusting(&dev);
    assert!(refused(&drive_attempt(&mut store, attempt))
        .1
        .contains("does not trust"));
}

/// Issue 13: a record written with a time before 1970 made the store unreadable, and
/// `import?replace=true` could not repair it because it parsed what it was about to delete.
#[test]
fn a_replacing_import_repairs_a_store_holding_an_unreadable_record() {
    let mut store = seeded();
    let bad = r#"{"seq":0,"since":"0201-05-05T05:25:14Z","via":"connect","lastSeen":"0201-05-05T05:25:14Z"}"#;
    store.entries.insert(
        "holder/activesync/user1@example.com".into(),
        (bad.into(), 999),
    );
    store.entries.insert(
        "account/user2@example.com".into(),
        ("{not json".into(), 1000),
    );
    let Answer::Refused(e) = drive(&mut store, Operation::Export, Timestamp::from_millis(T)) else {
        panic!("unreadable")
    };
    assert_eq!(e.code, ErrorCode::StoreError);
    let text = common::axigen(json!(2), 3, json!({}), vec![]).to_string();
    let parsed = Scenario::parse(&text).expect("scenario");
    let keep_out = Operation::Import {
        state: parsed.state.clone(),
        replace: false,
        admission: Default::default(),
    };
    assert!(
        matches!(
            drive(&mut store, keep_out, Timestamp::from_millis(T)),
            Answer::Refused(_)
        ),
        "no replace: refused"
    );
    let repair = Operation::Import {
        state: parsed.state,
        replace: true,
        admission: Default::default(),
    };
    let answer = drive(&mut store, repair, Timestamp::from_millis(T));
    assert!(matches!(answer, Answer::Done), "{answer:?}");
    assert!(
        matches!(
            drive(&mut store, Operation::Export, Timestamp::from_millis(T)),
            Answer::Scenario(_)
        ),
        "readable again"
    );
    let Answer::Audit(audit) = drive(&mut store, Operation::Audit, Timestamp::from_millis(T))
    else {
        panic!("audit")
    };
    assert!(audit.problems.is_empty(), "{:?}", audit.problems);
}

/// Issue 13: an event's time outside 1970–9999 is refused before anything is written.
#[test]
fn event_times_outside_1970_to_9999_are_invalid_and_write_nothing() {
    let mut store = seeded();
    let before = store.entries.clone();
    for at in [
        "0201-05-05T05:25:14Z",
        "1969-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z",
    ] {
        let event = json!({"op": "set", "node": "account:user1@example.com", "feature": "activesync", "value": "enabled", "at": at});
        let (op, _) = Operation::event(&event.to_string(), Ok(Timestamp::from_millis(T)));
        let (code, _) = refused(&drive(&mut store, op, Timestamp::from_millis(T)));
        assert_eq!(code, ErrorCode::InvalidInput, "{at}");
    }
    // A host time that is not valid makes every event without its own `at` invalid.
    let event = json!({"op": "set", "node": "account:user1@example.com", "feature": "activesync", "value": "enabled"});
    let (op, _) = Operation::event(&event.to_string(), Err("at: out of range".into()));
    assert_eq!(
        refused(&drive(&mut store, op, Timestamp::from_millis(T))).0,
        ErrorCode::InvalidInput
    );
    assert_eq!(store.entries, before);
}

/// Issue 13: deeply nested JSON in a licence or an event answered `store-error` (a stack
/// overflow in wasm). Nesting is bounded before parsing: `invalid-input`.
#[test]
fn deeply_nested_json_is_invalid_input_everywhere() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    let licence_file = format!(r#"{{"features": {{"a": {{"seats": {deep}}}}}}}"#);
    assert_eq!(
        seatcap::signature::read_unverified(&licence_file)
            .expect_err("deep")
            .code,
        ErrorCode::InvalidInput
    );
    let event = format!(r#"{{"op": "licence", "licence": {deep}}}"#);
    let (op, _) = Operation::event(&event, Ok(Timestamp::from_millis(T)));
    assert!(matches!(op, Operation::Invalid { .. }));
    let scenario =
        format!(r#"{{"licence": {{"features": {{}}}}, "directory": {{"server": {deep}}}}}"#);
    let err = Scenario::parse(&scenario).err().expect("deep scenario");
    assert!(err.to_string().contains("nested deeper"), "{err}");
    // A deep event is that event's problem only (SPEC "Invalid scenario vs invalid event").
    let scenario =
        format!(r#"{{"licence": {{"features": {{}}}}, "directory": {{}}, "events": [{deep}]}}"#);
    let outcome = seatcap::simulate(&scenario).expect("runs");
    assert_eq!(
        serde_json::to_value(&outcome.events).expect("json")[0]["error"]["code"],
        json!("invalid-input")
    );
}

/// Issue 13: a 257-byte scenario generating 10,000,000 accounts (within the documented maximum)
/// ended in `unreachable` after 54 s and 4 GB. The bound is the memory the accounts need.
#[test]
fn a_scenario_whose_accounts_need_more_memory_than_the_budget_is_refused_at_once() {
    let big = |count: u64, prefix: &str| {
        json!({"licence": {"features": {"activesync": {"seats": 10}}}, "directory": {"server": {"activesync": "disabled"},
            "domains": {"example.com": {"settings": {"activesync": "enabled"}}}, "generate": [{"domain": "example.com", "count": count, "prefix": prefix}]}})
        .to_string()
    };
    let text = big(10_000_000, "user");
    assert!(text.len() < 260, "{}", text.len());
    let started = std::time::Instant::now();
    let err = Scenario::parse(&text).err().expect("refused");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "answered at once"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("directory: 10000000 accounts need about"),
        "{message}"
    );
    assert!(message.contains("MB of memory"), "{message}");
    // Long ids need more: fewer accounts fit (1.2 million short ids would; not built here, it takes seconds).
    assert!(
        1_200_000 * seatcap::scenario::account_memory(16, 1) < seatcap::scenario::MEMORY_BUDGET
    );
    assert!(
        Scenario::parse(&big(1_200_000, &"p".repeat(200))).is_err(),
        "1.2 million 200-character ids do not fit"
    );
    assert!(
        Scenario::parse(&big(20_000, &"p".repeat(200))).is_ok(),
        "20,000 of them do"
    );
}

/// Steps an attempt until it would commit (or answers), answering loads from `store`.
fn to_commit(attempt: &mut Attempt, store: &KvStore) -> Option<seatcap::attempt::Commit> {
    use seatcap::attempt::{Loads, Step};
    let mut loads = None;
    loop {
        match attempt.step(loads.take()) {
            Step::Load { keys, lists } => {
                loads = Some(Loads {
                    got: store.get(&keys),
                    listed: lists.iter().map(|p| store.list(p)).collect(),
                })
            }
            Step::Commit { commit, .. } => return Some(commit),
            Step::Answer { .. } => return None,
        }
    }
}

/// Issue 13: an entry's key was `log/<request time>/<host id>`, so a retried write committed after
/// an entry listed later, and replaying the log gave the wrong final state. Entries are now numbered
/// in commit order: writes that all read the same state commit in reverse time order (the others
/// lose the race and retry), and the log still lists them as they committed, without gaps, and
/// folding each entry's `after` in log order reproduces the stored directory.
#[test]
fn the_change_log_is_in_commit_order_and_replaying_it_reproduces_the_store() {
    let text = common::axigen(json!(5), 4, json!({}), vec![]).to_string();
    let parsed = Scenario::parse(&text).expect("scenario");
    let mut store = KvStore::default();
    let context =
        |i: usize| LogContext::new(&format!("host-{}", i % 3), &format!("e{i}")).expect("context");
    let seed = Attempt::new(
        Operation::Import {
            state: parsed.state,
            replace: false,
            admission: Default::default(),
        },
        Timestamp::from_millis(T),
    )
    .logged(context(99));
    drive_attempt(&mut store, seed);
    let values = ["disabled", "inherit", "enabled"];
    let op = |i: usize| {
        let node = format!("account:user{}@example.com", 1 + i % 2);
        let event =
            json!({"op": "set", "node": node, "feature": "activesync", "value": values[i % 3]});
        Operation::event(&event.to_string(), Ok(Timestamp::from_millis(T))).0
    };
    let attempt = |i: usize| {
        Attempt::new(op(i), Timestamp::from_millis(T + i as i64 * 1000)).logged(context(i))
    };
    for round in 0..4 {
        let base = round * 6;
        // Six hosts read the same state; they commit latest-first, so all but one lose and retry.
        let mut pending: Vec<(usize, Attempt)> =
            (base..base + 6).map(|i| (i, attempt(i))).collect();
        let mut commits: Vec<(usize, seatcap::attempt::Commit)> = pending
            .iter_mut()
            .filter_map(|(i, a)| to_commit(a, &store).map(|c| (*i, c)))
            .collect();
        commits.reverse();
        let mut lost = Vec::new();
        for (i, commit) in commits {
            if !store.commit(&commit) {
                lost.push(i);
            }
        }
        assert!(!lost.is_empty(), "the race happened");
        for i in lost {
            drive_attempt(&mut store, attempt(i));
        }
    }
    let entries: Vec<Value> = store
        .list("log/")
        .iter()
        .map(|e| serde_json::from_str(&e.value).expect("json"))
        .collect();
    let seqs: Vec<u64> = entries
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=entries.len() as u64).collect::<Vec<_>>(),
        "numbered in commit order without gaps"
    );
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["at"].as_str().expect("at"))
        .collect();
    assert!(
        times.windows(2).any(|w| w[0] > w[1]),
        "commit order is not request-time order here"
    );
    // Fold the log from empty: the last `after` of each node is what the store holds.
    let mut nodes: std::collections::BTreeMap<String, Value> = std::collections::BTreeMap::new();
    for entry in entries.iter().skip(1) {
        for change in entry["changes"].as_array().expect("changes") {
            nodes.insert(
                change["node"].as_str().expect("node").to_string(),
                change["after"].clone(),
            );
        }
    }
    assert!(!nodes.is_empty());
    for (node, after) in nodes {
        let key = node.replacen("account:", "account/", 1);
        let stored: Value = serde_json::from_str(&store.entries[&key].0).expect("json");
        assert_eq!(after, stored, "{node}: the log's last word is the store's");
    }
}

/// Issue 13: at-cap did one store round trip (and one re-run of the rule) per account. The sweep
/// now reads ranges: the number of loads does not grow with the number of accounts.
#[test]
fn the_at_cap_sweep_takes_the_same_number_of_loads_at_any_size() {
    let loads_for = |accounts: u64| {
        let mut store = KvStore::default();
        let start = common::import(
            &mut store,
            &common::axigen(json!(1), accounts, json!({"capping": "at-cap"}), vec![]),
        );
        let claim = Operation::event(&common::connect(&common::user(1)).to_string(), Ok(start)).0;
        let (answer, count) = common::drive_counting(&mut store, Attempt::new(claim, start));
        assert!(
            matches!(answer, Answer::Decision(ref d) if d.allowed),
            "the last seat is claimed: {answer:?}"
        );
        let capped = store.list("capped/activesync/").len() as u64;
        assert_eq!(
            capped,
            accounts - 1,
            "every other account is capped at once"
        );
        count
    };
    let small = loads_for(20);
    assert_eq!(loads_for(400), small, "loads at 400 accounts");
    assert!(small <= 8, "{small} loads");
}

/// Issue 13: a domain admin's enable under `at-cap` wrote `disabled` + capped markers on other
/// domains' accounts, logged as that admin's change. The sweep still applies licence-wide (the
/// last seat is gone for everyone, R5), but the log names the engine for it, in its own entry.
#[test]
fn the_at_cap_sweep_is_logged_as_the_engines_own_entry_not_the_admins() {
    let scenario = json!({
        "licence": {"features": {"activesync": {"seats": 1}}},
        "policy": {"capping": "at-cap"},
        "directory": {"server": {"activesync": "disabled"},
            "domains": {"a.com": {"settings": {"activesync": "enabled"}}, "b.com": {"settings": {"activesync": "enabled"}}},
            "generate": [{"domain": "a.com", "count": 2, "prefix": "u"}, {"domain": "b.com", "count": 2, "prefix": "u"}]}
    });
    let mut store = KvStore::default();
    common::import(&mut store, &scenario);
    let event = json!({"op": "set", "node": "account:u1@a.com", "feature": "activesync", "value": "enabled"});
    let op = Operation::event(&event.to_string(), Ok(Timestamp::from_millis(T))).0;
    let context = LogContext::new("domain-admin:a.com", "req-1").expect("context");
    assert!(matches!(
        drive_attempt(
            &mut store,
            Attempt::new(op, Timestamp::from_millis(T)).logged(context)
        ),
        Answer::Done
    ));
    let entries: Vec<Value> = store
        .list("log/")
        .iter()
        .map(|e| serde_json::from_str(&e.value).expect("json"))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let (admin, engine) = (&entries[0], &entries[1]);
    assert_eq!(admin["actor"], "domain-admin:a.com");
    assert_eq!(
        admin["domains"],
        json!(["a.com"]),
        "the admin's entry touches only its own domain"
    );
    let nodes: Vec<&str> = admin["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["node"].as_str().expect("node"))
        .collect();
    assert_eq!(nodes, ["account:u1@a.com"]);
    assert_eq!(engine["actor"], "seatcap");
    assert_eq!(engine["request"]["op"], "at-cap");
    assert_eq!(engine["id"], "req-1-at-cap");
    assert_eq!(engine["domains"], json!(["a.com", "b.com"]));
    let capped: Vec<&str> = engine["seats"]
        .as_array()
        .expect("seats")
        .iter()
        .map(|s| s["account"].as_str().expect("id"))
        .collect();
    assert_eq!(capped, ["u1@b.com", "u2@a.com", "u2@b.com"]);
    assert_eq!(
        (admin["seq"].as_u64(), engine["seq"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(store.entries["log-head"].0, r#"{"count":2}"#);
}
