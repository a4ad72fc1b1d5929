//! Property tests: thousands of random event sequences per run, checking the
//! invariants SPEC promises after every single event (R4–R14).

mod common;

use std::collections::BTreeSet;

use proptest::prelude::*;
use seatcap::export::export_scenario;
use seatcap::keys::Record;
use seatcap::memory::MemoryState;
use seatcap::model::Shrink;
use seatcap::outcome::{state_view, EventResult};
use seatcap::rules::execute;
use seatcap::scenario::parse_event;
use seatcap::scenario::Scenario;
use seatcap::simulate::Simulator;
use seatcap::tx::{Halt, Missing, Snapshot, Tx};
use serde_json::{json, Value};

const FEATURES: [&str; 3] = ["as", "oc", "zz"];
const ACCOUNTS: [&str; 11] = [
    "a1@a.com", "a2@a.com", "a3@a.com", "a4@a.com", "b1@b.com", "b2@b.com", "b3@b.com", "n1@a.com",
    "n2@b.com", "z@c.com", "A1@A.com",
];
const NODES: [&str; 8] = [
    "server",
    "domain:a.com",
    "domain:b.com",
    "domain:c.com",
    "class:a.com/x",
    "class:a.com/y",
    "class:a.com/q",
    "server",
];
const VALUES: [&str; 3] = ["enabled", "disabled", "inherit"];

fn seats() -> impl Strategy<Value = Value> {
    prop_oneof![4 => (0u64..4).prop_map(Value::from), 1 => Just(Value::Null)]
}

fn licence() -> impl Strategy<Value = Value> {
    (
        prop::option::weighted(0.9, seats()),
        prop::option::weighted(0.8, seats()),
        prop::option::of(6u64..12),
    )
        .prop_map(|(a, o, mailboxes)| {
            let mut features = serde_json::Map::new();
            if let Some(s) = a {
                features.insert("as".into(), json!({"seats": s}));
            }
            if let Some(s) = o {
                features.insert("oc".into(), json!({"seats": s}));
            }
            json!({"mailboxes": mailboxes, "features": features})
        })
}

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

fn settings() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(pick(&FEATURES), pick(&VALUES), 0..3).prop_map(|m| json!(m))
}

fn event() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => (pick(&ACCOUNTS), pick(&FEATURES)).prop_map(|(a, f)| json!({"op": "connect", "account": a, "feature": f})),
        4 => (prop_oneof![pick(&NODES).prop_map(str::to_string), pick(&ACCOUNTS).prop_map(|a| format!("account:{a}"))],
              pick(&FEATURES), pick(&VALUES))
            .prop_map(|(n, f, v)| json!({"op": "set", "node": n, "feature": f, "value": v})),
        2 => licence().prop_map(|l| json!({"op": "licence", "licence": l})),
        2 => (pick(&ACCOUNTS), prop::bool::weighted(0.8), prop::option::of(pick(&["x", "y", "q"])), settings())
            .prop_map(|(a, premium, class, settings)| json!({"op": "create", "account": a,
                "type": if premium { "premium" } else { "basic" }, "class": class, "settings": settings})),
        1 => pick(&ACCOUNTS).prop_map(|a| json!({"op": "delete", "account": a})),
        1 => (pick(&ACCOUNTS), pick(&["premium", "basic"])).prop_map(|(a, t)| json!({"op": "set-type", "account": a, "type": t})),
        1 => pick(&FEATURES).prop_map(|f| json!({"op": "restore-capped", "feature": f})),
        1 => prop::sample::select(vec![json!({"op": "connect"}), json!({"op": "nope"}), json!([]),
                                       json!({"op": "set", "node": "server", "feature": "as", "value": "inherit"})]),
    ]
}

