//! R2–R5 and R12 for a connect, and `explain`, which shows the same decision
//! with the chain behind it.

use serde::Serialize;

use super::ledger::{self, has_free_seat};
use super::{Ctx, Decision, Reason};
use crate::keys::{self, AccountRec, HolderRec, Record};
use crate::model::{AccountId, AccountType, Feature, Node, Overflow, Setting, Via};
use crate::resolve::{resolve_in, ChainLink, Resolution};
use crate::time::Timestamp;
use crate::tx::{Halt, Snapshot};

/// What the gates (R2) and the ledger say about one (account, feature) now.
enum Verdict {
    Denied(Decision),
    Held(HolderRec),
    Claim,
    OverCap,
}

struct Looked {
    account: Option<AccountRec>,
    resolution: Option<Resolution>,
    verdict: Verdict,
}

fn look(ctx: &Ctx<'_>, id: &AccountId, feature: &Feature) -> Result<Looked, Halt> {
    let none = |verdict| Looked {
        account: None,
        resolution: None,
        verdict,
    };
    let Some(account) = ctx.tx.account(id)? else {
        return Ok(none(Verdict::Denied(Decision::deny(
            Reason::UnknownAccount,
            None,
        ))));
    };
    let Some(limit) = ctx.licence.seats(feature) else {
        return Ok(none(Verdict::Denied(Decision::deny(
            Reason::UnknownFeature,
            None,
        ))));
    };
    let resolution = resolve_in(&ctx.tx, id, &account, feature)?;
    let source = Some(resolution.source.clone());
    let verdict = if ctx.licence.expires.is_some_and(|expires| ctx.at >= expires) {
        Verdict::Denied(Decision::deny(Reason::LicenceExpired, source))
    } else if account.kind == AccountType::Basic {
        Verdict::Denied(Decision::deny(Reason::NotPremium, source))
    } else if resolution.effective == Setting::Disabled {
        let reason = if resolution.capped {
            Reason::Capped
        } else {
            Reason::Disabled
        };
        Verdict::Denied(Decision::deny(reason, source))
    } else if let Some(held) = ctx.tx.holder(feature, id)? {
        Verdict::Held(held)
    } else if has_free_seat(ctx.tx.seats(feature)?.holders, limit) {
        Verdict::Claim
    } else {
        Verdict::OverCap
    };
    Ok(Looked {
        account: Some(account),
        resolution: Some(resolution),
        verdict,
    })
}

pub(super) fn connect(
    ctx: &mut Ctx<'_>,
    id: &AccountId,
    feature: &Feature,
) -> Result<Decision, Halt> {
    let looked = look(ctx, id, feature)?;
    let source = looked.resolution.map(|r| r.source);
    let allow = |reason| Decision {
        allowed: true,
        reason,
        source: source.clone(),
    };
    Ok(match (looked.verdict, looked.account) {
        (Verdict::Denied(decision), _) => decision,
        (Verdict::Held(mut held), _) => {
            held.last_seen = ctx.at;
            ctx.tx.put(keys::holder(feature, id), Record::Holder(held));
            allow(Reason::SeatHeld)
        }
        (Verdict::Claim, _) => {
            ledger::claim(ctx, feature, id, Via::Connect)?;
            allow(Reason::SeatClaimed)
        }
        (Verdict::OverCap, Some(mut account)) => match ctx.policy.overflow {
            Overflow::Disable => {
                ledger::mark_capped(ctx, feature, id, &mut account)?;
                Decision::deny(Reason::Capped, source)
            }
            Overflow::Waitlist => {
                ledger::enqueue(ctx, feature, id)?;
                Decision::deny(Reason::Waitlisted, source)
            }
        },
        (Verdict::OverCap, None) => Decision::deny(Reason::UnknownAccount, None),
    })
}

/// Everything behind one (account, feature) decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    pub account: AccountId,
    pub feature: Feature,
    #[serde(rename = "type")]
    #[cfg_attr(test, ts(type = "\"premium\" | \"basic\" | null"))]
    pub kind: Option<AccountType>,
    /// account → class → domain → server, up to the deciding node (R1).
    pub chain: Vec<ChainLink>,
    #[cfg_attr(test, ts(type = "\"enabled\" | \"disabled\" | null"))]
    pub effective: Option<Setting>,
    #[cfg_attr(test, ts(type = "string | null"))]
    pub source: Option<Node>,
    pub capped: bool,
    pub seat: Option<SeatView>,
    pub waiting: bool,
    /// Seat limit of the feature (`null`: unlimited or unknown feature) and seats held.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub limit: Option<u64>,
    #[cfg_attr(test, ts(type = "number"))]
    pub holders: u64,
    /// What a connect at this time would answer, without writing anything.
    pub decision: Decision,
    /// The SPEC rule that gives that answer.
    pub rule: String,
    /// The same in words.
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "camelCase")]
pub struct SeatView {
    pub since: Timestamp,
    pub via: Via,
    pub last_seen: Timestamp,
}

