//! Growing the directory: new domains and account classes. Not SPEC events
//! (a scenario's directory is given whole), but a live server needs them.
//! Neither moves a seat: a new domain or class has no accounts yet.

use super::admin::unknown_domain;
use super::Ctx;
use crate::error::{Error, ErrorCode};
use crate::keys::{self, NodeRec, Record};
use crate::model::{ClassName, DomainName, Setting, Settings};
use crate::tx::Halt;

pub(super) fn create_domain(
    ctx: &mut Ctx<'_>,
    domain: &DomainName,
    settings: &Settings,
) -> Result<(), Halt> {
    if ctx.tx.domain(domain)?.is_some() {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("domain `{domain}` already exists"),
        )
        .into());
    }
    ctx.tx.put(
        keys::domain(domain),
        Record::Node(NodeRec {
            settings: explicit(settings),
        }),
    );
    Ok(())
}

pub(super) fn create_class(
    ctx: &mut Ctx<'_>,
    domain: &DomainName,
    class: &ClassName,
    settings: &Settings,
) -> Result<(), Halt> {
    ctx.tx
        .domain(domain)?
        .ok_or_else(|| unknown_domain(domain))?;
    if ctx.tx.class(domain, class)?.is_some() {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("domain `{domain}` already has class `{class}`"),
        )
        .into());
    }
    ctx.tx.put(
        keys::class(domain, class),
        Record::Node(NodeRec {
            settings: explicit(settings),
        }),
    );
    Ok(())
}

/// `inherit` is the absence of a setting: it is not stored (as `set` does).
fn explicit(settings: &Settings) -> Settings {
    let mut out = Settings::new();
    for (feature, value) in settings.iter().filter(|(_, v)| **v != Setting::Inherit) {
        out.insert(feature.clone(), *value);
    }
    out
}
