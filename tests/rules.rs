//! Rule-by-rule tests of SPEC.md. Each test names the rule it checks.

mod common;

use common::*;
use serde_json::{json, Value};

fn default_policy() -> Value {
    json!({})
}

// ---------------------------------------------------------------- R1

#[test]
fn r1_account_setting_overrides_domain() {
    let o = outcome(&axigen(
        json!(10),
        3,
        default_policy(),
        vec![
            set("account:user2@example.com", "disabled"),
            connect(&user(1)),
            connect(&user(2)),
        ],
    ));
    assert_eq!(
        o["events"][1],
        json!({"allowed": true, "reason": "seat-claimed", "source": "domain:example.com"})
    );
    assert_eq!(
        o["events"][2],
        json!({"allowed": false, "reason": "disabled", "source": "account:user2@example.com"})
    );
    assert_eq!(account(&o, &user(2))["setting"], "disabled");
    assert_eq!(account(&o, &user(3))["setting"], "inherit");
    assert_eq!(account(&o, &user(3))["source"], "domain:example.com");
}

#[test]
fn r1_class_sits_between_account_and_domain() {
    let scenario = json!({
        "licence": {"features": {"activesync": {"seats": null}}},
        "directory": {
            "server": {"activesync": "enabled"},
            "domains": {"a.com": {"settings": {"activesync": "disabled"},
                                  "classes": {"vip": {"settings": {"activesync": "enabled"}}, "plain": {}}}},
            "accounts": [
                {"id": "boss@a.com", "class": "vip"},
                {"id": "clerk@a.com", "class": "plain"},
                {"id": "temp@a.com"}
            ]
        },
        "events": [connect("boss@a.com"), connect("clerk@a.com"), connect("temp@a.com")]
    });
    let o = outcome(&scenario);
    assert_eq!(
        o["events"][0],
        json!({"allowed": true, "reason": "seat-claimed", "source": "class:a.com/vip"})
    );
    assert_eq!(
        o["events"][1],
        json!({"allowed": false, "reason": "disabled", "source": "domain:a.com"})
    );
    assert_eq!(
        o["events"][2],
        json!({"allowed": false, "reason": "disabled", "source": "domain:a.com"})
    );
}

#[test]
fn r1_server_decides_when_all_inherit_and_defaults_to_disabled() {
    let scenario = json!({
        "licence": {"features": {"activesync": {"seats": 5}, "outlook": {"seats": 5}}},
        "directory": {"server": {"outlook": "enabled"}, "domains": {"b.com": {}}, "accounts": [{"id": "x@b.com"}]},
        "events": [connect("x@b.com"), {"op": "connect", "account": "x@b.com", "feature": "outlook"}]
    });
    let o = outcome(&scenario);
    assert_eq!(
        o["events"][0],
        json!({"allowed": false, "reason": "disabled", "source": "server"})
    );
    assert_eq!(
        o["events"][1],
        json!({"allowed": true, "reason": "seat-claimed", "source": "server"})
    );
    assert_eq!(
        o["state"]["accounts"]["x@b.com"]["activesync"]["effective"],
        "disabled"
    );
}

#[test]
fn r1_ids_and_domains_compare_lower_cased() {
    let scenario = json!({
        "licence": {"features": {"activesync": {"seats": 1}}},
        "directory": {"domains": {"Example.COM": {"settings": {"activesync": "enabled"}}},
                      "accounts": [{"id": "Boss@Example.com"}]},
        "events": [connect("BOSS@example.COM"), set("account:boss@EXAMPLE.com", "disabled")]
    });
    let o = outcome(&scenario);
    assert_eq!(
        o["events"][0],
        json!({"allowed": true, "reason": "seat-claimed", "source": "domain:example.com"})
    );
    assert!(ok(&o, 1));
    assert_eq!(
        o["state"]["accounts"]["boss@example.com"]["activesync"]["setting"],
        "disabled"
    );
}

// ---------------------------------------------------------------- R2

#[test]
fn r2_unknown_account_and_feature_have_no_source() {
    let o = outcome(&axigen(
        json!(1),
        1,
        default_policy(),
        vec![
            connect("ghost@example.com"),
            json!({"op": "connect", "account": user(1), "feature": "sharing"}),
            connect("ghost@elsewhere.org"),
        ],
    ));
    assert_eq!(
        o["events"][0],
        json!({"allowed": false, "reason": "unknown-account", "source": null})
    );
    assert_eq!(
        o["events"][1],
        json!({"allowed": false, "reason": "unknown-feature", "source": null})
    );
    assert_eq!(
        o["events"][2],
        json!({"allowed": false, "reason": "unknown-account", "source": null})
    );
    assert!(holders(&o).is_empty());
}