/// Events with times: mostly increasing, some repeated, some left to the default.
fn timed_events(max: usize, always_at: bool) -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec((event(), 0u64..3, prop::bool::weighted(0.7)), 1..max).prop_map(
        move |items| {
            let mut hour = 0u64;
            items
                .into_iter()
                .map(|(mut e, step, with_at)| {
                    hour += step;
                    if (with_at || always_at) && e.is_object() {
                        e["at"] = json!(format!(
                            "2026-02-{:02}T{:02}:00:00Z",
                            1 + hour / 24,
                            hour % 24
                        ));
                    }
                    e
                })
                .collect()
        },
    )
}

fn policy() -> impl Strategy<Value = Value> {
    (
        pick(&["on-attempt", "at-cap"]),
        pick(&["disable", "waitlist"]),
        pick(&["grandfather", "evict-newest", "evict-idle"]),
        any::<bool>(),
    )
        .prop_map(
            |(c, o, s, r)| json!({"capping": c, "overflow": o, "shrink": s, "restoreOnGrow": r}),
        )
}

fn scenario(events: Vec<Value>, policy: Value, licence: Value) -> Value {
    json!({
        "licence": licence,
        "policy": policy,
        "directory": {
            "server": {"oc": "enabled"},
            "domains": {"a.com": {"settings": {"as": "enabled"}, "classes": {"x": {"settings": {"as": "disabled", "oc": "enabled"}}, "y": {}}},
                        "b.com": {"settings": {"oc": "disabled"}}},
            "accounts": [
                {"id": "a1@a.com"}, {"id": "a2@a.com", "class": "x"}, {"id": "a3@a.com", "class": "y"},
                {"id": "a4@a.com", "type": "basic"}, {"id": "b1@b.com", "settings": {"as": "enabled"}},
                {"id": "b2@b.com"}, {"id": "b3@b.com", "settings": {"oc": "enabled"}}
            ]
        },
        "events": events
    })
}

fn raw(events: &[Value]) -> Vec<String> {
    events.iter().map(Value::to_string).collect()
}

/// holders per licensed feature, for the cap check.
fn holder_counts(state: &MemoryState) -> Vec<(String, u64, Option<u64>)> {
    let tx = Tx::new(state);
    let licence = tx.licence().expect("licence");
    licence
        .features
        .iter()
        .map(|(f, l)| {
            (
                f.to_string(),
                tx.holders(f).expect("holders").len() as u64,
                l.seats,
            )
        })
        .collect()
}

/// The invariants of SPEC that hold after every event (`seatcap::audit`).
fn check_invariants(state: &MemoryState) -> Result<(), TestCaseError> {
    let audit = seatcap::audit::audit(state).expect("a loaded state audits");
    prop_assert!(audit.problems.is_empty(), "audit: {:?}", audit.problems);
    Ok(())
}

