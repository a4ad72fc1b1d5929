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
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
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

/// A value as JSON text. The types serialised here hold strings, integers and maps only: this cannot fail.
fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn failure(error: Error) -> JsValue {
    to_js(&Failure {
        kind: "failure",
        error,
    })
}

/// JSON text of the input: a string as given, anything else through `JSON.stringify`.
fn input_text(input: &JsValue) -> Result<String, Error> {
    if let Some(text) = input.as_string() {
        return Ok(text);
    }
    match js_sys::JSON::stringify(input) {
        Ok(text) => text
            .as_string()
            .ok_or_else(|| Error::invalid("scenario: expected a JSON object or JSON text")),
        Err(_) => Err(Error::invalid(
            "scenario: could not be turned into JSON (cycle or BigInt?)",
        )),
    }
}

#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Reads the input as JSON text, runs `work` on it, and wraps what comes
/// back as `{type: "success", <field>}` or `{type: "failure", error}`.
fn answer<T: Serialize>(
    input: &JsValue,
    field: &str,
    work: impl FnOnce(&str) -> Result<T, Error>,
) -> JsValue {
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
            let _ = f.call2(
                &JsValue::NULL,
                &JsValue::from_f64(done as f64),
                &JsValue::from_f64(total as f64),
            );
        }
    };
    answer(&input, "outcome", |text| {
        Ok(crate::simulate::simulate_with_progress(
            text,
            &mut progress,
        )?)
    })
}

/// Checks a scenario without running it: `{type: "success", summary}` or a failure naming the field.
#[wasm_bindgen(js_name = validateScenario)]
pub fn validate_scenario(input: JsValue) -> JsValue {
    answer(&input, "summary", |text| Ok(Scenario::parse(text)?.summary))
}

/// Explains (account, feature) after the scenario's events have run.
#[wasm_bindgen]
pub fn explain(input: JsValue, account: &str, feature: &str) -> JsValue {
    answer(&input, "explanation", |text| {
        crate::simulate::explain_after(text, account, feature)
    })
}

thread_local! {
    /// Stored records already read, shared by every attempt of this instance (see `record_cache`).
    static RECORDS: std::cell::RefCell<crate::record_cache::RecordCache> = std::cell::RefCell::new(crate::record_cache::RecordCache::new());
}

/// One try of one operation against a host's store (see `attempt`): the
/// TypeScript `Engine` drives it, one instance per in-flight request, so
/// concurrent requests never share a borrowed wasm object.
#[wasm_bindgen(js_name = Attempt)]
pub struct JsAttempt(crate::attempt::Attempt);

fn host_time(at_ms: f64) -> Result<crate::time::Timestamp, Error> {
    // No float formatting here: it would pull ~16 KB of code into the wasm.
    crate::time::Timestamp::from_host_millis(at_ms).ok_or_else(|| {
        Error::invalid("at: not a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z in whole milliseconds")
    })
}

/// Whether `at_ms` is a time the engine accepts from a host (see `Timestamp::from_host_millis`).
#[wasm_bindgen(js_name = isHostTime)]
pub fn is_host_time(at_ms: f64) -> bool {
    crate::time::Timestamp::from_host_millis(at_ms).is_some()
}

/// Milliseconds of an ISO-8601 time as the core reads scenario times; `NaN` when it is not one.
#[wasm_bindgen(js_name = parseTime)]
pub fn parse_time(text: &str) -> f64 {
    crate::time::Timestamp::parse(text).map_or(f64::NAN, |t| t.millis() as f64)
}

/// An account id argument, or `invalid-input` naming it.
fn account_arg(text: Option<&str>) -> Result<crate::model::AccountId, Error> {
    crate::model::AccountId::parse(text.unwrap_or_default())
        .map_err(|e| Error::invalid(format!("account: {e}")))
}

/// A feature argument, or `invalid-input` naming it.
fn feature_arg(text: Option<&str>) -> Result<crate::model::Feature, Error> {
    crate::model::Feature::parse(text.unwrap_or_default())
        .map_err(|e| Error::invalid(format!("feature: {e}")))
}

