//! A consistency check of stored state: what SPEC promises holds after every
//! request (R4–R14), read back from the keys. The property tests run it after
//! every event; hosts run it after faults, migrations or a hand-edited store.

use serde::Serialize;

use crate::keys::{self, Record};
use crate::model::{AccountType, Setting};
use crate::resolve::resolve_in;
use crate::tx::{Halt, Snapshot, Tx};

/// What the audit found. `problems` empty means the state is consistent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    /// Each broken promise in one sentence, naming the keys involved.
    pub problems: Vec<String>,
    /// Features whose holders exceed the seats: allowed only as R10 grandfathering.
    pub over_limit: Vec<OverLimit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct OverLimit {
    pub feature: crate::model::Feature,
    #[cfg_attr(test, ts(type = "number"))]
    pub holders: u64,
    #[cfg_attr(test, ts(type = "number"))]
    pub seats: u64,
}

/// Keys the audit reads whole; a host loads these ranges up front.
pub const RANGES: [&str; 7] = [
    "domain/", "class/", "account/", "capped/", "holder/", "wait/", "seats/",
];

/// Checks the ledger against the directory: header counts, one seat per
/// account, holders premium and enabled, waiters not holding, capped markers
/// disabled and indexed, no ledger for an unlicensed feature.
pub fn audit(snap: &dyn Snapshot) -> Result<Audit, Halt> {
    let tx = Tx::new(snap);
    let licence = tx.licence()?;
    let accounts = tx.accounts()?;
    let mut problems = Vec::new();
    let mut over_limit = Vec::new();
    let count = tx.account_count()?;
    if count != accounts.len() as u64 {
        problems.push(format!(
            "`accounts` counts {count} mailboxes but {} accounts are stored",
            accounts.len()
        ));
    }
    for (feature, lic) in &licence.features {
        let holders = tx.holders(feature)?;
        let waiters = tx.waiters(feature)?;
        let header = tx.seats(feature)?;
        if header.holders != holders.len() as u64 {
            problems.push(format!(
                "`seats/{feature}` counts {} holders but {} are stored",
                header.holders,
                holders.len()
            ));
        }
        if header.waiting != waiters.len() as u64 {
            problems.push(format!(
                "`seats/{feature}` counts {} waiting but {} are stored",
                header.waiting,
                waiters.len()
            ));
        }
        if let Some(seats) = lic.seats.filter(|&n| holders.len() as u64 > n) {
            over_limit.push(OverLimit {
                feature: feature.clone(),
                holders: holders.len() as u64,
                seats,
            });
        }
        for (id, _) in &holders {
            match tx.account(id)? {
                None => problems.push(format!("holder `{id}` of `{feature}` is not an account")),
                Some(account) if account.kind != AccountType::Premium => {
                    problems.push(format!("holder `{id}` of `{feature}` is basic"));
                }
                Some(account) => {
                    if resolve_in(&tx, id, &account, feature)?.effective != Setting::Enabled {
                        problems.push(format!(
                            "holder `{id}` of `{feature}` does not resolve to enabled"
                        ));
                    }
                }
            }
            if tx.waiter(feature, id)?.is_some() {
                problems.push(format!("`{id}` both holds and waits for `{feature}`"));
            }
        }
        for (id, _) in &waiters {
            if tx.account(id)?.is_none() {
                problems.push(format!("waiter `{id}` of `{feature}` is not an account"));
            }
        }
    }
    let mut markers = 0usize;
    for (id, account) in &accounts {
        for feature in account.capped.keys() {
            markers += 1;
            if account.settings.get(feature) != Some(&Setting::Disabled) {
                problems.push(format!("`{id}` carries the capped marker of `{feature}` but its setting is not disabled"));
            }
            if !matches!(tx.get(&keys::capped(feature, id))?, Some(Record::Capped(_))) {
                problems.push(format!(
                    "the capped marker of `{feature}` on `{id}` is not indexed"
                ));
            }
        }
    }
    let indexed = tx.scan("capped/")?.len();
    if indexed != markers {
        problems.push(format!(
            "the capped index holds {indexed} entries for {markers} markers"
        ));
    }
    for prefix in ["holder/", "wait/", "seats/"] {
        for (key, _) in tx.scan(prefix)? {
            let feature = key
                .get(prefix.len()..)
                .unwrap_or_default()
                .split('/')
                .next()
                .unwrap_or_default();
            if !licence.features.keys().any(|f| f.as_str() == feature) {
                problems.push(format!(
                    "`{key}` belongs to `{feature}`, which the licence does not list"
                ));
            }
        }
    }
    Ok(Audit {
        problems,
        over_limit,
    })
}