#[test]
fn r2_expiry_gates_connects_at_or_after_expires_but_not_administration() {
    let mut s = axigen(
        json!(5),
        3,
        default_policy(),
        vec![
            connect_at(&user(1), "2026-05-31T23:59:59Z"),
            connect_at(&user(2), "2026-06-01T00:00:00Z"),
            connect_at(&user(1), "2026-07-01T00:00:00Z"),
            json!({"op": "set", "node": "account:user3@example.com", "feature": "activesync", "value": "enabled", "at": "2026-07-01T00:00:00Z"}),
        ],
    );
    s["licence"]["expires"] = json!("2026-06-01T00:00:00Z");
    let o = outcome(&s);
    assert_eq!(reason(&o, 0), "seat-claimed");
    assert_eq!(
        o["events"][1],
        json!({"allowed": false, "reason": "licence-expired", "source": "domain:example.com"})
    );
    assert_eq!(reason(&o, 2), "licence-expired", "even a holder is gated");
    assert!(ok(&o, 3), "administration still works after expiry");
    assert_eq!(holders(&o), vec![user(1), user(3)]);
}

#[test]
fn r2_gate_order_expired_before_basic_before_disabled() {
    let mut s = json!({
        "licence": {"features": {"activesync": {"seats": 5}}, "expires": "2027-01-01"},
        "directory": {"domains": {"c.com": {"settings": {"activesync": "disabled"}}},
                      "accounts": [{"id": "b@c.com", "type": "basic"}, {"id": "p@c.com"}]},
        "events": [connect("b@c.com"), connect("p@c.com"),
                   connect_at("b@c.com", "2027-01-01T00:00:00Z")]
    });
    let o = outcome(&s);
    assert_eq!(
        o["events"][0],
        json!({"allowed": false, "reason": "not-premium", "source": "domain:c.com"})
    );
    assert_eq!(
        o["events"][1],
        json!({"allowed": false, "reason": "disabled", "source": "domain:c.com"})
    );
    assert_eq!(reason(&o, 2), "licence-expired");
    s["directory"]["domains"]["c.com"]["settings"]["activesync"] = json!("enabled");
    let o = outcome(&s);
    assert_eq!(reason(&o, 0), "not-premium", "basic even when enabled");
    assert_eq!(reason(&o, 1), "seat-claimed");
}

#[test]
fn r2_denials_change_nothing() {
    let base = axigen(
        json!(1),
        2,
        default_policy(),
        vec![set("account:user2@example.com", "disabled")],
    );
    let before = outcome(&base)["state"].clone();
    let mut with_denials = base.clone();
    let events = with_denials["events"].as_array_mut().expect("events");
    events.extend([
        connect(&user(2)),
        connect("nobody@example.com"),
        json!({"op": "connect", "account": user(1), "feature": "nope"}),
    ]);
    assert_eq!(outcome(&with_denials)["state"], before);
}

// ---------------------------------------------------------------- R3

#[test]
fn r3_holder_reconnects_with_seat_held_and_last_seen_moves() {
    let ran = run_value(&axigen(
        json!(1),
        2,
        default_policy(),
        vec![
            connect_at(&user(1), "2026-02-01T08:00:00Z"),
            connect_at(&user(2), "2026-02-01T09:00:00Z"),
            connect_at(&user(1), "2026-02-03T10:00:00Z"),
        ],
    ));
    let o = outcome_of(&ran);
    assert_eq!(
        o["events"][2],
        json!({"allowed": true, "reason": "seat-held", "source": "domain:example.com"})
    );
    let e = explain(&ran.state, &user(1), "2026-02-04T00:00:00Z");
    let seat = e.seat.expect("holds a seat");
    assert_eq!(seat.since.to_string(), "2026-02-01T08:00:00Z");
    assert_eq!(seat.last_seen.to_string(), "2026-02-03T10:00:00Z");
    assert_eq!(e.rule, "R3");
}

// ---------------------------------------------------------------- R4

#[test]
fn r4_first_come_first_served_in_claim_order() {
    let o = outcome(&axigen(
        json!(3),
        5,
        default_policy(),
        vec![
            connect(&user(4)),
            connect(&user(2)),
            connect(&user(5)),
            connect(&user(1)),
        ],
    ));
    assert_eq!(holders(&o), vec![user(4), user(2), user(5)]);
    assert_eq!(reason(&o, 3), "capped");
}

#[test]
fn r4_unlimited_seats_let_everyone_claim() {
    let events = (1..=50).map(|n| connect(&user(n))).collect();
    let o = outcome(&axigen(Value::Null, 50, default_policy(), events));
    assert_eq!(holders(&o).len(), 50);
    assert_eq!(o["state"]["seats"]["activesync"]["limit"], Value::Null);
}

// ---------------------------------------------------------------- R5 (the Axigen example)