fn invalid_op(connect: bool, e: Error) -> crate::attempt::Operation {
    crate::attempt::Operation::Invalid {
        connect,
        message: e.message,
    }
}

/// The attempt of a well-formed operation, or one that answers `invalid-input` (reading nothing).
fn attempt_or_invalid(
    op: Result<(crate::attempt::Operation, crate::time::Timestamp), Error>,
    connect: bool,
) -> crate::attempt::Attempt {
    match op {
        Ok((op, at)) => crate::attempt::Attempt::new(op, at),
        Err(e) => crate::attempt::Attempt::new(invalid_op(connect, e), crate::time::DEFAULT_START),
    }
}

fn try_connect_attempt(account: &str, feature: &str, at_ms: f64, touch: bool) -> JsAttempt {
    use crate::attempt::Operation;
    let op = account_arg(Some(account))
        .and_then(|account| {
            Ok(Operation::TryConnect {
                account,
                feature: feature_arg(Some(feature))?,
                touch,
            })
        })
        .and_then(|op| Ok((op, host_time(at_ms)?)));
    JsAttempt(attempt_or_invalid(op, true))
}

#[wasm_bindgen(js_class = Attempt)]
impl JsAttempt {
    /// The hot path without JSON: a connect of `account` to `feature` at `at_ms`.
    /// `actor`, `log_id`: given together, a connect that caps the account writes a change-log entry.
    pub fn connect(
        account: &str,
        feature: &str,
        at_ms: f64,
        actor: Option<String>,
        log_id: Option<String>,
    ) -> JsAttempt {
        use crate::attempt::Operation;
        use crate::rules::Request;
        let op = account_arg(Some(account))
            .and_then(|account| {
                Ok(Request::Connect {
                    account,
                    feature: feature_arg(Some(feature))?,
                })
            })
            .and_then(|request| Ok((Operation::Request(request), host_time(at_ms)?)));
        logged(attempt_or_invalid(op, true), actor, log_id)
    }

    /// A connect that writes only a holder's `lastSeen` (or nothing); one that would claim, cap or
    /// waitlist answers `pending` with its decision and writes nothing (see `Operation::TryConnect`).
    #[wasm_bindgen(js_name = tryConnect)]
    pub fn try_connect(account: &str, feature: &str, at_ms: f64) -> JsAttempt {
        try_connect_attempt(account, feature, at_ms, true)
    }

    /// What a connect would decide now, writing nothing at all (not even a holder's `lastSeen`):
    /// `pending` for one that would claim, cap or waitlist, else the decision.
    #[wasm_bindgen(js_name = peekConnect)]
    pub fn peek_connect(account: &str, feature: &str, at_ms: f64) -> JsAttempt {
        try_connect_attempt(account, feature, at_ms, false)
    }

    /// A SPEC scenario event as JSON text; `at_ms` is used when it has no valid `at`.
    pub fn event(
        raw: &str,
        at_ms: f64,
        actor: Option<String>,
        log_id: Option<String>,
    ) -> JsAttempt {
        use crate::attempt::{Attempt, Operation};
        let (op, at) = Operation::event(raw, host_time(at_ms).map_err(|e| e.message));
        logged(Attempt::new(op, at), actor, log_id)
    }

    /// Replaces the licence from a licence file (`signature`): refused with `invalid-input` unless it is
    /// signed by one of `trusted` (public keys, hex) or, with `allow_unsigned` (dev mode), unsigned,
    /// and (unless `force`) unless it is at least as new as the licence in force and not expired.
    #[wasm_bindgen(js_name = uploadLicence)]
    pub fn upload_licence(
        file: &str,
        trusted: Vec<String>,
        allow_unsigned: bool,
        force: bool,
        at_ms: f64,
        actor: Option<String>,
        log_id: Option<String>,
    ) -> JsAttempt {
        use crate::attempt::Operation;
        use crate::rules::{Admission, Request};
        let op = crate::signature::read_unverified(file).and_then(|licence| {
            let request = Request::SetLicence {
                licence,
                admission: Admission {
                    force,
                    ..Admission::default()
                },
            };
            Ok((Operation::Request(request), host_time(at_ms)?))
        });
        let mut attempt = logged(attempt_or_invalid(op, false), actor, log_id);
        attempt.trust(trusted, allow_unsigned);
        attempt
    }

