//! The vocabulary of SPEC "Model": names, settings, nodes, licence, policy.
//!
//! Every name type validates on construction, so the rules never see an
//! account id over 254 characters or a feature name that would break the
//! key layout (see `keys`).

use crate::vecmap::VecMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident, $check:path) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[cfg_attr(test, derive(ts_rs::TS), ts(export, export_to = "../js/src/generated/"))]
        #[serde(transparent)]
        pub struct $name(#[cfg_attr(test, ts(type = "string"))] String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, String> {
                $check(text).map($name)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

string_newtype!(
    /// `local@domain`, lower-cased, at most 254 characters in all.
    AccountId, check_account_id
);
string_newtype!(
    /// A domain name, lower-cased: letters, digits, `-` and `.`.
    DomainName, check_domain
);
string_newtype!(
    /// An account class of a domain; case-sensitive, no `/`.
    ClassName, check_class
);
string_newtype!(
    /// A licensed add-on such as `activesync`; case-sensitive: letters, digits, `.`, `_`, `-`.
    Feature, check_feature
);

impl AccountId {
    /// An id this crate wrote itself (a key suffix, a generated id whose
    /// pattern was checked once): skips the checks that `parse` repeats.
    pub(crate) fn trusted(id: String) -> Self {
        AccountId(id)
    }

    pub fn domain(&self) -> DomainName {
        // The check guarantees exactly one '@' followed by a valid domain.
        DomainName(self.0.rsplit('@').next().unwrap_or_default().to_string())
    }
}

fn check_account_id(text: &str) -> Result<String, String> {
    let id = text.to_lowercase();
    if id.chars().count() > 254 {
        return Err(format!(
            "account id is longer than 254 characters ({} chars)",
            id.chars().count()
        ));
    }
    let Some((local, domain)) = id.split_once('@') else {
        return Err(format!(
            "account id `{text}` is not of the form local@domain"
        ));
    };
    if local.is_empty()
        || domain.contains('@')
        || local.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "account id `{text}` is not of the form local@domain"
        ));
    }
    check_domain(domain).map_err(|why| format!("account id `{text}`: {why}"))?;
    Ok(id)
}

fn check_domain(text: &str) -> Result<String, String> {
    let name = text.to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-')
        });
    if ok {
        Ok(name)
    } else {
        Err(format!("`{text}` is not a domain name"))
    }
}

fn check_class(text: &str) -> Result<String, String> {
    if text.is_empty()
        || text.chars().count() > 64
        || text.chars().any(|c| c == '/' || c.is_control())
    {
        return Err(format!(
            "`{text}` is not a class name (1–64 characters, no `/`)"
        ));
    }
    Ok(text.to_string())
}

fn check_feature(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!(
            "`{text}` is not a feature name (1–64 of letters, digits, `.`, `_`, `-`)"
        ))
    }
}

/// A feature's setting at one node (R1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    Inherit,
    Enabled,
    Disabled,
}

impl Setting {
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Inherit => "inherit",
            Setting::Enabled => "enabled",
            Setting::Disabled => "disabled",
        }
    }
}

/// Settings of one node, feature → value. Absent means `inherit`.
pub type Settings = VecMap<Feature, Setting>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "lowercase")]
pub enum AccountType {
    #[default]
    Premium,
    Basic,
}

/// How a holder got its seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    Connect,
    Admin,
    Waitlist,
}

/// Where a setting lives: `server`, `domain:<name>`, `class:<domain>/<name>`, `account:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    Server,
    Domain(DomainName),
    Class(DomainName, ClassName),
    Account(AccountId),
}

impl Node {
    pub fn parse(text: &str) -> Result<Node, String> {
        let bad = |why: String| format!("node `{text}`: {why}");
        if text == "server" {
            return Ok(Node::Server);
        }
        if let Some(name) = text.strip_prefix("domain:") {
            return DomainName::parse(name).map(Node::Domain).map_err(bad);
        }
        if let Some(rest) = text.strip_prefix("class:") {
            let (domain, class) = rest
                .split_once('/')
                .ok_or_else(|| bad("expected class:<domain>/<class>".into()))?;
            return Ok(Node::Class(
                DomainName::parse(domain).map_err(bad)?,
                ClassName::parse(class).map_err(bad)?,
            ));
        }
        if let Some(id) = text.strip_prefix("account:") {
            return AccountId::parse(id).map(Node::Account).map_err(bad);
        }
        Err(format!(
            "node `{text}` is not server, domain:<name>, class:<domain>/<name> or account:<id>"
        ))
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Server => f.write_str("server"),
            Node::Domain(d) => write!(f, "domain:{d}"),
            Node::Class(d, c) => write!(f, "class:{d}/{c}"),
            Node::Account(a) => write!(f, "account:{a}"),
        }
    }
}

impl Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Node::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `{"seats": N|null}`; `null` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(deny_unknown_fields)]
pub struct FeatureLicence {
    #[serde(deserialize_with = "required_nullable")]
    #[cfg_attr(test, ts(type = "number | null"))]
    pub seats: Option<u64>,
}

/// The licence: mailbox cap, seats per feature, expiry. `null` is unlimited / never.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    #[serde(default)]
    #[cfg_attr(test, ts(optional, type = "number | null"))]
    pub mailboxes: Option<u64>,
    #[cfg_attr(test, ts(as = "std::collections::BTreeMap<Feature, FeatureLicence>"))]
    pub features: VecMap<Feature, FeatureLicence>,
    #[serde(default)]
    #[cfg_attr(test, ts(optional = nullable))]
    pub expires: Option<Timestamp>,
    /// The vendor's issue number: a later licence of a customer has a higher one (signed; see
    /// `signature`). Absent in licence files made before serials existed: counts as 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional, type = "number"))]
    pub serial: Option<u64>,
    /// When the vendor issued it (signed). Absent in older files: counts as before any other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub issued: Option<Timestamp>,
    /// The vendor's Ed25519 signature over everything else (`signature`); kept with the licence
    /// so an export carries it and a trusting server can verify the file again on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub signature: Option<LicenceSignature>,
}

/// `{"key": <public key, 64 hex>, "value": <signature, 128 hex>}`, lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(deny_unknown_fields)]
pub struct LicenceSignature {
    pub key: String,
    pub value: String,
}

impl Licence {
    pub fn seats(&self, feature: &Feature) -> Option<Option<u64>> {
        self.features.get(feature).map(|f| f.seats)
    }
}

/// `seats` must be written, even as `null`: a missing limit is not taken to mean unlimited.
fn required_nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<u64>::deserialize(d)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "kebab-case")]
pub enum Capping {
    #[default]
    OnAttempt,
    AtCap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "kebab-case")]
pub enum Overflow {
    #[default]
    Disable,
    Waitlist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(rename_all = "kebab-case")]
pub enum Shrink {
    #[default]
    Grandfather,
    EvictNewest,
    EvictIdle,
}

/// What happens at and past the cap (R5, R10, R12). Every field is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../js/src/generated/")
)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Policy {
    #[cfg_attr(test, ts(as = "Option<Capping>", optional))]
    pub capping: Capping,
    #[cfg_attr(test, ts(as = "Option<Overflow>", optional))]
    pub overflow: Overflow,
    #[cfg_attr(test, ts(as = "Option<Shrink>", optional))]
    pub shrink: Shrink,
    #[cfg_attr(test, ts(as = "Option<bool>", optional))]
    pub restore_on_grow: bool,
}