#[test]
fn r5_axigen_example_500_accounts_200_seats() {
    let mut events: Vec<Value> = (1..=500).rev().map(|n| connect(&user(n))).collect();
    events.extend((1..=500).map(|n| connect(&user(n))));
    events.push(set("account:user1@example.com", "enabled"));
    events.push(set("account:user500@example.com", "disabled"));
    events.push(set("account:user1@example.com", "enabled"));
    let o = outcome(&axigen(json!(200), 500, default_policy(), events));
    // "Once 200 unique accounts have connected at least once the account list is retained."
    let held = holders(&o);
    assert_eq!(held.len(), 200, "user500 gave its seat up, user1 took it");
    assert_eq!(
        held.first(),
        Some(&user(499)),
        "claim order: user500 first, then 499, …"
    );
    assert!(!held.contains(&user(500)));
    // "The 300 accounts that did not login before the capping will have their ActiveSync option
    //  disabled and the inheritance method set to explicitly defined."
    assert_eq!(
        o["events"][200],
        json!({"allowed": false, "reason": "capped", "source": "domain:example.com"})
    );
    assert_eq!(
        o["events"][500 + 299],
        json!({"allowed": false, "reason": "capped", "source": "account:user300@example.com"})
    );
    assert_eq!(
        o["events"][500 + 300],
        json!({"allowed": true, "reason": "seat-held", "source": "domain:example.com"})
    );
    assert_eq!(
        capped_count(&o),
        299,
        "user1 was capped, then enabled by an administrator"
    );
    assert_eq!(
        account(&o, &user(300)),
        &json!({"setting": "disabled", "capped": true, "effective": "disabled",
        "source": "account:user300@example.com", "seat": false})
    );
    // "To enable another user account you will have to disable one of the already active ones."
    let first_enable = 1000;
    assert_eq!(
        error_code(&o, first_enable).as_deref(),
        Some("seats-exhausted")
    );
    assert_eq!(
        o["events"][first_enable]["error"]["holders"]
            .as_array()
            .map(Vec::len),
        Some(200)
    );
    assert!(ok(&o, first_enable + 1));
    assert!(ok(&o, first_enable + 2));
    assert_eq!(account(&o, &user(1))["seat"], true);
    assert_eq!(held.last(), Some(&user(1)));
}

#[test]
fn r5_at_cap_marks_every_waiting_account_when_the_last_seat_goes() {
    let o = outcome(&axigen(
        json!(2),
        5,
        json!({"capping": "at-cap"}),
        vec![
            connect(&user(1)),
            connect(&user(2)),
            json!({"op": "create", "account": "late@example.com"}),
            connect(&user(3)),
            connect("late@example.com"),
        ],
    ));
    assert_eq!(
        capped_count(&o),
        4,
        "user3..5 at the cap, then late@ at its own connect"
    );
    assert_eq!(
        o["events"][3],
        json!({"allowed": false, "reason": "capped", "source": "account:user3@example.com"})
    );
    assert_eq!(
        o["events"][4],
        json!({"allowed": false, "reason": "capped", "source": "domain:example.com"})
    );
    assert_eq!(account(&o, &user(5))["capped"], true);
    assert_eq!(account(&o, &user(5))["setting"], "disabled");
}

#[test]
fn r5_at_cap_skips_basic_disabled_and_holding_accounts() {
    let s = json!({
        "licence": {"features": {"activesync": {"seats": 1}}},
        "policy": {"capping": "at-cap"},
        "directory": {"domains": {"d.com": {"settings": {"activesync": "enabled"}}},
                      "accounts": [{"id": "a@d.com"}, {"id": "b@d.com", "type": "basic"},
                                   {"id": "c@d.com", "settings": {"activesync": "disabled"}}, {"id": "e@d.com"}]},
        "events": [connect("a@d.com")]
    });
    let o = outcome(&s);
    let capped: Vec<&str> = ["a@d.com", "b@d.com", "c@d.com", "e@d.com"]
        .into_iter()
        .filter(|id| o["state"]["accounts"][*id]["activesync"]["capped"] == true)
        .collect();
    assert_eq!(capped, vec!["e@d.com"]);
}

#[test]
fn r5_at_cap_does_nothing_under_waitlist() {
    let o = outcome(&axigen(
        json!(1),
        3,
        json!({"capping": "at-cap", "overflow": "waitlist"}),
        vec![connect(&user(1))],
    ));
    assert_eq!(capped_count(&o), 0);
}

// ---------------------------------------------------------------- R6

#[test]
fn r6_admin_enable_reserves_a_seat_at_once() {
    let ran = run_value(&axigen(
        json!(2),
        3,
        default_policy(),
        vec![
            json!({"op": "set", "node": "account:user3@example.com", "feature": "activesync", "value": "enabled", "at": "2026-03-01T00:00:00Z"}),
            connect(&user(1)),
            connect(&user(2)),
            connect(&user(3)),
        ],
    ));
    let o = outcome_of(&ran);
    assert_eq!(holders(&o), vec![user(3), user(1)]);
    assert_eq!(reason(&o, 2), "capped");
    assert_eq!(
        o["events"][3],
        json!({"allowed": true, "reason": "seat-held", "source": "account:user3@example.com"})
    );
    let seat = explain(&ran.state, &user(3), "2026-04-01T00:00:00Z")
        .seat
        .expect("seat");
    assert_eq!(
        (seat.via, seat.since.to_string(), seat.last_seen.to_string()),
        (
            seatcap::model::Via::Admin,
            "2026-03-01T00:00:00Z".into(),
            "2026-03-01T00:00:03Z".into()
        )
    );
}

#[test]
fn r6_full_admin_enable_is_refused_with_the_holders_and_changes_nothing() {
    let base = axigen(
        json!(2),
        3,
        default_policy(),
        vec![connect(&user(2)), connect(&user(1)), connect(&user(3))],
    );
    let before = outcome(&base);
    let mut s = base.clone();
    s["events"]
        .as_array_mut()
        .expect("events")
        .push(set("account:user3@example.com", "enabled"));
    let o = outcome(&s);
    assert_eq!(o["events"][3]["ok"], false);
    assert_eq!(o["events"][3]["error"]["code"], "seats-exhausted");
    assert_eq!(
        o["events"][3]["error"]["holders"],
        json!([user(2), user(1)])
    );
    assert_eq!(
        o["state"], before["state"],
        "the capped marker stays: nothing changed"
    );
}

