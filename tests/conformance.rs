//! The conformance suite: every `tests/conformance/*.json` holds a scenario
//! and the outcome SPEC requires of it. The same files are replayed by the
//! npm package in Node and in Chromium (tests/js/), so all hosts must agree
//! byte for byte on the same JSON.
//!
//! `SEATCAP_BLESS=1 cargo test --test conformance` writes the engine's
//! outcomes into the files; every blessed change is reviewed by hand in git.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/conformance exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_conformance_case_gives_its_outcome() {
    let bless = std::env::var_os("SEATCAP_BLESS").is_some();
    let files = cases();
    assert!(
        files.len() >= 19,
        "the conformance suite has {} cases",
        files.len()
    );
    let mut failures = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let scenario = case["scenario"].to_string();
        let outcome =
            seatcap::simulate(&scenario).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let got = serde_json::to_value(&outcome).expect("serialises");
        if bless {
            let written = format!(
                "{{\n\"rule\": {},\n\"description\": {},\n\"scenario\": {},\n\"outcome\": {}\n}}\n",
                case["rule"],
                case["description"],
                serde_json::to_string_pretty(&case["scenario"]).expect("json"),
                serde_json::to_string_pretty(&got).expect("json"),
            );
            std::fs::write(&path, written).expect("writable");
        } else if case.get("outcome") != Some(&got) {
            failures.push(path.display().to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "outcomes differ from the files: {failures:?}"
    );
}

/// Scenarios rejected as a whole: one line naming the field (SPEC "Invalid scenario vs invalid event").
#[test]
fn invalid_scenario_cases_give_their_one_line_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid-scenarios.json");
    let mut cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("json");
    assert!(cases.len() >= 10);
    let bless = std::env::var_os("SEATCAP_BLESS").is_some();
    for case in &mut cases {
        // A string holds the scenario's raw text (for text that is not JSON at all).
        let text = case["scenario"]
            .as_str()
            .map_or_else(|| case["scenario"].to_string(), str::to_string);
        let err = seatcap::simulate(&text).expect_err("rejected").to_string();
        if bless {
            case["error"] = Value::from(err);
        } else {
            assert_eq!(
                err,
                case["error"].as_str().expect("error text"),
                "{}",
                case["scenario"]
            );
        }
    }
    if bless {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&cases).expect("json") + "\n",
        )
        .expect("writable");
    }
}
