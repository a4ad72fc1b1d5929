//! JavaScript bindings: a thin layer over the core. Results are tagged
//! unions (`{type: "success", …} | {type: "failure", error}`), never
//! exceptions, and no input can make the module trap (a trap poisons it).
//!
//! Input is JSON text (objects are `JSON.stringify`-ed first) so every host
//! parses byte-identical input with the same parser as native Rust.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::scenario::Scenario;

fn to_js<T: Serialize>(value: &T) -> JsValue {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

#[derive(Serialize)]
struct Failure {
    #[serde(rename = "type")]
    kind: &'static str,
    error: Error,
}

fn success<T: Serialize>(field: &str, value: T) -> JsValue {
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"type".into(), &"success".into());
    let _ = js_sys::Reflect::set(&out, &field.into(), &to_js(&value));
    out.into()
}

fn failure(error: Error) -> JsValue {
    to_js(&Failure { kind: "failure", error })
}

/// JSON text of the input: a string as given, anything else through `JSON.stringify`.
fn input_text(input: &JsValue) -> Result<String, Error> {
    if let Some(text) = input.as_string() {
        return Ok(text);
    }
    match js_sys::JSON::stringify(input) {
        Ok(text) => text.as_string().ok_or_else(|| Error::invalid("scenario: expected a JSON object or JSON text")),
        Err(_) => Err(Error::invalid("scenario: could not be turned into JSON (cycle or BigInt?)")),
    }
}

#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Reads the input as JSON text, runs `work` on it, and wraps what comes
/// back as `{type: "success", <field>}` or `{type: "failure", error}`.
fn answer<T: Serialize>(input: &JsValue, field: &str, work: impl FnOnce(&str) -> Result<T, Error>) -> JsValue {
    match input_text(input).and_then(|text| work(&text)) {
        Ok(value) => success(field, value),
        Err(e) => failure(e),
    }
}

/// Runs a scenario: `{type: "success", outcome}` or `{type: "failure", error}`.
#[wasm_bindgen]
pub fn simulate(input: JsValue, on_progress: Option<js_sys::Function>) -> JsValue {
    let mut progress = |done: u64, total: u64| {
        if let Some(f) = &on_progress {
            // A throwing callback must not stop or poison the run.
            let _ = f.call2(&JsValue::NULL, &JsValue::from_f64(done as f64), &JsValue::from_f64(total as f64));
        }
    };
    answer(&input, "outcome", |text| Ok(crate::simulate::simulate_with_progress(text, &mut progress)?))
}

/// Checks a scenario without running it: `{type: "success", summary}` or a failure naming the field.
#[wasm_bindgen(js_name = validateScenario)]
pub fn validate_scenario(input: JsValue) -> JsValue {
    answer(&input, "summary", |text| Ok(Scenario::parse(text)?.summary))
}

/// Explains (account, feature) after the scenario's events have run.
#[wasm_bindgen]
pub fn explain(input: JsValue, account: &str, feature: &str) -> JsValue {
    answer(&input, "explanation", |text| crate::simulate::explain_after(text, account, feature))
}