#[test]
fn r6_admin_enable_clears_the_capped_marker_and_basic_takes_no_seat() {
    let s = json!({
        "licence": {"features": {"activesync": {"seats": 1}}},
        "directory": {"domains": {"d.com": {"settings": {"activesync": "enabled"}}},
                      "accounts": [{"id": "a@d.com"}, {"id": "b@d.com"}, {"id": "basic@d.com", "type": "basic"}]},
        "events": [connect("a@d.com"), connect("b@d.com"), set("account:a@d.com", "disabled"),
                   set("account:b@d.com", "enabled"), set("account:basic@d.com", "enabled")]
    });
    let o = outcome(&s);
    assert_eq!(reason(&o, 1), "capped");
    assert!(ok(&o, 3) && ok(&o, 4));
    assert_eq!(
        o["state"]["accounts"]["b@d.com"]["activesync"],
        json!({"setting": "enabled", "capped": false, "effective": "enabled", "source": "account:b@d.com", "seat": true})
    );
    assert_eq!(
        o["state"]["accounts"]["basic@d.com"]["activesync"]["seat"],
        false
    );
    assert_eq!(
        o["state"]["accounts"]["basic@d.com"]["activesync"]["setting"],
        "enabled"
    );
}

// ---------------------------------------------------------------- R7

#[test]
fn r7_admin_disable_releases_the_seat_for_the_next_comer() {
    let o = outcome(&axigen(
        json!(1),
        3,
        default_policy(),
        vec![
            connect(&user(1)),
            set("account:user1@example.com", "disabled"),
            connect(&user(2)),
            connect(&user(1)),
        ],
    ));
    assert_eq!(holders(&o), vec![user(2)]);
    assert_eq!(reason(&o, 2), "seat-claimed");
    assert_eq!(
        o["events"][3],
        json!({"allowed": false, "reason": "disabled", "source": "account:user1@example.com"})
    );
    assert_eq!(
        account(&o, &user(1))["capped"],
        false,
        "an administrator's disable is not a cap"
    );
}

// ---------------------------------------------------------------- R8

#[test]
fn r8_reset_keeps_the_seat_only_while_still_enabled() {
    let o = outcome(&axigen(
        json!(3),
        3,
        default_policy(),
        vec![
            set("account:user1@example.com", "enabled"),
            set("account:user1@example.com", "inherit"),
            set("domain:example.com", "disabled"),
            set("account:user2@example.com", "enabled"),
            set("domain:example.com", "enabled"),
            set("account:user2@example.com", "inherit"),
        ],
    ));
    assert!((0..6).all(|i| ok(&o, i)));
    assert_eq!(
        holders(&o),
        vec![user(2)],
        "user1 lost its seat with the domain; user2 kept it on reset"
    );
}

#[test]
fn r8_reset_releases_when_the_inherited_value_is_disabled() {
    let s = json!({
        "licence": {"features": {"activesync": {"seats": 2}}},
        "directory": {"domains": {"d.com": {}}, "accounts": [{"id": "a@d.com"}]},
        "events": [set("account:a@d.com", "enabled"), set("account:a@d.com", "inherit"), connect("a@d.com")]
    });
    let o = outcome(&s);
    assert!(holders(&o).is_empty());
    assert_eq!(
        o["events"][2],
        json!({"allowed": false, "reason": "disabled", "source": "server"})
    );
}

#[test]
fn r8_class_and_server_changes_release_holders_now_disabled() {
    let s = json!({
        "licence": {"features": {"activesync": {"seats": 10}}},
        "directory": {"server": {"activesync": "enabled"},
                      "domains": {"d.com": {"classes": {"sales": {}}}, "e.com": {"settings": {"activesync": "enabled"}}},
                      "accounts": [{"id": "s@d.com", "class": "sales"}, {"id": "p@d.com"}, {"id": "q@e.com"}]},
        "events": [connect("s@d.com"), connect("p@d.com"), connect("q@e.com"),
                   set("class:d.com/sales", "disabled"), set("server", "disabled")]
    });
    let o = outcome(&s);
    assert_eq!(holders(&o), vec!["q@e.com".to_string()]);
}

// ---------------------------------------------------------------- R9

#[test]
fn r9_delete_releases_seats_and_create_respects_mailboxes() {
    let mut s = axigen(
        json!(1),
        2,
        default_policy(),
        vec![
            connect(&user(1)),
            json!({"op": "create", "account": "new@example.com"}),
            json!({"op": "delete", "account": user(1)}),
            json!({"op": "create", "account": "new@example.com"}),
            connect("new@example.com"),
            connect(&user(1)),
            json!({"op": "delete", "account": user(1)}),
        ],
    );
    s["licence"]["mailboxes"] = json!(2);
    let o = outcome(&s);
    assert_eq!(error_code(&o, 1).as_deref(), Some("mailboxes-exhausted"));
    assert!(ok(&o, 2) && ok(&o, 3));
    assert_eq!(reason(&o, 4), "seat-claimed");
    assert_eq!(reason(&o, 5), "unknown-account");
    assert_eq!(error_code(&o, 6).as_deref(), Some("unknown-account"));
    assert_eq!(holders(&o), vec!["new@example.com".to_string()]);
}

