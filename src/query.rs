//! Reads for administrators: one account with its settings, effective values
//! and seats; one feature's ledger; the directory above the accounts; the
//! licence and its origin. They write nothing.

use serde::Serialize;

use crate::error::{Error, ErrorCode};
use crate::keys::{self, Record};
use crate::model::{
    AccountId, AccountType, ClassName, DomainName, Feature, Licence, Node, Policy, Setting,
    Settings, Via,
};
use crate::resolve::resolve_in;
use crate::rules::SeatView;
use crate::time::Timestamp;
use crate::tx::{Halt, Snapshot, Tx};
use crate::vecmap::VecMap;

/// An account as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct AccountView {
    pub id: AccountId,
    #[serde(rename = "type")]
    pub kind: AccountType,
    #[cfg_attr(test, ts(type = "string | null"))]
    pub class: Option<ClassName>,
    /// One entry per feature of the licence.
    #[cfg_attr(test, ts(as = "std::collections::BTreeMap<Feature, AccountFeature>"))]
    pub features: VecMap<Feature, AccountFeature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "camelCase")]
pub struct AccountFeature {
    /// The account's own setting (`inherit` when it has none).
    pub setting: Setting,
    /// When the cap wrote `disabled` here (R5), if it did.
    #[cfg_attr(test, ts(type = "string | null"))]
    pub capped_at: Option<Timestamp>,
    pub effective: Setting,
    #[cfg_attr(test, ts(type = "string"))]
    pub source: Node,
    /// The seat it holds, if any.
    pub seat: Option<SeatView>,
    pub waiting: bool,
}

/// One feature's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct FeatureSeats {
    pub feature: Feature,
    /// Seats of the licence; `null`: unlimited.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub limit: Option<u64>,
    /// Seats still free (`null`: unlimited; 0 when grandfathered holders exceed the limit).
    #[cfg_attr(test, ts(type = "number | null"))]
    pub free: Option<u64>,
    /// In claim order.
    pub holders: Vec<Holder>,
    #[cfg_attr(test, ts(type = "number"))]
    pub waiting: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    pub account: AccountId,
    pub since: Timestamp,
    pub via: Via,
    pub last_seen: Timestamp,
}

pub fn account_view(snap: &dyn Snapshot, id: &AccountId) -> Result<AccountView, Halt> {
    let tx = Tx::new(snap);
    let licence = tx.licence()?;
    let account = tx
        .account(id)?
        .ok_or_else(|| Error::new(ErrorCode::UnknownAccount, format!("no account `{id}`")))?;
    let mut features = VecMap::new();
    for feature in licence.features.keys() {
        let r = resolve_in(&tx, id, &account, feature)?;
        let seat = tx.holder(feature, id)?.map(|h| SeatView {
            since: h.since,
            via: h.via,
            last_seen: h.last_seen,
        });
        features.push_sorted(
            feature.clone(),
            AccountFeature {
                setting: account
                    .settings
                    .get(feature)
                    .copied()
                    .unwrap_or(Setting::Inherit),
                capped_at: account.capped.get(feature).copied(),
                effective: r.effective,
                source: r.source,
                seat,
                waiting: tx.waiter(feature, id)?.is_some(),
            },
        );
    }
    Ok(AccountView {
        id: id.clone(),
        kind: account.kind,
        class: account.class,
        features,
    })
}

pub fn feature_seats(snap: &dyn Snapshot, feature: &Feature) -> Result<FeatureSeats, Halt> {
    let limit = seat_limit(snap, feature)?;
    let tx = Tx::new(snap);
    let header = tx.seats(feature)?;
    let holders: Vec<Holder> = tx
        .holders(feature)?
        .into_iter()
        .map(|(account, h)| Holder {
            account,
            since: h.since,
            via: h.via,
            last_seen: h.last_seen,
        })
        .collect();
    let free = limit.map(|n| n.saturating_sub(holders.len() as u64));
    Ok(FeatureSeats {
        feature: feature.clone(),
        limit,
        free,
        holders,
        waiting: header.waiting,
    })
}

