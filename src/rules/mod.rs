//! The rules of SPEC.md, one module per concern. Every request runs as
//! `execute(snapshot, request, at)` → response + writes (see `tx`).

mod admin;
mod connect;
mod directory;
mod ledger;
mod licence;
mod lifecycle;

use serde::Serialize;

use crate::error::{Error, ErrorCode};
use crate::model::{
    AccountId, AccountType, ClassName, DomainName, Feature, Licence, Node, Policy, Setting,
    Settings,
};
use crate::time::Timestamp;
use crate::tx::{Halt, Snapshot, Tx, Writes};

pub use connect::{explain, Explanation, SeatView};

/// One request to the engine, already parsed and validated for syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Connect {
        account: AccountId,
        feature: Feature,
    },
    Set {
        node: Node,
        feature: Feature,
        value: Setting,
    },
    SetLicence {
        licence: Licence,
        admission: Admission,
    },
    Create {
        account: AccountId,
        kind: AccountType,
        class: Option<ClassName>,
        settings: Settings,
    },
    Delete {
        account: AccountId,
    },
    SetType {
        account: AccountId,
        kind: AccountType,
    },
    RestoreCapped {
        feature: Feature,
    },
    CreateDomain {
        domain: DomainName,
        settings: Settings,
    },
    CreateClass {
        domain: DomainName,
        class: ClassName,
        settings: Settings,
    },
}

/// How a licence entering the store was vouched for (see `signature`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// The trusted vendor key whose signature the core verified; `None`: unsigned, or not checked.
    pub signed_by: Option<String>,
    /// The store trusts only signed licences (`Attempt::trusting`): an older or expired licence is
    /// refused (`signature::check_succession`) unless `force`.
    pub enforced: bool,
    /// An administrator installs it even if it is older or expired; the change log records it.
    pub force: bool,
}

impl Admission {
    /// Whether `licence` may replace `in_force` at `at` (always, on a store that does not enforce).
    pub fn check(
        &self,
        in_force: Option<&Licence>,
        licence: &Licence,
        at: Timestamp,
    ) -> Result<(), Error> {
        if self.enforced && !self.force {
            crate::signature::check_succession(in_force, licence, at)?;
        }
        Ok(())
    }
}

/// Why a connect was allowed or denied (SPEC "Outcome").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    SeatHeld,
    SeatClaimed,
    Disabled,
    Capped,
    Waitlisted,
    NotPremium,
    UnknownAccount,
    UnknownFeature,
    LicenceExpired,
    InvalidInput,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
    /// The deciding node as it stood before this request's writes.
    #[cfg_attr(test, ts(type = "string | null"))]
    pub source: Option<Node>,
}

impl Decision {
    pub(crate) fn deny(reason: Reason, source: Option<Node>) -> Self {
        Decision {
            allowed: false,
            reason,
            source,
        }
    }
}

/// What a request answered: a decision for connects, `Done` for the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Decision(Decision),
    Done,
}

/// A request's answer and the writes that carry it out.
#[derive(Debug)]
pub struct Applied {
    pub response: Response,
    pub writes: Writes,
    /// Accounts the `at-cap` sweep (R5) marked: the engine's consequence of the request, logged
    /// apart from what the caller asked (see `changelog`).
    pub swept: Vec<(Feature, AccountId)>,
}

/// Runs one request against a snapshot. On `Err` nothing may be written.
pub fn execute(snap: &dyn Snapshot, request: &Request, at: Timestamp) -> Result<Applied, Halt> {
    let mut ctx = Ctx::open(snap, at)?;
    let response = match request {
        Request::Connect { account, feature } => {
            Response::Decision(connect::connect(&mut ctx, account, feature)?)
        }
        Request::Set {
            node,
            feature,
            value,
        } => admin::set(&mut ctx, node, feature, *value).map(|_| Response::Done)?,
        Request::SetLicence { licence, admission } => {
            licence::set_licence(&mut ctx, licence, admission).map(|_| Response::Done)?
        }
        Request::Create {
            account,
            kind,
            class,
            settings,
        } => lifecycle::create(&mut ctx, account, *kind, class.as_ref(), settings)
            .map(|_| Response::Done)?,
        Request::Delete { account } => {
            lifecycle::delete(&mut ctx, account).map(|_| Response::Done)?
        }
        Request::SetType { account, kind } => {
            lifecycle::set_type(&mut ctx, account, *kind).map(|_| Response::Done)?
        }
        Request::RestoreCapped { feature } => {
            licence::restore_capped(&mut ctx, feature).map(|_| Response::Done)?
        }
        Request::CreateDomain { domain, settings } => {
            directory::create_domain(&mut ctx, domain, settings).map(|_| Response::Done)?
        }
        Request::CreateClass {
            domain,
            class,
            settings,
        } => directory::create_class(&mut ctx, domain, class, settings).map(|_| Response::Done)?,
    };
    ctx.grant_freed_seats()?;
    Ok(Applied {
        response,
        writes: ctx.tx.into_writes(),
        swept: ctx.swept,
    })
}

/// What every rule needs: the transaction, the licence and policy as read
/// at the start, the request time, and which features freed a seat.
pub(crate) struct Ctx<'s> {
    pub tx: Tx<'s>,
    pub licence: Licence,
    pub policy: Policy,
    pub at: Timestamp,
    /// Features where a seat was released or the licence grew: R12 grants run for them.
    pub freed: Vec<Feature>,
    /// Accounts marked by the `at-cap` sweep.
    pub swept: Vec<(Feature, AccountId)>,
}

impl<'s> Ctx<'s> {
    fn open(snap: &'s dyn Snapshot, at: Timestamp) -> Result<Self, Halt> {
        let tx = Tx::new(snap);
        let licence = tx.licence()?;
        let policy = tx.policy()?;
        Ok(Ctx {
            tx,
            licence,
            policy,
            at,
            freed: Vec::new(),
            swept: Vec::new(),
        })
    }

    /// The seat limit, or `unknown-feature` (with `source: null` for connects).
    pub fn limit(&self, feature: &Feature) -> Result<Option<u64>, Error> {
        self.licence.seats(feature).ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownFeature,
                format!("`{feature}` is not a feature of the licence"),
            )
        })
    }

    /// Keeps `freed` sorted, so grants run in feature-name order.
    pub fn mark_freed(&mut self, feature: &Feature) {
        if let Err(i) = self.freed.binary_search(feature) {
            self.freed.insert(i, feature.clone());
        }
    }

    fn grant_freed_seats(&mut self) -> Result<(), Halt> {
        for feature in std::mem::take(&mut self.freed) {
            ledger::grant_waiters(self, &feature)?;
        }
        Ok(())
    }
}

fn unknown_account(id: &AccountId) -> Error {
    Error::new(ErrorCode::UnknownAccount, format!("no account `{id}`"))
}
