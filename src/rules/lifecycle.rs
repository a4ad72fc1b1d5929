//! Accounts coming, going and changing type: R9 (and R6 for `create`).

use super::admin::{reserve, unknown_domain};
use super::ledger;
use super::{unknown_account, Ctx};
use crate::error::{Error, ErrorCode};
use crate::keys::{self, AccountRec, CountRec, Record};
use crate::model::{AccountId, AccountType, ClassName, Setting, Settings};
use crate::tx::Halt;

/// Creates an account. Error order (SPEC "Create"): already-exists →
/// unknown-domain → unknown-class → mailboxes-exhausted → seats-exhausted.
pub(super) fn create(
    ctx: &mut Ctx<'_>,
    id: &AccountId,
    kind: AccountType,
    class: Option<&ClassName>,
    settings: &Settings,
) -> Result<(), Halt> {
    if ctx.tx.account(id)?.is_some() {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("account `{id}` already exists"),
        )
        .into());
    }
    let domain = id.domain();
    ctx.tx
        .domain(&domain)?
        .ok_or_else(|| unknown_domain(&domain))?;
    if let Some(c) = class {
        ctx.tx.class(&domain, c)?.ok_or_else(|| {
            Error::new(
                ErrorCode::UnknownClass,
                format!("domain `{domain}` has no class `{c}`"),
            )
        })?;
    }
    let count = ctx.tx.account_count()?;
    if ctx.licence.mailboxes.is_some_and(|max| count >= max) {
        return Err(Error::new(
            ErrorCode::MailboxesExhausted,
            format!(
                "the licence allows {} mailboxes and all are in use",
                ctx.licence.mailboxes.unwrap_or(0)
            ),
        )
        .into());
    }
    let mut settings = settings.clone();
    settings.retain(|_, v| *v != Setting::Inherit);
    let account = AccountRec {
        kind,
        class: class.cloned(),
        settings,
        capped: Default::default(),
    };
    ctx.tx
        .put(keys::account(id), Record::Account(account.clone()));
    ctx.tx.put(
        keys::ACCOUNTS.to_string(),
        Record::Count(CountRec { count: count + 1 }),
    );
    if kind == AccountType::Premium {
        // An `enabled` setting is an R6 write: it needs a seat, or the whole create is refused.
        for (feature, _) in account
            .settings
            .iter()
            .filter(|(_, v)| **v == Setting::Enabled)
        {
            if ctx.licence.features.contains_key(feature) {
                reserve(ctx, feature, id)?;
            }
        }
    }
    Ok(())
}

/// R9: deleting an account releases its seats and its places on waitlists.
pub(super) fn delete(ctx: &mut Ctx<'_>, id: &AccountId) -> Result<(), Halt> {
    let account = ctx.tx.account(id)?.ok_or_else(|| unknown_account(id))?;
    let features: Vec<_> = ctx.licence.features.keys().cloned().collect();
    for feature in &features {
        ledger::release(ctx, feature, id)?;
        ledger::dequeue(ctx, feature, id)?;
    }
    for feature in account.capped.keys() {
        ctx.tx.del(keys::capped(feature, id));
    }
    ctx.tx.del(keys::account(id));
    let count = ctx.tx.account_count()?;
    ctx.tx.put(
        keys::ACCOUNTS.to_string(),
        Record::Count(CountRec {
            count: count.saturating_sub(1),
        }),
    );
    Ok(())
}

/// R9: an account made `basic` gives up its seats.
pub(super) fn set_type(ctx: &mut Ctx<'_>, id: &AccountId, kind: AccountType) -> Result<(), Halt> {
    let mut account = ctx.tx.account(id)?.ok_or_else(|| unknown_account(id))?;
    account.kind = kind;
    ctx.tx.put(keys::account(id), Record::Account(account));
    if kind == AccountType::Basic {
        let features: Vec<_> = ctx.licence.features.keys().cloned().collect();
        for feature in &features {
            ledger::release(ctx, feature, id)?;
        }
    }
    Ok(())
}