/// Waiting accounts in arrival order (R12).
pub fn waitlist(snap: &dyn Snapshot, feature: &Feature) -> Result<Vec<AccountId>, Halt> {
    seat_limit(snap, feature)?;
    Ok(Tx::new(snap)
        .waiters(feature)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// A feature's seats in the licence (`None`: unlimited), or `unknown-feature`.
/// Reads the licence only: the check before listing a feature's ranges.
pub fn seat_limit(snap: &dyn Snapshot, feature: &Feature) -> Result<Option<u64>, Halt> {
    Ok(Tx::new(snap).licence()?.seats(feature).ok_or_else(|| {
        Error::new(
            ErrorCode::UnknownFeature,
            format!("`{feature}` is not a feature of the licence"),
        )
    })?)
}

/// The directory above the accounts: the server's settings, each domain's and each class's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct DirectoryView {
    #[cfg_attr(test, ts(as = "std::collections::BTreeMap<Feature, Setting>"))]
    pub server: Settings,
    #[cfg_attr(test, ts(as = "std::collections::BTreeMap<DomainName, DomainView>"))]
    pub domains: VecMap<DomainName, DomainView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct DomainView {
    #[cfg_attr(test, ts(as = "std::collections::BTreeMap<Feature, Setting>"))]
    pub settings: Settings,
    #[cfg_attr(
        test,
        ts(
            as = "std::collections::BTreeMap<ClassName, std::collections::BTreeMap<Feature, Setting>>"
        )
    )]
    pub classes: VecMap<ClassName, Settings>,
}

pub fn directory(snap: &dyn Snapshot) -> Result<DirectoryView, Halt> {
    let tx = Tx::new(snap);
    let mut domains: VecMap<DomainName, DomainView> = VecMap::new();
    for (key, record) in tx.scan(keys::DOMAIN_PREFIX)? {
        let (Some(name), Record::Node(node)) = (key.strip_prefix(keys::DOMAIN_PREFIX), record)
        else {
            continue;
        };
        let Ok(domain) = DomainName::parse(name) else {
            continue;
        };
        domains.push_sorted(
            domain,
            DomainView {
                settings: node.settings,
                classes: VecMap::new(),
            },
        );
    }
    for (key, record) in tx.scan(keys::CLASS_PREFIX)? {
        let (Some((d, c)), Record::Node(node)) = (
            key.strip_prefix(keys::CLASS_PREFIX)
                .and_then(|r| r.split_once('/')),
            record,
        ) else {
            continue;
        };
        let (Ok(d), Ok(c)) = (DomainName::parse(d), ClassName::parse(c)) else {
            continue;
        };
        if let Some(domain) = domains.get_mut(&d) {
            domain.classes.push_sorted(c, node.settings);
        }
    }
    Ok(DirectoryView {
        server: tx.server()?.settings,
        domains,
    })
}

/// The licence in force, the policy, and who vouched for the licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "camelCase")]
pub struct LicenceView {
    pub licence: Licence,
    pub policy: Policy,
    /// The vendor key whose signature verified when it was uploaded; `null`: unsigned (dev mode, an import or a SPEC event).
    #[cfg_attr(test, ts(type = "string | null"))]
    pub signed_by: Option<String>,
    /// When it was last set through the engine; `null`: since the store was seeded.
    #[cfg_attr(test, ts(type = "string | null"))]
    pub since: Option<Timestamp>,
}

pub fn licence_view(snap: &dyn Snapshot) -> Result<LicenceView, Halt> {
    let tx = Tx::new(snap);
    let origin = match tx.get(keys::LICENCE_ORIGIN)? {
        Some(Record::Origin(origin)) => Some(origin),
        _ => None,
    };
    Ok(LicenceView {
        licence: tx.licence()?,
        policy: tx.policy()?,
        signed_by: origin.as_ref().and_then(|o| o.signed_by.clone()),
        since: origin.map(|o| o.at),
    })
}
