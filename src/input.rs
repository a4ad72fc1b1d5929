//! Reading untrusted JSON into the model, with the failing field's path in
//! every error (`licence.features.activesync.seats: …`).
//!
//! Hand-written over `serde_json::Value` rather than derived: messages name
//! fields the way SPEC does, unknown fields are refused everywhere, paths are
//! built only when something fails, and the wasm stays small (derived
//! visitors per type and per deserializer cost hundreds of kilobytes).

use crate::vecmap::VecMap;
use std::fmt;

use serde_json::Value;

use crate::model::{
    AccountType, Capping, Feature, FeatureLicence, Licence, LicenceSignature, Overflow, Policy,
    Setting, Settings, Shrink, Via,
};
use crate::time::Timestamp;

/// A value that could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

pub type Read<T> = Result<T, Invalid>;

/// Where a value sits, as a chain of borrowed segments: rendered only on error.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Key(parent, key) => {
                let before = parent.to_string();
                if before.is_empty() {
                    f.write_str(key)
                } else {
                    write!(f, "{before}.{key}")
                }
            }
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// A short rendering of a value for messages.
fn shown(value: &Value) -> String {
    let text = match value {
        Value::Object(_) => return "an object".into(),
        Value::Array(_) => return "an array".into(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// One JSON value and the path that leads to it.
#[derive(Clone, Copy)]
pub struct At<'a> {
    pub value: &'a Value,
    pub path: Path<'a>,
}

impl<'a> At<'a> {
    /// The top of a document; `name` prefixes every path (empty for none).
    pub fn root(value: &'a Value, name: &'a str) -> Self {
        At {
            value,
            path: Path::Root(name),
        }
    }

    pub fn fail<T>(&self, message: impl Into<String>) -> Read<T> {
        Err(Invalid {
            path: self.path.to_string(),
            message: message.into(),
        })
    }

    fn expected<T>(&self, what: &str) -> Read<T> {
        self.fail(format!("expected {what}, found {}", shown(self.value)))
    }

    /// Checks that this is an object whose fields are all in `allowed`.
    pub fn object(&self, allowed: &[&str]) -> Read<()> {
        let Value::Object(map) = self.value else {
            return self.expected("an object");
        };
        match map.keys().find(|k| !allowed.contains(&k.as_str())) {
            None => Ok(()),
            Some(unknown) => {
                let list = allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.fail(format!("unknown field `{unknown}`, expected one of {list}"))
            }
        }
    }

    /// A field that may be absent; `null` counts as absent.
    pub fn field<'b>(&'b self, name: &'b str) -> Option<At<'b>> {
        let value = self.value.get(name).filter(|v| !v.is_null())?;
        Some(At {
            value,
            path: Path::Key(&self.path, name),
        })
    }

    /// A field that must be present, possibly as `null`.
    pub fn req<'b>(&'b self, name: &'b str) -> Read<At<'b>> {
        match self.value.get(name) {
            Some(value) => Ok(At {
                value,
                path: Path::Key(&self.path, name),
            }),
            None => self.fail(format!("missing field `{name}`")),
        }
    }

    /// The entries of an object, each with its key.
    pub fn entries<'b>(&'b self) -> Read<impl Iterator<Item = (&'b str, At<'b>)>> {
        let Value::Object(map) = self.value else {
            return self.expected("an object");
        };
        Ok(map.iter().map(move |(k, value)| {
            (
                k.as_str(),
                At {
                    value,
                    path: Path::Key(&self.path, k),
                },
            )
        }))
    }

    /// The items of an array.
    pub fn items<'b>(&'b self) -> Read<impl Iterator<Item = At<'b>>> {
        let Value::Array(items) = self.value else {
            return self.expected("an array");
        };
        Ok(items.iter().enumerate().map(move |(i, value)| At {
            value,
            path: Path::Index(&self.path, i),
        }))
    }

    pub fn str(&self) -> Read<&'a str> {
        self.value
            .as_str()
            .map_or_else(|| self.expected("a string"), Ok)
    }

    pub fn bool(&self) -> Read<bool> {
        self.value
            .as_bool()
            .map_or_else(|| self.expected("true or false"), Ok)
    }

    pub fn count(&self) -> Read<u64> {
        self.value
            .as_u64()
            .map_or_else(|| self.expected("a whole number ≥ 0"), Ok)
    }

    /// A count or `null` (unlimited).
    pub fn limit(&self) -> Read<Option<u64>> {
        match self.value {
            Value::Null => Ok(None),
            v => v.as_u64().map_or_else(
                || self.expected("a whole number ≥ 0 or null"),
                |n| Ok(Some(n)),
            ),
        }
    }

    /// A string checked by a name type's parser (`AccountId::parse`, …).
    pub fn name<T>(&self, parse: fn(&str) -> Result<T, String>) -> Read<T> {
        parse(self.str()?).or_else(|why| self.fail(why))
    }

    /// A map key checked by a name type's parser; the error points at the entry.
    pub fn key<T>(&self, key: &str, parse: fn(&str) -> Result<T, String>) -> Read<T> {
        parse(key).or_else(|why| self.fail(why))
    }

    pub fn time(&self) -> Read<Timestamp> {
        self.name(Timestamp::parse)
    }

    pub fn choice<T: Choice>(&self) -> Read<T> {
        let text = self.str()?;
        match T::CHOICES.iter().find(|(name, _)| *name == text) {
            Some((_, v)) => Ok(*v),
            None => {
                let list = T::CHOICES
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.fail(format!(
                    "expected one of {list}, found {}",
                    shown(self.value)
                ))
            }
        }
    }
}

