//! `cargo run --release --example bench` — native simulation speed.
//!
//! Prints, for growing directories (the Axigen example scaled up: every
//! account connects once in a scrambled order, seats = 40 %), the time to
//! simulate and the time to merely parse the same JSON into a
//! `serde_json::Value` in the same process: the ratio says what the rules
//! cost on top of reading the input.

use std::time::Instant;

fn scenario(accounts: u64) -> String {
    let seats = accounts * 2 / 5;
    let mut events = String::with_capacity(accounts as usize * 80);
    // A fixed full-period LCG walk: deterministic, scrambled order.
    let mut x: u64 = 12345 % accounts;
    for i in 0..accounts {
        x = (x * 1_103_515_245 + 12_345) % accounts;
        let n = (x + i) % accounts + 1;
        if i > 0 {
            events.push(',');
        }
        events.push_str(&format!(
            r#"{{"op":"connect","account":"user{n}@example.com","feature":"activesync"}}"#
        ));
    }
    format!(
        r#"{{"licence":{{"mailboxes":null,"features":{{"activesync":{{"seats":{seats}}}}}}},
           "directory":{{"server":{{"activesync":"disabled"}},"domains":{{"example.com":{{"settings":{{"activesync":"enabled"}}}}}},
                        "generate":[{{"domain":"example.com","count":{accounts},"prefix":"user"}}]}},
           "events":[{events}]}}"#
    )
}

fn best_of<T>(runs: u32, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    println!(
        "{:>9} {:>12} {:>12} {:>14} {:>8}",
        "accounts", "simulate", "parse only", "events/s", "ratio"
    );
    for accounts in [500u64, 10_000, 100_000, 1_000_000] {
        let text = scenario(accounts);
        let runs = if accounts >= 1_000_000 { 1 } else { 5 };
        let sim = best_of(runs, || {
            seatcap::simulate(&text)
                .map(|o| o.events.len())
                .unwrap_or(0)
        });
        let parse = best_of(runs, || {
            serde_json::from_str::<serde_json::Value>(&text)
                .map(|v| v.is_object())
                .unwrap_or(false)
        });
        println!(
            "{accounts:>9} {:>10.1}ms {:>10.1}ms {:>14.0} {:>7.1}x",
            sim * 1e3,
            parse * 1e3,
            accounts as f64 / sim,
            sim / parse
        );
    }
}
