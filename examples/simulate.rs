//! `cargo run --example simulate -- FILE` prints a scenario's Outcome JSON.
fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".into());
    let text = if path == "-" {
        std::io::read_to_string(std::io::stdin()).unwrap_or_default()
    } else {
        std::fs::read_to_string(&path).unwrap_or_default()
    };
    match seatcap::simulate(&text) {
        Ok(outcome) => println!(
            "{}",
            serde_json::to_string_pretty(&outcome).unwrap_or_default()
        ),
        Err(e) => {
            eprintln!("seatcap: {path}: {e}");
            std::process::exit(1);
        }
    }
}
