//! The Outcome JSON of SPEC "Outcome": one entry per event and the final state.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::error::Error;
use crate::keys::NodeRec;
use crate::model::{AccountId, ClassName, DomainName, Feature, Node, Setting};
use crate::resolve::{resolve, Parents};
use crate::rules::Decision;
use crate::tx::{Halt, Snapshot, Tx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
pub struct Outcome {
    pub events: Vec<EventResult>,
    pub state: StateView,
}

/// A connect's decision, or whether another op was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
#[serde(untagged)]
pub enum EventResult {
    Decision(Decision),
    Op(OpResult),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
pub struct OpResult {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub error: Option<Error>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
pub struct StateView {
    pub seats: BTreeMap<Feature, SeatsView>,
    pub accounts: BTreeMap<AccountId, BTreeMap<Feature, AccountFeatureView>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
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
#[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
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
    let mut seats = BTreeMap::new();
    let mut holding: HashMap<&Feature, HashSet<AccountId>> = HashMap::new();
    for (feature, lic) in &licence.features {
        let holders: Vec<AccountId> = tx.holders(feature)?.into_iter().map(|(id, _)| id).collect();
        let waitlist = tx.waiters(feature)?.into_iter().map(|(id, _)| id).collect();
        holding.insert(feature, holders.iter().cloned().collect());
        seats.insert(feature.clone(), SeatsView { limit: lic.seats, holders, waitlist });
    }
    let server = tx.server()?;
    let mut domains: HashMap<DomainName, Option<NodeRec>> = HashMap::new();
    let mut classes: HashMap<(DomainName, ClassName), Option<NodeRec>> = HashMap::new();
    let mut accounts = BTreeMap::new();
    for (id, account) in tx.accounts()? {
        let d = id.domain();
        if let Entry::Vacant(slot) = domains.entry(d.clone()) {
            slot.insert(tx.domain(&d)?);
        }
        if let Some(c) = &account.class {
            if let Entry::Vacant(slot) = classes.entry((d.clone(), c.clone())) {
                slot.insert(tx.class(&d, c)?);
            }
        }
        let class = account
            .class
            .as_ref()
            .and_then(|c| classes.get(&(d.clone(), c.clone())).and_then(|r| r.as_ref()).map(|r| (Node::Class(d.clone(), c.clone()), r)));
        let parents = Parents { class, domain: (Node::Domain(d.clone()), domains.get(&d).and_then(|r| r.as_ref())), server: &server };
        let mut features = BTreeMap::new();
        for feature in licence.features.keys() {
            let r = resolve(&id, &account, &parents, feature);
            features.insert(
                feature.clone(),
                AccountFeatureView {
                    setting: account.settings.get(feature).copied().unwrap_or(Setting::Inherit),
                    capped: account.capped.contains_key(feature),
                    effective: r.effective,
                    source: r.source,
                    seat: holding.get(feature).is_some_and(|h| h.contains(&id)),
                },
            );
        }
        accounts.insert(id, features);
    }
    Ok(StateView { seats, accounts })
}
