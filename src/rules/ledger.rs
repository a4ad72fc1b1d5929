//! The seat ledger: claims, releases, the capped marker and the waitlist.
//! Every change goes through here so the header counts stay exact.

use super::Ctx;
use crate::error::{Error, ErrorCode};
use crate::keys::{self, AccountRec, CappedRec, HolderRec, Record, WaiterRec};
use crate::model::Via;
use crate::model::{AccountId, AccountType, Capping, Feature, Overflow, Setting};
use crate::resolve::resolve_in;
use crate::tx::Halt;

/// Whether a holder count leaves a seat free under a limit (`None`: unlimited).
pub fn has_free_seat(holders: u64, limit: Option<u64>) -> bool {
    limit.is_none_or(|n| holders < n)
}

/// `seats-exhausted`, listing the holders the administrator could disable (R6).
pub fn seats_exhausted(ctx: &Ctx<'_>, feature: &Feature) -> Result<Error, Halt> {
    let holders: Vec<AccountId> = ctx
        .tx
        .holders(feature)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut error = Error::new(
        ErrorCode::SeatsExhausted,
        format!(
            "all {} seats of `{feature}` are held; disable a holder first",
            holders.len()
        ),
    );
    error.holders = Some(holders);
    Ok(error)
}

/// Gives `id` a seat (R4, R6, R12), then applies `at-cap` marking (R5) if
/// that was the last free seat.
pub fn claim(ctx: &mut Ctx<'_>, feature: &Feature, id: &AccountId, via: Via) -> Result<(), Halt> {
    let mut header = ctx.tx.seats(feature)?;
    let at = ctx.at;
    ctx.tx.put(
        keys::holder(feature, id),
        Record::Holder(HolderRec {
            seq: header.next_seq,
            since: at,
            via,
            last_seen: at,
        }),
    );
    header.holders += 1;
    header.next_seq += 1;
    if ctx.tx.waiter(feature, id)?.is_some() {
        ctx.tx.del(keys::waiter(feature, id));
        header.waiting = header.waiting.saturating_sub(1);
    }
    ctx.tx.put(keys::seats(feature), Record::Seats(header));
    let limit = ctx.limit(feature)?;
    let full = !has_free_seat(header.holders, limit);
    if full && ctx.policy.capping == Capping::AtCap && ctx.policy.overflow == Overflow::Disable {
        cap_everyone_waiting_to_claim(ctx, feature)?;
    }
    Ok(())
}

/// Takes `id`'s seat away, if it has one; R12 grants follow at the end of the request.
pub fn release(ctx: &mut Ctx<'_>, feature: &Feature, id: &AccountId) -> Result<bool, Halt> {
    if ctx.tx.holder(feature, id)?.is_none() {
        return Ok(false);
    }
    let mut header = ctx.tx.seats(feature)?;
    header.holders = header.holders.saturating_sub(1);
    ctx.tx.del(keys::holder(feature, id));
    ctx.tx.put(keys::seats(feature), Record::Seats(header));
    ctx.mark_freed(feature);
    Ok(true)
}

/// Writes `disabled` with the capped marker on the account ("explicitly defined", R5).
pub fn mark_capped(
    ctx: &mut Ctx<'_>,
    feature: &Feature,
    id: &AccountId,
    account: &mut AccountRec,
) -> Result<(), Halt> {
    account.settings.insert(feature.clone(), Setting::Disabled);
    account.capped.insert(feature.clone(), ctx.at);
    ctx.tx.put(
        keys::capped(feature, id),
        Record::Capped(CappedRec { at: ctx.at }),
    );
    ctx.tx
        .put(keys::account(id), Record::Account(account.clone()));
    touch_header(ctx, feature)
}

/// Drops the capped marker (an administrator's write, R11); the caller writes the account.
pub fn clear_capped(
    ctx: &mut Ctx<'_>,
    feature: &Feature,
    id: &AccountId,
    account: &mut AccountRec,
) -> Result<(), Halt> {
    if account.capped.remove(feature).is_some() {
        ctx.tx.del(keys::capped(feature, id));
        touch_header(ctx, feature)?;
    }
    Ok(())
}

/// The ledger header also guards the capped index (`keys`): rewriting it
/// gives it a new version, so a concurrent R10/R11 that listed the index
/// without this marker cannot commit.
fn touch_header(ctx: &mut Ctx<'_>, feature: &Feature) -> Result<(), Halt> {
    if ctx.licence.seats(feature).is_some() {
        let header = ctx.tx.seats(feature)?;
        ctx.tx.put(keys::seats(feature), Record::Seats(header));
    }
    Ok(())
}