/// Explains what a connect of `id` to `feature` at `at` would get, and why.
pub fn explain(
    snap: &dyn Snapshot,
    id: &AccountId,
    feature: &Feature,
    at: Timestamp,
) -> Result<Explanation, Halt> {
    let ctx = Ctx::open(snap, at)?;
    let looked = look(&ctx, id, feature)?;
    let header = ctx.tx.seats(feature)?;
    let limit = ctx.licence.seats(feature).flatten();
    let seat = ctx.tx.holder(feature, id)?.map(|h| SeatView {
        since: h.since,
        via: h.via,
        last_seen: h.last_seen,
    });
    let waiting = ctx.tx.waiter(feature, id)?.is_some();
    let source = looked.resolution.as_ref().map(|r| r.source.clone());
    let (decision, rule, why) = match looked.verdict {
        Verdict::Denied(d) => {
            let (rule, why) = match d.reason {
                Reason::UnknownAccount => ("R2", format!("there is no account `{id}`")),
                Reason::UnknownFeature => ("R2", format!("the licence has no feature `{feature}`")),
                Reason::LicenceExpired => ("R2", "the licence has expired".to_string()),
                Reason::NotPremium => (
                    "R2",
                    "capped add-ons only work for premium accounts".to_string(),
                ),
                Reason::Capped => ("R5", capped_why(header.holders, limit)),
                _ => (
                    "R2",
                    format!(
                        "`{feature}` resolves to disabled at {} (R1)",
                        source_text(&source)
                    ),
                ),
            };
            (d, rule, why)
        }
        Verdict::Held(h) => (
            Decision {
                allowed: true,
                reason: Reason::SeatHeld,
                source,
            },
            "R3",
            format!("holds a seat since {} (via {})", h.since, via_text(h.via)),
        ),
        Verdict::Claim => (
            Decision {
                allowed: true,
                reason: Reason::SeatClaimed,
                source,
            },
            "R4",
            format!(
                "{} of {} seats are held; the next connect claims one",
                header.holders,
                limit_text(limit)
            ),
        ),
        Verdict::OverCap => match ctx.policy.overflow {
            Overflow::Disable => (
                Decision::deny(Reason::Capped, source),
                "R5",
                format!(
                    "all {} seats are held; a connect would be capped and its setting disabled",
                    limit_text(limit)
                ),
            ),
            Overflow::Waitlist => (
                Decision::deny(Reason::Waitlisted, source),
                "R12",
                format!(
                    "all {} seats are held; a connect would wait for the next free seat",
                    limit_text(limit)
                ),
            ),
        },
    };
    Ok(Explanation {
        account: id.clone(),
        feature: feature.clone(),
        kind: looked.account.as_ref().map(|a| a.kind),
        chain: looked
            .resolution
            .as_ref()
            .map(|r| r.chain.clone())
            .unwrap_or_default(),
        effective: looked.resolution.as_ref().map(|r| r.effective),
        source: decision.source.clone(),
        capped: looked.resolution.as_ref().is_some_and(|r| r.capped),
        seat,
        waiting,
        limit,
        holders: header.holders,
        decision,
        rule: rule.to_string(),
        why,
    })
}

fn source_text(source: &Option<Node>) -> String {
    source
        .as_ref()
        .map_or_else(|| "no node".to_string(), |n| format!("`{n}`"))
}

/// A capped account stays capped when seats free up (R10, R11): say so, so nobody is told
/// "every seat is taken" after an administrator freed one.
fn capped_why(holders: u64, limit: Option<u64>) -> String {
    let capped = "the cap wrote `disabled` on this account when it connected with every seat taken";
    match limit {
        Some(limit) if holders < limit => format!(
            "{capped}; {} of {limit} seats are free now, but a capped account does not claim one by itself: an administrator must enable it (R6) or restore capped accounts (R11)",
            limit - holders
        ),
        _ => format!(
            "{capped}; all {} seats are still held: an administrator must free a seat (disable a holder, R7) and then enable this account (R6) or restore capped accounts (R11)",
            limit_text(limit)
        ),
    }
}

fn limit_text(limit: Option<u64>) -> String {
    limit.map_or_else(|| "unlimited".to_string(), |n| n.to_string())
}

fn via_text(via: Via) -> &'static str {
    match via {
        Via::Connect => "connect",
        Via::Admin => "admin",
        Via::Waitlist => "waitlist",
    }
}
