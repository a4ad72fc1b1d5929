//! Administrators' writes of settings: R6, R7, R8.

use super::ledger::{self, has_free_seat};
use super::{unknown_account, Ctx};
use crate::error::{Error, ErrorCode};
use crate::keys::{self, Record};
use crate::model::{AccountId, AccountType, Feature, Node, Setting, Settings, Via};
use crate::resolve::resolve_in;
use crate::tx::Halt;

pub(super) fn set(
    ctx: &mut Ctx<'_>,
    node: &Node,
    feature: &Feature,
    value: Setting,
) -> Result<(), Halt> {
    if *node == Node::Server && value == Setting::Inherit {
        return Err(Error::invalid("the server's setting can't be `inherit`").into());
    }
    ctx.limit(feature)?;
    let (key, mut rec) = match node {
        Node::Account(id) => return set_account(ctx, id, feature, value),
        Node::Server => (keys::SERVER.to_string(), ctx.tx.server()?),
        Node::Domain(d) => (
            keys::domain(d),
            ctx.tx.domain(d)?.ok_or_else(|| unknown_domain(d))?,
        ),
        Node::Class(d, c) => {
            ctx.tx.domain(d)?.ok_or_else(|| unknown_domain(d))?;
            let rec = ctx.tx.class(d, c)?.ok_or_else(|| {
                Error::new(
                    ErrorCode::UnknownClass,
                    format!("domain `{d}` has no class `{c}`"),
                )
            })?;
            (keys::class(d, c), rec)
        }
    };
    write_setting(&mut rec.settings, feature, value);
    ctx.tx.put(key, Record::Node(rec));
    release_holders_now_disabled(ctx, feature)
}

/// R8, second half: a change above the accounts releases the seats of
/// holders that no longer resolve to `enabled`.
fn release_holders_now_disabled(ctx: &mut Ctx<'_>, feature: &Feature) -> Result<(), Halt> {
    for (id, _) in ctx.tx.holders(feature)? {
        let Some(account) = ctx.tx.account(&id)? else {
            continue;
        };
        if resolve_in(&ctx.tx, &id, &account, feature)?.effective != Setting::Enabled {
            ledger::release(ctx, feature, &id)?;
        }
    }
    Ok(())
}

fn set_account(
    ctx: &mut Ctx<'_>,
    id: &AccountId,
    feature: &Feature,
    value: Setting,
) -> Result<(), Halt> {
    let mut account = ctx.tx.account(id)?.ok_or_else(|| unknown_account(id))?;
    ledger::clear_capped(ctx, feature, id, &mut account)?;
    write_setting(&mut account.settings, feature, value);
    ctx.tx
        .put(keys::account(id), Record::Account(account.clone()));
    let holds = ctx.tx.holder(feature, id)?.is_some();
    match value {
        // R6: an enabled premium account holds a seat from the moment it is written.
        Setting::Enabled if account.kind == AccountType::Premium && !holds => {
            reserve(ctx, feature, id)
        }
        Setting::Enabled => Ok(()),
        // R7.
        Setting::Disabled => ledger::release(ctx, feature, id).map(|_| ()),
        // R8: keep the seat only if the account still resolves to enabled.
        Setting::Inherit => {
            if holds && resolve_in(&ctx.tx, id, &account, feature)?.effective != Setting::Enabled {
                ledger::release(ctx, feature, id)?;
            }
            Ok(())
        }
    }
}

/// R6: an administrator's enable takes a free seat or is refused as a whole.
pub(super) fn reserve(ctx: &mut Ctx<'_>, feature: &Feature, id: &AccountId) -> Result<(), Halt> {
    let limit = ctx.limit(feature)?;
    if !has_free_seat(ctx.tx.seats(feature)?.holders, limit) {
        return Err(ledger::seats_exhausted(ctx, feature)?.into());
    }
    ledger::claim(ctx, feature, id, Via::Admin)
}

/// `inherit` is stored as no setting at all.
fn write_setting(settings: &mut Settings, feature: &Feature, value: Setting) {
    if value == Setting::Inherit {
        settings.remove(feature);
    } else {
        settings.insert(feature.clone(), value);
    }
}

pub(super) fn unknown_domain(d: &crate::model::DomainName) -> Error {
    Error::new(ErrorCode::UnknownDomain, format!("no domain `{d}`"))
}
