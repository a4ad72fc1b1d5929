//! Any text as a scenario: parsing never panics, and a scenario small enough to run runs to
//! an outcome whose final state the audit finds consistent (R14: no half-applied request).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seatcap::scenario::Scenario;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::parse(text) else {
        return;
    };
    // Bounded work per input: the memory bound is tested elsewhere.
    if scenario.summary.accounts > 2_000 || scenario.events.len() > 2_000 {
        return;
    }
    let ran = seatcap::simulate::run(scenario, &mut |_, _| {});
    let audit = seatcap::audit::audit(&ran.state).expect("a loaded state audits");
    assert!(audit.problems.is_empty(), "{:?}", audit.problems);
    // The outcome is what hosts receive: it always serialises.
    serde_json::to_string(&ran.outcome).expect("outcome serialises");
});
