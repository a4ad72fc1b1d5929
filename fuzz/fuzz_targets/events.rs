//! Random event sequences over a small directory, decoded from the fuzzer's bytes: after every
//! event the audit finds the state consistent (holders within seats, each holder an eligible
//! premium account, ledgers and indexes agreeing), whatever the policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatcap::scenario::Scenario;
use seatcap::simulate::Simulator;
use serde_json::json;

const ACCOUNTS: u8 = 6;
const SETTINGS: [&str; 3] = ["inherit", "enabled", "disabled"];

fuzz_target!(|data: &[u8]| {
    let Some((&policy, ops)) = data.split_first() else {
        return;
    };
    let shrink = ["grandfather", "evict-newest", "evict-idle"][usize::from(policy >> 2) % 3];
    let policy = json!({
        "capping": if policy & 1 == 0 { "on-attempt" } else { "at-cap" },
        "overflow": if policy & 2 == 0 { "disable" } else { "waitlist" },
        "shrink": shrink,
        "restoreOnGrow": policy & 32 != 0,
    });
    let scenario = json!({
        "licence": {"mailboxes": 8, "features": {"activesync": {"seats": 2}, "sharing": {"seats": 1}}},
        "policy": policy,
        "directory": {
            "server": {"activesync": "disabled", "sharing": "enabled"},
            "domains": {"a.com": {"settings": {"activesync": "enabled"}, "classes": {"c": {"settings": {}}}}, "b.com": {}},
            "generate": [{"domain": "a.com", "count": 4, "prefix": "u"}, {"domain": "b.com", "count": 2, "prefix": "u", "type": "basic"}]
        }
    })
    .to_string();
    let parsed = Scenario::parse(&scenario).expect("the fixed directory is valid");
    let mut sim = Simulator::new(parsed.state, parsed.start);
    for chunk in ops.chunks(3).take(100) {
        let [op, a, b] = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let domain = if a % 2 == 0 { "a.com" } else { "b.com" };
        let account = format!("u{}@{domain}", 1 + (a / 2) % (ACCOUNTS / 2 + 1));
        let feature = if b & 1 == 0 { "activesync" } else { "sharing" };
        let value = SETTINGS[usize::from(b >> 1) % 3];
        let event = match op % 10 {
            0 | 1 | 2 => json!({"op": "connect", "account": account, "feature": feature}),
            3 => {
                json!({"op": "set", "node": format!("account:{account}"), "feature": feature, "value": value})
            }
            4 => {
                json!({"op": "set", "node": format!("domain:{domain}"), "feature": feature, "value": value})
            }
            5 => {
                json!({"op": "licence", "licence": {"mailboxes": 8, "features": {"activesync": {"seats": b % 4}, "sharing": {"seats": a % 3}}}})
            }
            6 => json!({"op": "create", "account": account, "settings": {feature: value}}),
            7 => json!({"op": "delete", "account": account}),
            8 => {
                json!({"op": "set-type", "account": account, "type": if b % 2 == 0 { "basic" } else { "premium" }})
            }
            _ => json!({"op": "restore-capped", "feature": feature}),
        };
        sim.step(&event.to_string());
        let audit = seatcap::audit::audit(&sim.state).expect("a loaded state audits");
        assert!(
            audit.problems.is_empty(),
            "after {event}: {:?}",
            audit.problems
        );
    }
});
