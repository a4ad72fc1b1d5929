//! Licence changes (R10) and restoring capped accounts (R11).

use super::{ledger, Admission, Ctx};
use crate::keys::{self, HolderRec, OriginRec, Record};
use crate::model::{AccountId, Feature, Licence, Shrink, Via};
use crate::time::Timestamp;
use crate::tx::{sort_by_rank, Halt};

pub(super) fn set_licence(
    ctx: &mut Ctx<'_>,
    licence: &Licence,
    admission: &Admission,
) -> Result<(), Halt> {
    let in_force = ctx.tx.get_licence_rec(keys::LICENCE)?;
    admission.check(in_force.as_ref(), licence, ctx.at)?;
    let signed_by = admission.signed_by.as_deref();
    let old = std::mem::replace(&mut ctx.licence, licence.clone());
    ctx.tx
        .put(keys::LICENCE.to_string(), Record::Licence(licence.clone()));
    // Where this licence came from, so the server can show whether it is vendor-signed.
    let origin = OriginRec {
        signed_by: signed_by.map(str::to_string),
        at: ctx.at,
    };
    ctx.tx
        .put(keys::LICENCE_ORIGIN.to_string(), Record::Origin(origin));
    for feature in old
        .features
        .keys()
        .filter(|f| !licence.features.contains_key(*f))
    {
        drop_ledger(ctx, feature)?;
    }
    for (feature, new) in &licence.features {
        let Some(old_seats) = old.seats(feature) else {
            continue;
        };
        let grew = match (old_seats, new.seats) {
            (Some(_), None) => true,
            (Some(before), Some(after)) => after > before,
            (None, _) => false,
        };
        if grew {
            if ctx.policy.restore_on_grow {
                restore_capped(ctx, feature)?;
            }
            ctx.mark_freed(feature);
        }
        if let Some(limit) = new.seats {
            shrink(ctx, feature, limit)?;
        }
    }
    Ok(())
}

/// A feature the licence no longer lists loses its ledger; capped markers
/// stay on the accounts, inert until the feature comes back.
fn drop_ledger(ctx: &mut Ctx<'_>, feature: &Feature) -> Result<(), Halt> {
    for (id, _) in ctx.tx.holders(feature)? {
        ctx.tx.del(keys::holder(feature, &id));
    }
    for (id, _) in ctx.tx.waiters(feature)? {
        ctx.tx.del(keys::waiter(feature, &id));
    }
    ctx.tx.del(keys::seats(feature));
    Ok(())
}

/// R10 with fewer seats than holders: evict by `policy.shrink`, connect and
/// waitlist holders before admin ones; evicted accounts get the capped marker.
fn shrink(ctx: &mut Ctx<'_>, feature: &Feature, limit: u64) -> Result<(), Halt> {
    let mut holders = ctx.tx.holders(feature)?;
    let excess = (holders.len() as u64).saturating_sub(limit);
    if excess == 0 {
        return Ok(());
    }
    let admin_last = |h: &HolderRec| u64::from(h.via == Via::Admin);
    // Times are never before 1970 (see `Timestamp::parse`), so they rank as u64.
    let time = |t: Timestamp| u64::try_from(t.millis()).unwrap_or(0);
    holders = match ctx.policy.shrink {
        Shrink::Grandfather => return Ok(()),
        // Latest `since` first; on equal times the later claim first.
        Shrink::EvictNewest => sort_by_rank(holders, |(_, h)| {
            [admin_last(h), u64::MAX - time(h.since), u64::MAX - h.seq]
        }),
        // Oldest `lastSeen` first; on equal times the later claim first.
        Shrink::EvictIdle => sort_by_rank(holders, |(_, h)| {
            [admin_last(h), time(h.last_seen), u64::MAX - h.seq]
        }),
    };
    let evicted: Vec<AccountId> = holders
        .into_iter()
        .take(excess as usize)
        .map(|(id, _)| id)
        .collect();
    for id in evicted {
        ledger::release(ctx, feature, &id)?;
        if let Some(mut account) = ctx.tx.account(&id)? {
            ledger::mark_capped(ctx, feature, &id, &mut account)?;
        }
    }
    // Evictions free no seat for anyone else.
    ctx.freed.retain(|f| f != feature);
    Ok(())
}

/// R11: every capped account of the feature goes back to `inherit`.
pub(super) fn restore_capped(ctx: &mut Ctx<'_>, feature: &Feature) -> Result<(), Halt> {
    ctx.limit(feature)?;
    for id in ctx.tx.capped(feature)? {
        let Some(mut account) = ctx.tx.account(&id)? else {
            continue;
        };
        ledger::clear_capped(ctx, feature, &id, &mut account)?;
        account.settings.remove(feature);
        ctx.tx.put(keys::account(&id), Record::Account(account));
    }
    Ok(())
}
