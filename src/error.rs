//! The engine's one error type, with the codes of SPEC "Outcome".

use serde::Serialize;

use crate::model::AccountId;

/// SPEC error codes, serialised exactly as written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    SeatsExhausted,
    MailboxesExhausted,
    UnknownAccount,
    UnknownDomain,
    UnknownClass,
    UnknownFeature,
    AlreadyExists,
    InvalidInput,
    Conflict,
    StoreError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::SeatsExhausted => "seats-exhausted",
            ErrorCode::MailboxesExhausted => "mailboxes-exhausted",
            ErrorCode::UnknownAccount => "unknown-account",
            ErrorCode::UnknownDomain => "unknown-domain",
            ErrorCode::UnknownClass => "unknown-class",
            ErrorCode::UnknownFeature => "unknown-feature",
            ErrorCode::AlreadyExists => "already-exists",
            ErrorCode::InvalidInput => "invalid-input",
            ErrorCode::Conflict => "conflict",
            ErrorCode::StoreError => "store-error",
        }
    }
}

/// A refused request: a code, a sentence for people, and for
/// `seats-exhausted` the holders the administrator could disable (R6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/", rename = "ErrorBody")
)]
#[error("{}: {message}", code.as_str())]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub holders: Option<Vec<AccountId>>,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            holders: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidInput, message)
    }
}