#[test]
fn r9_basic_releases_seats_and_premium_claims_again_at_connect() {
    let o = outcome(&axigen(
        json!(1),
        2,
        default_policy(),
        vec![
            connect(&user(1)),
            json!({"op": "set-type", "account": user(1), "type": "basic"}),
            connect(&user(1)),
            connect(&user(2)),
            json!({"op": "set-type", "account": user(1), "type": "premium"}),
            connect(&user(1)),
        ],
    ));
    assert_eq!(reason(&o, 2), "not-premium");
    assert_eq!(reason(&o, 3), "seat-claimed");
    assert_eq!(reason(&o, 5), "capped");
    assert_eq!(holders(&o), vec![user(2)]);
}

#[test]
fn r9_smaller_mailbox_licence_removes_no_one() {
    let o = outcome(&axigen(
        json!(5),
        5,
        default_policy(),
        vec![
            json!({"op": "licence", "licence": {"mailboxes": 2, "features": {"activesync": {"seats": 5}}}}),
            connect(&user(5)),
            json!({"op": "create", "account": "x@example.com"}),
        ],
    ));
    assert!(ok(&o, 0));
    assert_eq!(reason(&o, 1), "seat-claimed");
    assert_eq!(error_code(&o, 2).as_deref(), Some("mailboxes-exhausted"));
    assert_eq!(o["state"]["accounts"].as_object().map(|a| a.len()), Some(5));
}

// ---------------------------------------------------------------- R10

fn three_holders_then(policy: Value, licence_seats: Value) -> Value {
    axigen(
        json!(3),
        5,
        policy,
        vec![
            connect_at(&user(1), "2026-01-01T00:00:00Z"),
            json!({"op": "set", "node": "account:user2@example.com", "feature": "activesync", "value": "enabled", "at": "2026-01-02T00:00:00Z"}),
            connect_at(&user(3), "2026-01-03T00:00:00Z"),
            connect_at(&user(4), "2026-01-04T00:00:00Z"),
            connect_at(&user(1), "2026-01-05T00:00:00Z"),
            json!({"op": "licence", "licence": {"features": {"activesync": {"seats": licence_seats}}}, "at": "2026-01-06T00:00:00Z"}),
            connect_at(&user(5), "2026-01-07T00:00:00Z"),
        ],
    )
}

#[test]
fn r10_growth_keeps_capped_accounts_capped_unless_restore_on_grow() {
    let o = outcome(&three_holders_then(json!({}), json!(5)));
    assert_eq!(account(&o, &user(4))["capped"], true);
    assert_eq!(reason(&o, 6), "seat-claimed");
    let o = outcome(&three_holders_then(
        json!({"restoreOnGrow": true}),
        json!(5),
    ));
    assert_eq!(account(&o, &user(4))["capped"], false);
    assert_eq!(account(&o, &user(4))["setting"], "inherit");
}

#[test]
fn r10_shrink_grandfather_keeps_everyone_and_blocks_claims() {
    let mut s = three_holders_then(json!({}), json!(2));
    s["events"].as_array_mut().expect("events").extend([
        set("account:user3@example.com", "disabled"),
        connect(&user(5)),
        set("account:user1@example.com", "disabled"),
        connect(&user(5)),
    ]);
    let o = outcome(&s);
    assert_eq!(reason(&o, 6), "capped", "3 holders, 2 seats: no claim");
    assert_eq!(reason(&o, 8), "capped", "2 holders, 2 seats: still none");
    assert_eq!(
        o["events"][10],
        json!({"allowed": false, "reason": "capped", "source": "account:user5@example.com"}),
        "user5 was capped at its first try and stays capped"
    );
    assert_eq!(holders(&o), vec![user(2)]);
}

#[test]
fn r10_shrink_evict_newest_takes_connect_holders_first_latest_since_first() {
    let o = outcome(&three_holders_then(
        json!({"shrink": "evict-newest"}),
        json!(1),
    ));
    assert_eq!(holders(&o), vec![user(2)], "admin holder user2 goes last");
    assert_eq!(account(&o, &user(3))["capped"], true);
    assert_eq!(account(&o, &user(1))["capped"], true);
    let o = outcome(&three_holders_then(
        json!({"shrink": "evict-newest"}),
        json!(2),
    ));
    assert_eq!(
        holders(&o),
        vec![user(1), user(2)],
        "user3 has the latest since"
    );
}

#[test]
fn r10_shrink_evict_idle_takes_oldest_last_seen_first() {
    let o = outcome(&three_holders_then(
        json!({"shrink": "evict-idle"}),
        json!(2),
    ));
    assert_eq!(
        holders(&o),
        vec![user(1), user(2)],
        "user3 last seen 01-03, user1 seen again 01-05"
    );
    let mut s = three_holders_then(json!({"shrink": "evict-idle"}), json!(2));
    s["events"][4] = connect_at(&user(3), "2026-01-05T00:00:00Z");
    let o = outcome(&s);
    assert_eq!(holders(&o), vec![user(2), user(3)]);
}