/// Puts `id` at the end of the waitlist unless it is already waiting (R12).
pub fn enqueue(ctx: &mut Ctx<'_>, feature: &Feature, id: &AccountId) -> Result<(), Halt> {
    if ctx.tx.waiter(feature, id)?.is_some() {
        return Ok(());
    }
    let mut header = ctx.tx.seats(feature)?;
    ctx.tx.put(
        keys::waiter(feature, id),
        Record::Waiter(WaiterRec {
            seq: header.next_wait,
        }),
    );
    header.next_wait += 1;
    header.waiting += 1;
    ctx.tx.put(keys::seats(feature), Record::Seats(header));
    Ok(())
}

pub fn dequeue(ctx: &mut Ctx<'_>, feature: &Feature, id: &AccountId) -> Result<(), Halt> {
    if ctx.tx.waiter(feature, id)?.is_none() {
        return Ok(());
    }
    let mut header = ctx.tx.seats(feature)?;
    header.waiting = header.waiting.saturating_sub(1);
    ctx.tx.del(keys::waiter(feature, id));
    ctx.tx.put(keys::seats(feature), Record::Seats(header));
    Ok(())
}

/// Whether an account may hold a seat of `feature` now: premium and resolving to `enabled`.
pub fn eligible(
    ctx: &Ctx<'_>,
    feature: &Feature,
    id: &AccountId,
    account: &AccountRec,
) -> Result<bool, Halt> {
    Ok(account.kind == AccountType::Premium
        && resolve_in(&ctx.tx, id, account, feature)?.effective == Setting::Enabled)
}

/// R12: free seats go to the earliest waiters still eligible; the others keep their place.
pub fn grant_waiters(ctx: &mut Ctx<'_>, feature: &Feature) -> Result<(), Halt> {
    let Some(limit) = ctx.licence.seats(feature) else {
        return Ok(());
    };
    if ctx.tx.seats(feature)?.waiting == 0 {
        return Ok(());
    }
    for (id, _) in ctx.tx.waiters(feature)? {
        if !has_free_seat(ctx.tx.seats(feature)?.holders, limit) {
            break;
        }
        let Some(account) = ctx.tx.account(&id)? else {
            continue;
        };
        if ctx.tx.holder(feature, &id)?.is_none() && eligible(ctx, feature, &id, &account)? {
            claim(ctx, feature, &id, Via::Waitlist)?;
        }
    }
    Ok(())
}

/// R5 `at-cap`: once the last seat is taken, every premium account that
/// resolves to `enabled` and holds no seat is capped at once.
///
/// Everything the sweep looks at is read as whole ranges (accounts, holders, the capped index,
/// domains, classes), asked for together before it decides, so a host answers it in one round
/// trip whatever the number of accounts (reading key by key cost one round trip, and one re-run
/// of the rule, per account; range by range, one re-run of the rule per range).
fn cap_everyone_waiting_to_claim(ctx: &mut Ctx<'_>, feature: &Feature) -> Result<(), Halt> {
    let holder_prefix = keys::holder_prefix(feature);
    // All in one round trip; the capped index too, so the markers written are known absent (or at
    // their version) without reading each one with `get`.
    ctx.tx.load_ranges(&[
        keys::ACCOUNT_PREFIX,
        &holder_prefix,
        &keys::capped_prefix(feature),
        keys::DOMAIN_PREFIX,
        keys::CLASS_PREFIX,
    ])?;
    let accounts = ctx.tx.accounts()?;
    // Holder keys in key order (a scan's order), searched without sorting anew.
    let holders: Vec<String> = ctx
        .tx
        .scan(&holder_prefix)?
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    // Loaded for `eligible` (R1 reads each account's domain and class).
    ctx.tx.scan(keys::DOMAIN_PREFIX)?;
    ctx.tx.scan(keys::CLASS_PREFIX)?;
    for (id, mut account) in accounts {
        let holds = holders.binary_search(&keys::holder(feature, &id)).is_ok();
        if !holds && eligible(ctx, feature, &id, &account)? {
            mark_capped(ctx, feature, &id, &mut account)?;
            ctx.swept.push((feature.clone(), id));
        }
    }
    Ok(())
}