/// Whether an event's answer says it was refused or denied without writes.
fn changes_nothing(result: &EventResult, event: &Value, before: &MemoryState) -> bool {
    match result {
        EventResult::Op(op) => !op.ok,
        EventResult::Decision(d) => {
            use seatcap::Reason::*;
            match d.reason {
                UnknownAccount | UnknownFeature | LicenceExpired | NotPremium | Disabled
                | InvalidInput => true,
                // Capped by a marker it already carries: nothing more is written.
                Capped => {
                    let (Some(id), Some(feature)) =
                        (event["account"].as_str(), event["feature"].as_str())
                    else {
                        return false;
                    };
                    let (Ok(id), Ok(feature)) = (
                        seatcap::model::AccountId::parse(id),
                        seatcap::model::Feature::parse(feature),
                    ) else {
                        return false;
                    };
                    Tx::new(before)
                        .account(&id)
                        .ok()
                        .flatten()
                        .is_some_and(|a| a.capped.contains_key(&feature))
                }
                SeatHeld | SeatClaimed | Waitlisted => false,
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// R4, R5, R10, R12, R14: after every event the ledger is exact, holders
    /// are premium and enabled, capped means disabled, refusals write nothing,
    /// and holders exceed seats only as R10 grandfathering allows.
    #[test]
    fn invariants_hold_after_every_event(events in timed_events(60, false), policy in policy(), licence in licence()) {
        let shrink: Shrink = serde_json::from_value(policy["shrink"].clone()).expect("shrink");
        let s = scenario(events.clone(), policy, licence);
        let text = s.to_string();
        let parsed = Scenario::parse(&text).expect("valid scenario");
        let mut sim = Simulator::new(parsed.state, parsed.start);
        check_invariants(&sim.state)?;
        for (i, event) in raw(&events).iter().enumerate() {
            let before = sim.state.clone();
            let counts_before = holder_counts(&before);
            let result = sim.step(event);
            check_invariants(&sim.state)?;
            if changes_nothing(&result, &events[i], &before) {
                prop_assert!(sim.state == before, "event {} ({}) was refused but changed the state", i, events[i]);
            }
            let is_licence = events[i]["op"] == "licence";
            for (feature, after, limit) in holder_counts(&sim.state) {
                let Some(limit) = limit else { continue };
                let before = counts_before.iter().find(|(f, _, _)| *f == feature).map_or(0, |c| c.1);
                if is_licence && shrink != Shrink::Grandfather {
                    prop_assert!(after <= limit, "{}: {} holders over {} seats after an evicting shrink", feature, after, limit);
                } else {
                    prop_assert!(after <= limit.max(before), "{}: {} holders over {} seats (was {}) after {}", feature, after, limit, before, events[i]);
                }
            }
        }
    }

    /// R13: the same scenario twice gives the same outcome.
    #[test]
    fn same_scenario_same_outcome(events in timed_events(40, false), policy in policy(), licence in licence()) {
        let s = scenario(events, policy, licence).to_string();
        let first = serde_json::to_string(&seatcap::simulate(&s).expect("valid")).expect("json");
        let second = serde_json::to_string(&seatcap::simulate(&s).expect("valid")).expect("json");
        prop_assert_eq!(first, second);
    }

    /// SPEC "Recorded state": export after some events, then simulate the
    /// rest from the export: same answers, same final state.
    #[test]
    fn export_then_simulate_reproduces_the_live_state(events in timed_events(50, true), split in 0usize..50, policy in policy(), licence in licence()) {
        let split = split.min(events.len());
        let s = scenario(events.clone(), policy, licence);
        let text = s.to_string();
        let parsed = Scenario::parse(&text).expect("valid scenario");
        let mut live = Simulator::new(parsed.state, parsed.start);
        let all = raw(&events);
        for event in &all[..split] {
            live.step(event);
        }
        let mut exported = export_scenario(&live.state).expect("export");
        exported.events = events[split..].to_vec();
        let exported_text = serde_json::to_string(&exported).expect("json");
        let replay = seatcap::simulate(&exported_text).map_err(|e| TestCaseError::fail(format!("export rejected: {e}\n{exported_text}")))?;
        let live_results: Vec<EventResult> = all[split..].iter().map(|e| live.step(e)).collect();
        prop_assert_eq!(&replay.events, &live_results);
        prop_assert_eq!(&replay.state, &state_view(&live.state).expect("view"));
    }

    /// The sans-I/O contract the store hosts rely on: run against a snapshot
    /// that starts empty and answers `Missing`, fetching each missing key or
    /// range and running the rule again gives exactly the answer and the
    /// writes of a fully loaded run, in a bounded number of rounds.
    #[test]
    fn rules_rerun_on_missing_keys_reach_the_same_answer(events in timed_events(40, true), policy in policy(), licence in licence()) {
        let s = scenario(events.clone(), policy, licence);
        let text = s.to_string();
        let parsed = Scenario::parse(&text).expect("valid scenario");
        let mut state = parsed.state;
        let mut at = seatcap::time::DEFAULT_START;
        for event in &events {
            let parsed = parse_event(&event.to_string());
            at = parsed.at.unwrap_or(at);
            let Ok(request) = parsed.request else { continue };
            let direct = execute(&state, &request, at);
            let lazy = Lazy::new(&state);
            let mut rounds = 0;
            let answer = loop {
                match execute(&lazy, &request, at) {
                    Err(Halt::Missing(missing)) => lazy.load(missing),
                    other => break other,
                }
                rounds += 1;
                prop_assert!(rounds < 64, "no answer after {} rounds for {}", rounds, event);
            };
            match (&direct, &answer) {
                (Ok(d), Ok(a)) => {
                    prop_assert_eq!(&d.response, &a.response);
                    prop_assert_eq!(&d.writes, &a.writes);
                }
                (Err(d), Err(a)) => prop_assert_eq!(d, a),
                _ => prop_assert!(false, "direct {:?} but lazy {:?}", direct.is_ok(), answer.is_ok()),
            }
            if let Ok(applied) = direct {
                state.apply(applied.writes);
            }
        }
    }

    /// R14 under concurrency: events run as three clients whose attempts
    /// interleave step by step in a random schedule over one versioned store;
    /// a lost race retries. Every commit leaves a consistent state, and the
    /// answers are exactly those of running the events one at a time in the
    /// order their commits (or single consistent reads) took effect.
    #[test]
    fn interleaved_attempts_are_linearizable(events in timed_events(30, true), schedule in prop::collection::vec(0usize..3, 400), policy in policy(), licence in licence(), versioned_lists in any::<bool>()) {
        use seatcap::attempt::{Attempt, Loads, Operation, Step};
        use seatcap::time::Timestamp;
        let s = scenario(vec![], policy, licence);
        // Listings with versions (counted as read at them) or without (read again with `get`).
        let mut store = common::KvStore::default();
        store.versioned_lists = versioned_lists;
        let start = common::import(&mut store, &s);
        let initial = store.clone();
        let ops: Vec<(String, Timestamp)> = raw(&events).into_iter().map(|e| {
            let (_, at) = Operation::event(&e, Ok(start));
            (e, at)
        }).collect();

        struct Client { queue: Vec<usize>, current: Option<(usize, Attempt, Option<Loads>, u64)> }
        let mut clients: Vec<Client> = (0..3).map(|c| Client { queue: (0..ops.len()).filter(|i| i % 3 == c).rev().collect(), current: None }).collect();
        let mut answers: Vec<Option<(Value, (u64, u8))>> = vec![None; ops.len()];
        let mut commits = 0u64;
        let mut turns = schedule.into_iter().cycle().take(100_000);
        while clients.iter().any(|c| c.current.is_some() || !c.queue.is_empty()) {
            let pick = turns.next().unwrap_or(0);
            let Some(client) = (0..3).map(|k| (pick + k) % 3).find(|&k| clients[k].current.is_some() || !clients[k].queue.is_empty()) else { break };
            let c = &mut clients[client];
            if c.current.is_none() {
                let i = c.queue.pop().expect("queued");
                let (op, at) = Operation::event(&ops[i].0, Ok(ops[i].1));
                c.current = Some((i, Attempt::new(op, at), None, commits));
            }
            let (i, attempt, loads, read_at) = c.current.as_mut().expect("current");
            match attempt.step(loads.take()) {
                Step::Load { keys, lists } => {
                    *read_at = commits;
                    *loads = Some(Loads { got: store.get(&keys), listed: lists.iter().map(|p| store.list(p)).collect() });
                }
                Step::Commit { commit, answer } => {
                    let i = *i;
                    if store.commit(&commit) {
                        let point = if commit.put.is_empty() && commit.del.is_empty() { (commits, 1) } else { commits += 1; (commits, 0) };
                        answers[i] = Some((common::event_result(answer), point));
                        c.current = None;
                        check_invariants(&store.state())?;
                    } else {
                        let (op, at) = Operation::event(&ops[i].0, Ok(ops[i].1));
                        c.current = Some((i, Attempt::new(op, at), None, commits));
                    }
                }
                Step::Answer { answer } => {
                    answers[*i] = Some((common::event_result(answer), (*read_at, 1)));
                    c.current = None;
                }
            }
        }
        let mut order: Vec<(usize, Value, (u64, u8))> = answers.into_iter().enumerate().map(|(i, a)| {
            let (v, p) = a.expect("every event answered");
            (i, v, p)
        }).collect();
        order.sort_by_key(|(i, _, p)| (*p, *i));
        let mut serial = initial;
        for (i, concurrent, _) in &order {
            let (op, at) = Operation::event(&ops[*i].0, Ok(ops[*i].1));
            let alone = common::event_result(common::drive(&mut serial, op, at));
            prop_assert_eq!(&alone, concurrent, "event {} ({}) answered differently than in commit order", i, ops[*i].0);
        }
        prop_assert_eq!(serial.state(), store.state());
    }

    /// No input makes the engine panic (a panic in wasm poisons the instance).
    #[test]
    fn arbitrary_json_never_panics(value in arbitrary_json(), wrap in 0u8..4) {
        let text = match wrap {
            0 => value.to_string(),
            1 => json!({"licence": value, "directory": {}}).to_string(),
            2 => json!({"licence": {"features": {"f": {"seats": 1}}}, "directory": value}).to_string(),
            _ => json!({"licence": {"features": {"f": {"seats": 1}}}, "directory": {"domains": {"d.com": {}}, "accounts": [{"id": "a@d.com"}]},
                        "events": [value.clone(), {"op": "connect", "account": value.clone(), "feature": "f"},
                                   {"op": "set", "node": value.clone(), "feature": "f", "value": value}]}).to_string(),
        };
        let _ = seatcap::simulate(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = seatcap::simulate(&text);
        let _ = seatcap::time::Timestamp::parse(&text);
        let _ = seatcap::model::AccountId::parse(&text);
        let _ = seatcap::model::Node::parse(&text);
        let _ = seatcap::simulate::explain_after(&text, &text, &text);
    }
}

/// A snapshot that holds only what was asked for, as a host store would.
struct Lazy<'a> {
    full: &'a MemoryState,
    keys: std::cell::RefCell<BTreeSet<String>>,
    prefixes: std::cell::RefCell<BTreeSet<String>>,
}

impl<'a> Lazy<'a> {
    fn new(full: &'a MemoryState) -> Self {
        Lazy {
            full,
            keys: Default::default(),
            prefixes: Default::default(),
        }
    }

    fn load(&self, missing: Missing) {
        match missing {
            Missing::Key(k) => self.keys.borrow_mut().insert(k),
            Missing::Prefixes(ps) => {
                let mut prefixes = self.prefixes.borrow_mut();
                ps.into_iter().all(|p| prefixes.insert(p))
            }
        };
    }
}

impl Snapshot for Lazy<'_> {
    fn has_range(&self, prefix: &str) -> bool {
        self.prefixes.borrow().contains(prefix)
    }

    fn get(&self, key: &str) -> Result<Option<Record>, Missing> {
        let loaded = self.keys.borrow().contains(key)
            || self
                .prefixes
                .borrow()
                .iter()
                .any(|p| key.starts_with(p.as_str()));
        if loaded {
            self.full.get(key)
        } else {
            Err(Missing::Key(key.to_string()))
        }
    }

    fn scan(&self, prefix: &str) -> Result<Vec<(String, Record)>, Missing> {
        if self.prefixes.borrow().contains(prefix) {
            self.full.scan(prefix)
        } else {
            Err(Missing::Prefixes(vec![prefix.to_string()]))
        }
    }
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        pick(&[
            "connect",
            "set",
            "licence",
            "create",
            "delete",
            "set-type",
            "restore-capped",
            "enabled",
            "a@d.com",
            "f",
            "server",
            "2026-01-01T00:00:00Z"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                pick(&[
                    "op", "account", "feature", "node", "value", "at", "licence", "seats",
                    "features", "type", "class", "settings", "id", "domains"
                ])
                .prop_map(str::to_string),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