    /// From now on this attempt trusts only licences signed by `trusted` (or, with `allow_unsigned`,
    /// unsigned ones): see `Attempt::trusting`. Called before the first `step`.
    pub fn trust(&mut self, trusted: Vec<String>, allow_unsigned: bool) {
        use crate::attempt::{Attempt, Operation};
        let placeholder = Attempt::new(
            Operation::Invalid {
                connect: false,
                message: String::new(),
            },
            self.0.at(),
        );
        let attempt = std::mem::replace(&mut self.0, placeholder);
        self.0 = match crate::signature::Trust::new(&trusted, allow_unsigned) {
            Ok(trust) => attempt.trusting(&trust),
            Err(e) => Attempt::new(invalid_op(false, e), attempt.at()),
        };
    }

    /// A read for administrators: `account`, `seats`, `waitlist`, `limit`, `explain`, `export` or `audit`.
    pub fn query(
        kind: &str,
        account: Option<String>,
        feature: Option<String>,
        at_ms: f64,
    ) -> JsAttempt {
        use crate::attempt::Operation;
        let account = || account_arg(account.as_deref());
        let feature = || feature_arg(feature.as_deref());
        let op = host_time(at_ms).and_then(|at| {
            let op = match kind {
                "account" => Operation::Account(account()?),
                "seats" => Operation::Seats(feature()?),
                "waitlist" => Operation::Waitlist(feature()?),
                "limit" => Operation::Limit(feature()?),
                "explain" => Operation::Explain(account()?, feature()?),
                "export" => Operation::Export,
                "audit" => Operation::Audit,
                "directory" => Operation::Directory,
                "licence" => Operation::Licence,
                other => return Err(Error::invalid(format!("unknown query `{other}`"))),
            };
            Ok((op, at))
        });
        JsAttempt(attempt_or_invalid(op, false))
    }

    /// Seeds (or with `replace`, overwrites) the store with a scenario's directory and recorded state.
    #[wasm_bindgen(js_name = importState)]
    pub fn import_state(
        scenario: JsValue,
        replace: bool,
        force: bool,
        at_ms: f64,
        actor: Option<String>,
        log_id: Option<String>,
    ) -> JsAttempt {
        use crate::attempt::Operation;
        let admission = crate::rules::Admission {
            force,
            ..Default::default()
        };
        let op = input_text(&scenario).and_then(|text| {
            let scenario = Scenario::parse(&text)?;
            if !scenario.events.is_empty() {
                return Err(Error::invalid("events: an imported scenario holds state only; apply events through the engine"));
            }
            Ok(Operation::Import { state: scenario.state, replace, admission })
        });
        logged(
            attempt_or_invalid(op.and_then(|op| Ok((op, host_time(at_ms)?))), false),
            actor,
            log_id,
        )
    }

    /// When the operation happens, in milliseconds: the event's own `at` or the host's time.
    #[wasm_bindgen(getter)]
    pub fn at(&self) -> f64 {
        self.0.at().millis() as f64
    }

    /// Feeds the store's answers to the last `load` step (nothing on the first call) and says what comes next,
    /// as JSON text: one serializer (serde_json's, which the store values need anyway) for every answer
    /// type keeps the wasm ~40 KB smaller than also instantiating serde-wasm-bindgen's for each.
    pub fn step(&mut self, loads: JsValue) -> String {
        use crate::attempt::{Answer, Step};
        let loads = if loads.is_undefined() || loads.is_null() {
            None
        } else {
            match read_loads(&loads) {
                Ok(l) => Some(l),
                Err(why) => {
                    let error = Error::new(
                        crate::error::ErrorCode::StoreError,
                        format!("the store answered in the wrong shape: {why}"),
                    );
                    return json_text(&Step::Answer {
                        answer: Answer::Refused(error),
                    });
                }
            }
        };
        RECORDS.with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => json_text(&self.0.step_cached(loads, &mut cache)),
            // Never re-entered (a step calls no JavaScript), but a busy cache must not trap.
            Err(_) => json_text(&self.0.step(loads)),
        })
    }
}