#[test]
fn r10_equal_times_evict_the_later_claim_first() {
    let o = outcome(&axigen(
        json!(3),
        3,
        json!({"shrink": "evict-newest"}),
        vec![
            connect_at(&user(1), "2026-01-01T00:00:00Z"),
            connect_at(&user(2), "2026-01-01T00:00:00Z"),
            connect_at(&user(3), "2026-01-01T00:00:00Z"),
            json!({"op": "licence", "licence": {"features": {"activesync": {"seats": 2}}}}),
        ],
    ));
    assert_eq!(holders(&o), vec![user(1), user(2)]);
}

#[test]
fn r10_removed_feature_loses_its_ledger_and_added_one_starts_empty() {
    let o = outcome(&axigen(
        json!(3),
        3,
        default_policy(),
        vec![
            connect(&user(1)),
            json!({"op": "licence", "licence": {"features": {"outlook": {"seats": 1}}}}),
            connect(&user(1)),
            json!({"op": "licence", "licence": {"features": {"activesync": {"seats": 3}}}}),
            connect(&user(2)),
        ],
    ));
    assert_eq!(
        o["events"][2],
        json!({"allowed": false, "reason": "unknown-feature", "source": null})
    );
    assert_eq!(holders(&o), vec![user(2)]);
}

// ---------------------------------------------------------------- R11

#[test]
fn r11_restore_capped_sets_inherit_and_they_claim_again() {
    let o = outcome(&axigen(
        json!(1),
        3,
        default_policy(),
        vec![
            connect(&user(1)),
            connect(&user(2)),
            connect(&user(3)),
            set("account:user1@example.com", "disabled"),
            json!({"op": "restore-capped", "feature": "activesync"}),
            connect(&user(3)),
            connect(&user(2)),
            json!({"op": "restore-capped", "feature": "sharing"}),
        ],
    ));
    assert!(ok(&o, 4));
    assert_eq!(reason(&o, 5), "seat-claimed");
    assert_eq!(reason(&o, 6), "capped");
    assert_eq!(
        account(&o, &user(1))["setting"],
        "disabled",
        "an administrator's disable is not restored"
    );
    assert_eq!(error_code(&o, 7).as_deref(), Some("unknown-feature"));
}

// ---------------------------------------------------------------- R12

#[test]
fn r12_waitlist_grants_freed_seats_in_arrival_order() {
    let o = outcome(&axigen(
        json!(1),
        4,
        json!({"overflow": "waitlist"}),
        vec![
            connect(&user(1)),
            connect(&user(3)),
            connect(&user(2)),
            connect(&user(3)),
            connect(&user(4)),
            set("account:user1@example.com", "disabled"),
            connect(&user(3)),
        ],
    ));
    assert_eq!(
        o["events"][1],
        json!({"allowed": false, "reason": "waitlisted", "source": "domain:example.com"})
    );
    assert_eq!(
        account(&o, &user(2))["setting"],
        "inherit",
        "waitlisting leaves settings alone"
    );
    assert_eq!(holders(&o), vec![user(3)]);
    assert_eq!(
        waitlist(&o),
        vec![user(2), user(4)],
        "a repeated waitlisted connect keeps its place"
    );
    assert_eq!(reason(&o, 6), "seat-held");
}

#[test]
fn r12_ineligible_waiters_are_skipped_but_kept_and_deletes_remove_them() {
    let ran = run_value(&axigen(
        json!(1),
        4,
        json!({"overflow": "waitlist"}),
        vec![
            connect(&user(1)),
            connect(&user(2)),
            connect(&user(3)),
            connect(&user(4)),
            set("account:user2@example.com", "disabled"),
            json!({"op": "delete", "account": user(3)}),
            json!({"op": "licence", "licence": {"features": {"activesync": {"seats": 2}}}}),
        ],
    ));
    let o = outcome_of(&ran);
    assert_eq!(holders(&o), vec![user(1), user(4)]);
    assert_eq!(waitlist(&o), vec![user(2)]);
    let seat = explain(&ran.state, &user(4), "2026-06-01T00:00:00Z")
        .seat
        .expect("granted");
    assert_eq!(seat.via, seatcap::model::Via::Waitlist);
}

#[test]
fn r12_eviction_marks_capped_and_does_not_queue() {
    let o = outcome(&axigen(
        json!(2),
        3,
        json!({"overflow": "waitlist", "shrink": "evict-newest"}),
        vec![
            connect(&user(1)),
            connect(&user(2)),
            json!({"op": "licence", "licence": {"features": {"activesync": {"seats": 1}}}}),
        ],
    ));
    assert_eq!(holders(&o), vec![user(1)]);
    assert!(waitlist(&o).is_empty());
    assert_eq!(account(&o, &user(2))["capped"], true);
}

// ---------------------------------------------------------------- R13

