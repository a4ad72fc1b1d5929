//! seatcap: per-account feature licences for mail servers, capped the way
//! Axigen caps ActiveSync seats (see SPEC.md; rules are cited as R1…R14).
//!
//! The crate is a pure core: no I/O, no clock, no randomness. Every request
//! is *read these keys → decide → write these keys if unchanged* ([`tx`],
//! [`keys`]); the in-memory simulator ([`simulate`]) and the JavaScript
//! hosts drive the same [`rules::execute`].

// A panic in wasm poisons the instance: the library code must not have a way to panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo
    )
)]

pub mod attempt;
pub mod audit;
pub mod changelog;
pub mod error;
pub mod export;
pub mod input;
pub mod keys;
pub mod memory;
pub mod model;
pub mod outcome;
pub mod query;
pub mod record_cache;
pub mod resolve;
pub mod rules;
pub mod scenario;
pub mod signature;
pub mod simulate;
pub mod split;
pub mod time;
pub mod tx;
pub mod vecmap;

#[cfg(feature = "wasm")]
mod wasm;
#[cfg(all(feature = "wasm", target_arch = "wasm32"))]
mod wasm_alloc;

pub use error::{Error, ErrorCode};
pub use rules::{execute, Decision, Reason, Request, Response};
pub use simulate::{simulate, simulate_with_progress};
