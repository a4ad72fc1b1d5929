//! Live state out as a SPEC scenario with recorded state, so the what-if
//! simulator starts exactly where production is ("Export followed by
//! simulate must reproduce the live state exactly").

use crate::vecmap::VecMap;

use crate::keys::{self, Record};
use crate::model::Feature;
use crate::scenario::{
    AccountFile, ClassFile, DirectoryFile, DomainFile, RecordedHolder, RecordedSeats, ScenarioFile,
};
use crate::tx::{Halt, Snapshot, Tx};

/// The state as a scenario file without events.
pub fn export_scenario(snap: &dyn Snapshot) -> Result<ScenarioFile, Halt> {
    let tx = Tx::new(snap);
    let licence = tx.licence()?;
    let mut domains: VecMap<String, DomainFile> = VecMap::new();
    for (key, record) in tx.scan(keys::DOMAIN_PREFIX)? {
        let (Some(name), Record::Node(node)) = (key.strip_prefix(keys::DOMAIN_PREFIX), record)
        else {
            continue;
        };
        let d = crate::model::DomainName::parse(name).map_err(|_| corrupt(&key))?;
        let mut classes = VecMap::new();
        for (class_key, class_record) in tx.scan(&keys::class_prefix(&d))? {
            let prefix = keys::class_prefix(&d);
            let (Some(class), Record::Node(class_node)) =
                (class_key.strip_prefix(prefix.as_str()), class_record)
            else {
                continue;
            };
            let class = crate::model::ClassName::parse(class).map_err(|_| corrupt(&class_key))?;
            classes.insert(
                class,
                ClassFile {
                    settings: class_node.settings,
                },
            );
        }
        domains.insert(
            name.to_string(),
            DomainFile {
                settings: node.settings,
                classes,
            },
        );
    }
    let accounts = tx
        .accounts()?
        .into_iter()
        .map(|(id, a)| AccountFile {
            id,
            kind: a.kind,
            class: a.class,
            settings: a.settings,
            capped: a.capped,
        })
        .collect();
    let mut seats: VecMap<Feature, RecordedSeats> = VecMap::new();
    for feature in licence.features.keys() {
        let holders: Vec<RecordedHolder> = tx
            .holders(feature)?
            .into_iter()
            .map(|(account, h)| RecordedHolder {
                account,
                since: h.since,
                via: h.via,
                last_seen: h.last_seen,
            })
            .collect();
        let waitlist: Vec<_> = tx.waiters(feature)?.into_iter().map(|(id, _)| id).collect();
        if !holders.is_empty() || !waitlist.is_empty() {
            seats.insert(feature.clone(), RecordedSeats { holders, waitlist });
        }
    }
    Ok(ScenarioFile {
        policy: tx.policy()?,
        licence,
        directory: DirectoryFile {
            server: tx.server()?.settings,
            domains,
            accounts,
            generate: Vec::new(),
        },
        seats,
        events: Vec::new(),
    })
}

fn corrupt(key: &str) -> Halt {
    Halt::Refused(crate::error::Error::new(
        crate::error::ErrorCode::StoreError,
        format!("`{key}` is not a valid key"),
    ))
}