#[test]
fn r13_default_times_and_same_outcome_twice() {
    let s = axigen(
        json!(2),
        3,
        default_policy(),
        vec![connect(&user(1)), connect(&user(2)), connect(&user(3))],
    );
    let ran = run_value(&s);
    let seat = explain(&ran.state, &user(2), "2026-02-01T00:00:00Z")
        .seat
        .expect("seat");
    assert_eq!(
        seat.since.to_string(),
        "2026-01-01T00:00:01Z",
        "first event at 2026-01-01T00:00:00Z, then +1s"
    );
    assert_eq!(outcome(&s), outcome(&s));
    // After recorded state, the first event defaults to one second after its latest time.
    let mut recorded = s.clone();
    recorded["seats"] = json!({"activesync": {"holders": [
        {"account": user(3), "since": "2026-05-01T00:00:00Z", "via": "connect", "lastSeen": "2026-05-02T00:00:00Z"}]}});
    recorded["events"] = json!([connect(&user(1))]);
    let ran = run_value(&recorded);
    let seat = explain(&ran.state, &user(1), "2026-06-01T00:00:00Z")
        .seat
        .expect("seat");
    assert_eq!(seat.since.to_string(), "2026-05-02T00:00:01Z");
}

// ---------------------------------------------------------------- Precise points: error orders

#[test]
fn create_error_order() {
    let s = json!({
        "licence": {"mailboxes": 2, "features": {"activesync": {"seats": 1}}},
        "directory": {"domains": {"d.com": {"settings": {"activesync": "enabled"}, "classes": {"c": {}}}},
                      "accounts": [{"id": "a@d.com"}]},
        "events": [
            {"op": "create", "account": "not-an-id"},
            {"op": "create", "account": "a@d.com", "class": "nope"},
            {"op": "create", "account": "x@nowhere.org", "class": "nope"},
            {"op": "create", "account": "x@d.com", "class": "nope"},
            {"op": "set", "node": "account:a@d.com", "feature": "activesync", "value": "enabled"},
            {"op": "create", "account": "x@d.com", "class": "c", "settings": {"activesync": "enabled"}},
            {"op": "create", "account": "x@d.com", "class": "c", "settings": {"activesync": "enabled", "unlicensed": "enabled"}, "type": "basic"},
            {"op": "create", "account": "y@d.com"}
        ]
    });
    let o = outcome(&s);
    let codes: Vec<Option<String>> = (0..8).map(|i| error_code(&o, i)).collect();
    assert_eq!(
        codes,
        vec![
            Some("invalid-input".into()),
            Some("already-exists".into()),
            Some("unknown-domain".into()),
            Some("unknown-class".into()),
            None,
            Some("seats-exhausted".into()),
            None,
            Some("mailboxes-exhausted".into()),
        ]
    );
    assert_eq!(
        o["state"]["accounts"]["x@d.com"]["activesync"]["seat"], false,
        "basic: setting written, no seat"
    );
}

#[test]
fn set_error_order() {
    let s = json!({
        "licence": {"features": {"activesync": {"seats": 0}}},
        "directory": {"domains": {"d.com": {"classes": {"c": {}}}}, "accounts": [{"id": "a@d.com"}]},
        "events": [
            {"op": "set", "node": "server", "feature": "activesync", "value": "inherit"},
            {"op": "set", "node": "domain:d.com", "feature": "activesync", "value": "maybe"},
            {"op": "set", "node": "planet:mars", "feature": "activesync", "value": "enabled"},
            {"op": "set", "node": "domain:x.com", "feature": "nope", "value": "enabled"},
            {"op": "set", "node": "domain:x.com", "feature": "activesync", "value": "enabled"},
            {"op": "set", "node": "class:d.com/zz", "feature": "activesync", "value": "enabled"},
            {"op": "set", "node": "account:b@d.com", "feature": "activesync", "value": "enabled"},
            {"op": "set", "node": "account:a@d.com", "feature": "activesync", "value": "enabled"},
            {"op": "set", "node": "class:d.com/c", "feature": "activesync", "value": "enabled"}
        ]
    });
    let o = outcome(&s);
    let codes: Vec<Option<String>> = (0..9).map(|i| error_code(&o, i)).collect();
    assert_eq!(
        codes,
        vec![
            Some("invalid-input".into()),
            Some("invalid-input".into()),
            Some("invalid-input".into()),
            Some("unknown-feature".into()),
            Some("unknown-domain".into()),
            Some("unknown-class".into()),
            Some("unknown-account".into()),
            Some("seats-exhausted".into()),
            None,
        ]
    );
}

// ---------------------------------------------------------------- invalid input