/// Enumerations spelt as strings in the SPEC formats.
pub trait Choice: Copy + 'static {
    const CHOICES: &'static [(&'static str, Self)];
}

impl Choice for Setting {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("inherit", Setting::Inherit),
        ("enabled", Setting::Enabled),
        ("disabled", Setting::Disabled),
    ];
}
impl Choice for AccountType {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("premium", AccountType::Premium),
        ("basic", AccountType::Basic),
    ];
}
impl Choice for Via {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("connect", Via::Connect),
        ("admin", Via::Admin),
        ("waitlist", Via::Waitlist),
    ];
}
impl Choice for Capping {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("on-attempt", Capping::OnAttempt),
        ("at-cap", Capping::AtCap),
    ];
}
impl Choice for Overflow {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("disable", Overflow::Disable),
        ("waitlist", Overflow::Waitlist),
    ];
}
impl Choice for Shrink {
    const CHOICES: &'static [(&'static str, Self)] = &[
        ("grandfather", Shrink::Grandfather),
        ("evict-newest", Shrink::EvictNewest),
        ("evict-idle", Shrink::EvictIdle),
    ];
}

/// `{"mailboxes": N|null, "features": {"<f>": {"seats": N|null}}, "expires": time|null}`;
/// `mailboxes` and `expires` may be left out (`null`), `seats` must be written.
pub fn licence(at: At<'_>) -> Read<Licence> {
    at.object(&[
        "mailboxes",
        "features",
        "expires",
        "serial",
        "issued",
        "signature",
    ])?;
    let mailboxes = at.field("mailboxes").map(|m| m.count()).transpose()?;
    let expires = at.field("expires").map(|e| e.time()).transpose()?;
    let serial = at.field("serial").map(|s| s.count()).transpose()?;
    let issued = at.field("issued").map(|i| i.time()).transpose()?;
    let signature = at
        .field("signature")
        .map(|s| licence_signature(&s))
        .transpose()?;
    let list = at.req("features")?;
    let mut features = VecMap::new();
    for (name, spec) in list.entries()? {
        let feature = spec.key(name, Feature::parse)?;
        spec.object(&["seats"])?;
        features.insert(
            feature,
            FeatureLicence {
                seats: spec.req("seats")?.limit()?,
            },
        );
    }
    Ok(Licence {
        mailboxes,
        features,
        expires,
        serial,
        issued,
        signature,
    })
}

/// `{"key": 64 hex, "value": 128 hex}`, kept lower-case (checked against a key by `signature`).
fn licence_signature(at: &At<'_>) -> Read<LicenceSignature> {
    at.object(&["key", "value"])?;
    let hex = |name: &str, digits: usize, what: &str| -> Read<String> {
        let field = at.req(name)?;
        let text = field.str()?;
        if text.len() != digits || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return field.fail(format!("expected {digits} hex digits ({what})"));
        }
        Ok(text.to_ascii_lowercase())
    };
    Ok(LicenceSignature {
        key: hex("key", 64, "an Ed25519 public key")?,
        value: hex("value", 128, "an Ed25519 signature")?,
    })
}

/// Every field optional, with SPEC's defaults.
pub fn policy(at: At<'_>) -> Read<Policy> {
    at.object(&["capping", "overflow", "shrink", "restoreOnGrow"])?;
    let d = Policy::default();
    Ok(Policy {
        capping: at.field("capping").map_or(Ok(d.capping), |v| v.choice())?,
        overflow: at
            .field("overflow")
            .map_or(Ok(d.overflow), |v| v.choice())?,
        shrink: at.field("shrink").map_or(Ok(d.shrink), |v| v.choice())?,
        restore_on_grow: at
            .field("restoreOnGrow")
            .map_or(Ok(d.restore_on_grow), |v| v.bool())?,
    })
}

/// `{"<feature>": "inherit"|"enabled"|"disabled"}`.
pub fn settings(at: At<'_>) -> Read<Settings> {
    let mut settings = Settings::new();
    for (name, entry) in at.entries()? {
        settings.insert(entry.key(name, Feature::parse)?, entry.choice()?);
    }
    Ok(settings)
}

/// `{"<feature>": time}`: when each capped marker was written.
pub fn capped(at: At<'_>) -> Read<VecMap<Feature, Timestamp>> {
    let mut capped = VecMap::new();
    for (name, entry) in at.entries()? {
        capped.insert(entry.key(name, Feature::parse)?, entry.time()?);
    }
    Ok(capped)
}
