//! The what-if runner: a scenario's events applied one by one to an
//! in-memory state through the same `rules::execute` every host uses.

use crate::error::{Error, ErrorCode};
use crate::memory::MemoryState;
use crate::model::{AccountId, Feature};
use crate::outcome::{state_view, EventResult, OpResult, Outcome};
use crate::rules::{execute, explain, Decision, Explanation, Reason, Request, Response};
use crate::scenario::{parse_event, Scenario, ScenarioError};
use crate::time::Timestamp;
use crate::tx::Halt;

/// Runs a scenario given as JSON text.
pub fn simulate(text: &str) -> Result<Outcome, ScenarioError> {
    simulate_with_progress(text, &mut |_, _| {})
}

/// As [`simulate`], calling `progress(done, total)` about a hundred times over the events.
pub fn simulate_with_progress(
    text: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Outcome, ScenarioError> {
    let scenario = Scenario::parse(text)?;
    Ok(run(scenario, progress).outcome)
}

/// Runs a scenario, then explains (account, feature) as a connect one second
/// after the last event would find it.
pub fn explain_after(text: &str, account: &str, feature: &str) -> Result<Explanation, Error> {
    let account = AccountId::parse(account).map_err(|e| Error::invalid(format!("account: {e}")))?;
    let feature = Feature::parse(feature).map_err(|e| Error::invalid(format!("feature: {e}")))?;
    let scenario = Scenario::parse(text)?;
    let ran = run(scenario, &mut |_, _| {});
    explain(&ran.state, &account, &feature, ran.next_at).map_err(halt_error)
}

/// What a run leaves: the outcome, the final state, and the default time of a next event.
pub struct Ran {
    pub outcome: Outcome,
    pub state: MemoryState,
    pub next_at: Timestamp,
}

/// Applies every event of a parsed scenario.
pub fn run(scenario: Scenario, progress: &mut dyn FnMut(u64, u64)) -> Ran {
    let total = scenario.events.len() as u64;
    let step = (total / 100).max(1);
    let mut sim = Simulator::new(scenario.state, scenario.start);
    let mut results = Vec::with_capacity(scenario.events.len());
    for (i, raw) in scenario.events.iter().enumerate() {
        results.push(sim.step(raw));
        let done = i as u64 + 1;
        if done % step == 0 || done == total {
            progress(done, total);
        }
    }
    // A fully loaded in-memory state never misses a key or holds a mistyped record.
    let view = state_view(&sim.state).unwrap_or_default();
    let next_at = sim.next_at();
    Ran {
        outcome: Outcome {
            events: results,
            state: view,
        },
        state: sim.state,
        next_at,
    }
}

/// Steps through events one at a time, keeping the scenario clock.
pub struct Simulator {
    pub state: MemoryState,
    start: Timestamp,
    clock: Option<Timestamp>,
}

impl Simulator {
    pub fn new(state: MemoryState, start: Timestamp) -> Self {
        Simulator {
            state,
            start,
            clock: None,
        }
    }

    /// The time an event without `at` would get now.
    pub fn next_at(&self) -> Timestamp {
        self.clock.map_or(self.start, |t| t.plus_seconds(1))
    }

    /// Applies one event: all of its writes, or none when it is refused.
    pub fn step(&mut self, raw: &str) -> EventResult {
        let event = parse_event(raw);
        // An event without a (valid) `at` comes one second after the previous one.
        let at = event.at.unwrap_or_else(|| self.next_at());
        self.clock = Some(at);
        match event.request {
            Ok(request) => apply(&mut self.state, &request, at),
            Err(_) if event.is_connect => {
                EventResult::Decision(Decision::deny(Reason::InvalidInput, None))
            }
            Err(message) => EventResult::Op(OpResult {
                ok: false,
                error: Some(Error::invalid(message)),
            }),
        }
    }
}

fn halt_error(halt: Halt) -> Error {
    match halt {
        Halt::Refused(e) => e,
        Halt::Missing(m) => Error::new(ErrorCode::StoreError, format!("state not loaded: {m:?}")),
    }
}

fn apply(state: &mut MemoryState, request: &Request, at: Timestamp) -> EventResult {
    match execute(state, request, at) {
        Ok(applied) => {
            state.apply(applied.writes);
            match applied.response {
                Response::Decision(d) => EventResult::Decision(d),
                Response::Done => EventResult::Op(OpResult {
                    ok: true,
                    error: None,
                }),
            }
        }
        Err(halt) => {
            let error = halt_error(halt);
            if matches!(request, Request::Connect { .. }) {
                EventResult::Decision(Decision::deny(Reason::InvalidInput, None))
            } else {
                EventResult::Op(OpResult {
                    ok: false,
                    error: Some(error),
                })
            }
        }
    }
}