#[test]
fn invalid_events_answer_invalid_input_and_the_run_goes_on() {
    let o = outcome(&axigen(
        json!(1),
        2,
        default_policy(),
        vec![
            json!({"op": "connect", "account": user(1)}),
            json!({"op": "teleport"}),
            json!({"op": "connect", "account": user(1), "feature": "activesync", "at": "yesterday"}),
            json!("not an object"),
            json!({"op": "set", "node": "account:user1@example.com", "feature": "activesync", "value": "enabled", "vaule": 1}),
            connect(&user(2)),
        ],
    ));
    assert_eq!(
        o["events"][0],
        json!({"allowed": false, "reason": "invalid-input", "source": null})
    );
    assert_eq!(error_code(&o, 1).as_deref(), Some("invalid-input"));
    assert_eq!(
        o["events"][2],
        json!({"allowed": false, "reason": "invalid-input", "source": null})
    );
    assert_eq!(error_code(&o, 3).as_deref(), Some("invalid-input"));
    assert_eq!(error_code(&o, 4).as_deref(), Some("invalid-input"));
    assert!(o["events"][4]["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("vaule")));
    assert_eq!(reason(&o, 5), "seat-claimed");
    assert_eq!(holders(&o), vec![user(2)]);
}

#[test]
fn invalid_scenarios_are_rejected_naming_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"directory": {}}),
            "scenario: missing field `licence`",
        ),
        (
            json!({"licence": {"features": {"activesync": {}}}, "directory": {}}),
            "licence.features.activesync",
        ),
        (
            json!({"licence": {"features": {"activesync": {"seats": -1}}}, "directory": {}}),
            "licence.features.activesync.seats",
        ),
        (
            json!({"licence": {"features": {}}, "policy": {"overflow": "queue"}, "directory": {}}),
            "policy.overflow",
        ),
        (
            json!({"licence": {"features": {}}, "directory": {"server": {"x": "inherit"}}}),
            "directory.server.x",
        ),
        (
            json!({"licence": {"features": {}}, "directory": {"accounts": [{"id": "a@nowhere.com"}]}}),
            "directory.accounts[0].id",
        ),
        (
            json!({"licence": {"features": {}}, "directory": {"domains": {"d.com": {}}, "accounts": [{"id": "a@d.com"}, {"id": "A@d.com"}]}}),
            "directory.accounts[1].id",
        ),
        (
            json!({"licence": {"features": {}}, "directory": {"domains": {"d.com": {}, "D.com": {}}}}),
            "directory.domains.",
        ),
        (
            json!({"licence": {"features": {}}, "directory": {"domains": {"d.com": {}}, "generate": [{"domain": "d.com", "count": 20000000, "prefix": "u"}]}}),
            "directory",
        ),
        (
            json!({"licence": {"features": {"f": {"seats": 1}}}, "directory": {"domains": {"d.com": {}}, "accounts": [{"id": "a@d.com", "capped": {"f": "2026-01-01T00:00:00Z"}}]}}),
            "directory.accounts[0].capped.f",
        ),
        (
            json!({"licence": {"features": {"f": {"seats": 1}}}, "directory": {"domains": {"d.com": {}}, "accounts": [{"id": "a@d.com"}]},
                "seats": {"f": {"holders": [{"account": "a@d.com", "since": "2026-01-01T00:00:00Z", "via": "connect", "lastSeen": "2026-01-01T00:00:00Z"}]}}}),
            "seats.f.holders[0].account",
        ),
        (
            json!({"licence": {"features": {}}, "directory": {}, "extra": 1}),
            "unknown field `extra`",
        ),
    ];
    for (scenario, expected) in cases {
        let err = seatcap::simulate(&scenario.to_string()).expect_err("must be rejected");
        let line = err.to_string();
        assert!(line.contains(expected), "`{line}` should name `{expected}`");
        assert!(!line.contains('\n'), "one line: {line}");
    }
}

// ---------------------------------------------------------------- directory growth (not SPEC events)

#[test]
fn create_domain_and_class_grow_the_directory_in_the_spec_error_order() {
    let scenario = json!({
        "licence": {"features": {"activesync": {"seats": 5}}},
        "directory": {"server": {"activesync": "disabled"}, "domains": {"a.com": {}}},
        "events": [
            {"op": "create-domain", "domain": "b.com", "settings": {"activesync": "enabled"}},
            {"op": "create-domain", "domain": "B.COM"},
            {"op": "create-class", "domain": "b.com", "class": "vip", "settings": {"activesync": "disabled"}},
            {"op": "create-class", "domain": "b.com", "class": "vip"},
            {"op": "create-class", "domain": "nope.com", "class": "vip"},
            {"op": "create-domain", "domain": "bad/name"},
            {"op": "create-domain", "domain": "c.com", "extra": 1},
            {"op": "create", "account": "x@b.com"},
            {"op": "create", "account": "y@b.com", "class": "vip"},
            connect("x@b.com"),
            connect("y@b.com")
        ]
    });
    let o = outcome(&scenario);
    assert!(ok(&o, 0));
    assert_eq!(
        error_code(&o, 1).as_deref(),
        Some("already-exists"),
        "domain names compare lower-cased"
    );
    assert!(ok(&o, 2));
    assert_eq!(error_code(&o, 3).as_deref(), Some("already-exists"));
    assert_eq!(error_code(&o, 4).as_deref(), Some("unknown-domain"));
    assert_eq!(error_code(&o, 5).as_deref(), Some("invalid-input"));
    assert_eq!(error_code(&o, 6).as_deref(), Some("invalid-input"));
    assert!(ok(&o, 7) && ok(&o, 8));
    assert_eq!(
        o["events"][9],
        json!({"allowed": true, "reason": "seat-claimed", "source": "domain:b.com"})
    );
    assert_eq!(
        o["events"][10],
        json!({"allowed": false, "reason": "disabled", "source": "class:b.com/vip"})
    );
}