/// The attempt, writing a change-log entry when both `actor` and `log_id` are given; a bad
/// context turns it into an `invalid-input` answer that reads and writes nothing.
fn logged(
    attempt: crate::attempt::Attempt,
    actor: Option<String>,
    log_id: Option<String>,
) -> JsAttempt {
    use crate::attempt::{Attempt, Operation};
    let (Some(actor), Some(id)) = (actor, log_id) else {
        return JsAttempt(attempt);
    };
    match crate::changelog::LogContext::new(&actor, &id) {
        Ok(context) => JsAttempt(attempt.logged(context)),
        Err(message) => JsAttempt(Attempt::new(
            Operation::Invalid {
                connect: false,
                message,
            },
            attempt.at(),
        )),
    }
}

/// Checks a licence file's signature against `trusted` public keys (hex):
/// `{type: "success", file: {licence, signedBy}}` or a failure saying why not.
#[wasm_bindgen(js_name = verifyLicence)]
pub fn verify_licence(file: &str, trusted: Vec<String>, allow_unsigned: bool) -> JsValue {
    match crate::signature::verify(file, &trusted, allow_unsigned) {
        Ok(verified) => success("file", verified),
        Err(e) => failure(e),
    }
}

/// The exact text a vendor signs for a licence file (its signature block, if any, is ignored).
#[wasm_bindgen(js_name = licenceMessage)]
pub fn licence_message(file: &str) -> JsValue {
    match crate::signature::read_unverified(file) {
        Ok(licence) => success("message", crate::signature::message(&licence)),
        Err(e) => failure(e),
    }
}

/// `{got: (Versioned | null)[], listed: {key, value, version?}[][]}` read field by field
/// (a serde `Deserialize` for these three shapes costs more wasm than this). What an error names
/// is only formatted on error: a sweep's answer holds tens of thousands of entries.
fn read_loads(loads: &JsValue) -> Result<crate::attempt::Loads, String> {
    use crate::attempt::{Entry, Loads, Versioned};
    let field = |object: &JsValue, name: &str| {
        js_sys::Reflect::get(object, &JsValue::from_str(name))
            .map_err(|_| format!("`{name}` can't be read"))
    };
    let array = |value: JsValue, what: &str| {
        value
            .dyn_into::<js_sys::Array>()
            .map_err(|_| format!("{what} is not an array"))
    };
    let text = |object: &JsValue, name: &str, what: &dyn Fn() -> String| {
        field(object, name)?
            .as_string()
            .ok_or_else(|| format!("{}.{name} is not a string", what()))
    };
    // A whole number a JavaScript number holds exactly; `None` for null/undefined.
    let version = |object: &JsValue, what: &dyn Fn() -> String| {
        let value = field(object, "version")?;
        if value.is_null() || value.is_undefined() {
            return Ok(None);
        }
        value
            .as_f64()
            .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= 9_007_199_254_740_991.0)
            .map(|v| Some(v as u64))
            .ok_or_else(|| format!("{}.version is not a whole number ≥ 0", what()))
    };
    let mut got = Vec::new();
    for (i, item) in array(field(loads, "got")?, "get's answer")?
        .iter()
        .enumerate()
    {
        if item.is_null() || item.is_undefined() {
            got.push(None);
            continue;
        }
        let what = || format!("get's answer [{i}]");
        let version =
            version(&item, &what)?.ok_or_else(|| format!("{}.version is missing", what()))?;
        got.push(Some(Versioned {
            value: text(&item, "value", &what)?,
            version,
        }));
    }
    let mut listed = Vec::new();
    for (i, page) in array(field(loads, "listed")?, "the listings")?
        .iter()
        .enumerate()
    {
        let mut entries = Vec::new();
        for (j, entry) in array(page, "a listing")?.iter().enumerate() {
            let what = || format!("list [{i}][{j}]");
            entries.push(Entry {
                key: text(&entry, "key", &what)?,
                value: text(&entry, "value", &what)?,
                version: version(&entry, &what)?,
            });
        }
        listed.push(entries);
    }
    Ok(Loads { got, listed })
}
