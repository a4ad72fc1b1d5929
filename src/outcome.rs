//! The Outcome JSON of SPEC "Outcome": one entry per event and the final state.

use crate::vecmap::VecMap;

use serde::Serialize;

use crate::error::Error;
use crate::keys::NodeRec;
use crate::model::{AccountId, ClassName, DomainName, Feature, Node, Setting};
use crate::resolve::{resolve, Parents};
use crate::rules::Decision;
use crate::tx::{Halt, Snapshot, Tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct Outcome {
    pub events: Vec<EventResult>,
    pub state: StateView,
}

/// A connect's decision, or whether another op was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(untagged)]
pub enum EventResult {
    Decision(Decision),
    Op(OpResult),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct OpResult {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<Error>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct StateView {
    #[cfg_attr(test, ts(as = "std::collections::BTreeMap<Feature, SeatsView>"))]
    pub seats: VecMap<Feature, SeatsView>,
    #[cfg_attr(
        test,
        ts(
            as = "std::collections::BTreeMap<AccountId, std::collections::BTreeMap<Feature, AccountFeatureView>>"
        )
    )]
    pub accounts: VecMap<AccountId, VecMap<Feature, AccountFeatureView>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct SeatsView {
    /// `null`: unlimited.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub limit: Option<u64>,
    /// In claim order.
    pub holders: Vec<AccountId>,
    /// In arrival order.
    pub waitlist: Vec<AccountId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct AccountFeatureView {
    /// The account's own setting (`inherit` when it has none).
    pub setting: Setting,
    pub capped: bool,
    pub effective: Setting,
    #[cfg_attr(test, ts(type = "string"))]
    pub source: Node,
    pub seat: bool,
}

/// Reads the whole state as the Outcome's `state`.
pub fn state_view(snap: &dyn Snapshot) -> Result<StateView, Halt> {
    let tx = Tx::new(snap);
    let licence = tx.licence()?;
    let mut seats = VecMap::new();
    for (feature, lic) in &licence.features {
        let holders = tx.holders(feature)?.into_iter().map(|(id, _)| id).collect();
        let waitlist = tx.waiters(feature)?.into_iter().map(|(id, _)| id).collect();
        seats.push_sorted(
            feature.clone(),
            SeatsView {
                limit: lic.seats,
                holders,
                waitlist,
            },
        );
    }
    let server = tx.server()?;
    // Few domains and classes, many accounts: look each node up once.
    let mut domains: VecMap<DomainName, Option<NodeRec>> = VecMap::new();
    let mut classes: VecMap<(DomainName, ClassName), Option<NodeRec>> = VecMap::new();
    let mut accounts = VecMap::new();
    for (id, account) in tx.accounts()? {
        let d = id.domain();
        if !domains.contains_key(&d) {
            domains.insert(d.clone(), tx.domain(&d)?);
        }
        let class_key = account.class.as_ref().map(|c| (d.clone(), c.clone()));
        if let Some(key @ (_, c)) = &class_key {
            if !classes.contains_key(key) {
                classes.insert(key.clone(), tx.class(&d, c)?);
            }
        }
        let class = class_key.as_ref().and_then(|key @ (_, c)| {
            classes
                .get(key)
                .and_then(Option::as_ref)
                .map(|rec| (Node::Class(d.clone(), c.clone()), rec))
        });
        let parents = Parents {
            class,
            domain: (
                Node::Domain(d.clone()),
                domains.get(&d).and_then(Option::as_ref),
            ),
            server: &server,
        };
        let mut features = VecMap::new();
        for feature in licence.features.keys() {
            let r = resolve(&id, &account, &parents, feature);
            features.push_sorted(
                feature.clone(),
                AccountFeatureView {
                    setting: account
                        .settings
                        .get(feature)
                        .copied()
                        .unwrap_or(Setting::Inherit),
                    capped: account.capped.contains_key(feature),
                    effective: r.effective,
                    source: r.source,
                    seat: tx.holder(feature, &id)?.is_some(),
                },
            );
        }
        accounts.push_sorted(id, features);
    }
    Ok(StateView { seats, accounts })
}
