//! R1: the effective value of (account, feature) and the node that decided it.

use serde::Serialize;

use crate::keys::{AccountRec, NodeRec};
use crate::model::{AccountId, Feature, Node, Setting};
use crate::time::Timestamp;
use crate::tx::{Halt, Tx};

/// One node on the way from the account up to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
pub struct ChainLink {
    #[cfg_attr(test, ts(type = "string"))]
    pub node: Node,
    pub setting: Setting,
    /// When the cap wrote this setting (account nodes only, R5).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub capped: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// `Enabled` or `Disabled`, never `Inherit`.
    pub effective: Setting,
    pub source: Node,
    /// The deciding setting carries the capped marker.
    pub capped: bool,
    /// account → class (if any) → domain → server; stops at the deciding node.
    pub chain: Vec<ChainLink>,
}

/// The nodes above an account, looked up once by the caller.
pub struct Parents<'a> {
    pub class: Option<(Node, &'a NodeRec)>,
    pub domain: (Node, Option<&'a NodeRec>),
    pub server: &'a NodeRec,
}

/// Walks account → class → domain → server and stops at the first setting
/// that is not `inherit`; the server's absent setting counts as `disabled`.
pub fn resolve(
    id: &AccountId,
    account: &AccountRec,
    parents: &Parents<'_>,
    feature: &Feature,
) -> Resolution {
    let mut chain = Vec::with_capacity(4);
    let own = account
        .settings
        .get(feature)
        .copied()
        .unwrap_or(Setting::Inherit);
    let marker = account.capped.get(feature).copied();
    chain.push(ChainLink {
        node: Node::Account(id.clone()),
        setting: own,
        capped: marker,
    });
    if own != Setting::Inherit {
        return Resolution {
            effective: own,
            source: Node::Account(id.clone()),
            capped: marker.is_some(),
            chain,
        };
    }
    let above = parents
        .class
        .iter()
        .map(|(node, rec)| (node, Some(*rec)))
        .chain(std::iter::once((&parents.domain.0, parents.domain.1)));
    for (node, rec) in above {
        let setting = rec
            .and_then(|r| r.settings.get(feature))
            .copied()
            .unwrap_or(Setting::Inherit);
        chain.push(ChainLink {
            node: node.clone(),
            setting,
            capped: None,
        });
        if setting != Setting::Inherit {
            return Resolution {
                effective: setting,
                source: node.clone(),
                capped: false,
                chain,
            };
        }
    }
    let setting = parents
        .server
        .settings
        .get(feature)
        .copied()
        .unwrap_or(Setting::Disabled);
    let effective = if setting == Setting::Inherit {
        Setting::Disabled
    } else {
        setting
    };
    chain.push(ChainLink {
        node: Node::Server,
        setting: effective,
        capped: None,
    });
    Resolution {
        effective,
        source: Node::Server,
        capped: false,
        chain,
    }
}

/// [`resolve`] with the parents read through a transaction.
pub fn resolve_in(
    tx: &Tx<'_>,
    id: &AccountId,
    account: &AccountRec,
    feature: &Feature,
) -> Result<Resolution, Halt> {
    let domain_name = id.domain();
    let domain = tx.domain(&domain_name)?;
    let class = match &account.class {
        Some(c) => tx
            .class(&domain_name, c)?
            .map(|rec| (Node::Class(domain_name.clone(), c.clone()), rec)),
        None => None,
    };
    let server = tx.server()?;
    let parents = Parents {
        class: class.as_ref().map(|(node, rec)| (node.clone(), rec)),
        domain: (Node::Domain(domain_name), domain.as_ref()),
        server: &server,
    };
    Ok(resolve(id, account, &parents, feature))
}
