//! `cargo run --release --example phases -- N`: where simulation time goes
//! (parse + load, events, outcome state, JSON output) for N accounts.
use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut events = Vec::new();
    let mut x = 7u64;
    for i in 0..n {
        x = (x * 1_103_515_245 + 12_345) % n;
        events.push(format!(
            r#"{{"op":"connect","account":"user{}@example.com","feature":"activesync"}}"#,
            (x + i) % n + 1
        ));
    }
    let text = format!(
        r#"{{"licence":{{"features":{{"activesync":{{"seats":{}}}}}}},"directory":{{"server":{{"activesync":"disabled"}},"domains":{{"example.com":{{"settings":{{"activesync":"enabled"}}}}}},"generate":[{{"domain":"example.com","count":{n},"prefix":"user"}}]}},"events":[{}]}}"#,
        n * 2 / 5,
        events.join(",")
    );
    let t = Instant::now();
    let scenario = seatcap::scenario::Scenario::parse(&text).expect("valid");
    let parsed = t.elapsed();
    let t = Instant::now();
    let mut sim = seatcap::simulate::Simulator::new(scenario.state, scenario.start);
    for e in &scenario.events {
        sim.step(e);
    }
    let ran = t.elapsed();
    let t = Instant::now();
    let view = seatcap::outcome::state_view(&sim.state).expect("view");
    let viewed = t.elapsed();
    let t = Instant::now();
    let json = serde_json::to_string(&view).expect("json");
    let written = t.elapsed();
    println!("{n} accounts: parse+load {parsed:?}, events {ran:?}, state view {viewed:?}, JSON {written:?} ({} MB)", json.len() / 1_000_000);
}
