//! Signed licence files: the SPEC licence JSON plus an Ed25519 signature by
//! the vendor's key, so a customer can't raise their own seat count.
//!
//! ```json
//! {"mailboxes": 500, "features": {"activesync": {"seats": 200}}, "expires": null,
//!  "signature": {"key": "<public key, 64 hex>", "value": "<signature, 128 hex>"}}
//! ```
//!
//! The signed message is [`MESSAGE_PREFIX`] followed by the licence's
//! canonical JSON (fixed field order, features sorted, times normalised; see
//! [`canonical_text`]), so re-indenting the file or reordering its fields
//! keeps the signature valid while any change of meaning breaks it. The
//! signature names its key, so a server may trust several vendor keys (a
//! rotation) and say which one signed.

use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;

use crate::error::Error;
use crate::input::{self, At};
use crate::model::Licence;
use crate::time::Timestamp;

/// Domain separation: a seatcap licence signature can't be replayed as a signature over anything else.
pub const MESSAGE_PREFIX: &str = "seatcap licence v1\n";

/// A licence read from a file, and the trusted key that signed it (`None`: unsigned, accepted in dev mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceFile {
    pub licence: Licence,
    pub signed_by: Option<String>,
}

/// The canonical JSON of a licence: what is signed, after [`MESSAGE_PREFIX`]. The signature
/// itself is left out; `serial` and `issued` are signed when present, and absent fields are not
/// written, so files signed before they existed still verify.
pub fn canonical_text(licence: &Licence) -> String {
    let unsigned = Licence {
        signature: None,
        ..licence.clone()
    };
    // Licence holds only integers, names and times: serialising cannot fail.
    serde_json::to_string(&unsigned).unwrap_or_default()
}

/// The exact bytes a vendor signs for `licence`.
pub fn message(licence: &Licence) -> String {
    let mut text = String::from(MESSAGE_PREFIX);
    text.push_str(&canonical_text(licence));
    text
}

/// Reads a licence file (the SPEC licence, optionally `serial`, `issued` and `signature`) without checking its signature.
pub fn read_unverified(text: &str) -> Result<Licence, Error> {
    let value = crate::split::value(text)
        .map_err(|e| Error::invalid(format!("licence file: not JSON ({e})")))?;
    if !value.is_object() {
        return Err(Error::invalid("licence file: expected a JSON object"));
    }
    input::licence(At::root(&value, "licence")).map_err(|e| Error::invalid(e.to_string()))
}

/// The vendor keys a server accepts licences from; `allow_unsigned` is its explicit dev mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    keys: Vec<[u8; 32]>,
    allow_unsigned: bool,
}

impl Trust {
    /// `keys`: Ed25519 public keys, 64 hex each.
    pub fn new(keys: &[String], allow_unsigned: bool) -> Result<Trust, Error> {
        let mut parsed = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let bytes = hex_bytes(&key.to_ascii_lowercase()).ok_or_else(|| {
                Error::invalid(format!("trusted key [{i}]: expected 64 hex digits"))
            })?;
            parsed.push(bytes);
        }
        Ok(Trust {
            keys: parsed,
            allow_unsigned,
        })
    }

    /// The one check every licence entering a trusting store passes: signed by a trusted key
    /// (`verify_strict`), or unsigned in dev mode. A signature that does not verify is refused
    /// always. Answers the key that signed it.
    pub fn admit(&self, licence: &Licence) -> Result<Option<String>, Error> {
        let Some(signature) = &licence.signature else {
            if self.allow_unsigned {
                return Ok(None);
            }
            return Err(Error::invalid(
                "licence file: unsigned; only a server in dev mode accepts an unsigned licence",
            ));
        };
        let key_bytes: [u8; 32] = hex_bytes(&signature.key).ok_or_else(|| {
            Error::invalid("signature.key: expected 64 hex digits (an Ed25519 public key)")
        })?;
        let sig_bytes: [u8; 64] = hex_bytes(&signature.value).ok_or_else(|| {
            Error::invalid("signature.value: expected 128 hex digits (an Ed25519 signature)")
        })?;
        if !self.keys.contains(&key_bytes) {
            return Err(Error::invalid(format!(
                "licence file: signed by key {}, which this server does not trust",
                signature.key
            )));
        }
        let key = VerifyingKey::from_bytes(&key_bytes)
            .map_err(|_| Error::invalid("signature.key: not a valid Ed25519 public key"))?;
        // `verify_strict` refuses weak keys and malleable signatures.
        key.verify_strict(message(licence).as_bytes(), &Signature::from_bytes(&sig_bytes))
            .map_err(|_| Error::invalid("licence file: the signature does not verify; the licence was changed after it was signed"))?;
        Ok(Some(signature.key.clone()))
    }
}

/// Reads a licence file and checks it was signed by one of `trusted` (public keys, 64 hex each).
/// An unsigned file is accepted only with `allow_unsigned` (a server's explicit dev mode); a
/// signature that does not verify is refused always.
pub fn verify(text: &str, trusted: &[String], allow_unsigned: bool) -> Result<LicenceFile, Error> {
    let licence = read_unverified(text)?;
    let signed_by = Trust::new(trusted, allow_unsigned)?.admit(&licence)?;
    Ok(LicenceFile { licence, signed_by })
}

/// On a trusting store, a licence may replace the one in force only if it is not older (a lower
/// `serial`, or an earlier `issued`) and not already expired at `at`: a customer can't roll back
/// to an old licence with more seats. Files without `serial`/`issued` count as serial 0, issued
/// before any other. An administrator may force it (`Admission::force`), which the change log records.
pub fn check_succession(
    in_force: Option<&Licence>,
    new: &Licence,
    at: Timestamp,
) -> Result<(), Error> {
    const FORCE: &str = "an administrator may install it anyway with `force`";
    if let Some(expires) = new.expires.filter(|e| at >= *e) {
        return Err(Error::invalid(format!(
            "licence: expired at {expires}; {FORCE}"
        )));
    }
    let Some(old) = in_force else { return Ok(()) };
    let (old_serial, new_serial) = (old.serial.unwrap_or(0), new.serial.unwrap_or(0));
    if new_serial < old_serial {
        return Err(Error::invalid(format!(
            "licence: serial {new_serial} is older than serial {old_serial} in force; {FORCE}"
        )));
    }
    if let Some(old_issued) = old.issued {
        if new.issued.is_none_or(|issued| issued < old_issued) {
            let new_issued = new
                .issued
                .map_or_else(|| "an unknown time".to_string(), |t| t.to_string());
            return Err(Error::invalid(format!("licence: issued {new_issued}, before the licence in force (issued {old_issued}); {FORCE}")));
        }
    }
    Ok(())
}

/// Lower-case hex to exactly `N` bytes.
fn hex_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    let digits = text.as_bytes();
    if digits.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let hi = (*pair.first()? as char).to_digit(16)?;
        let lo = (*pair.get(1)? as char).to_digit(16)?;
        *byte = (hi * 16 + lo) as u8;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};
    use serde_json::Value;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn signed(body: &str, key: &SigningKey) -> String {
        let licence = read_unverified(body).expect("valid licence");
        let sig = key.sign(message(&licence).as_bytes());
        let mut value: Value = serde_json::from_str(body).expect("json");
        value["signature"] = serde_json::json!({"key": hex(key.verifying_key().as_bytes()), "value": hex(&sig.to_bytes())});
        value.to_string()
    }

    const BODY: &str =
        r#"{"mailboxes": 500, "features": {"activesync": {"seats": 200}}, "expires": null}"#;

    #[test]
    fn a_vendor_signed_licence_verifies_and_names_its_key() {
        let vendor = SigningKey::from_bytes(&[7; 32]);
        let public = hex(vendor.verifying_key().as_bytes());
        let file =
            verify(&signed(BODY, &vendor), std::slice::from_ref(&public), false).expect("verifies");
        assert_eq!(file.signed_by, Some(public));
        assert_eq!(
            file.licence
                .seats(&crate::model::Feature::parse("activesync").expect("name")),
            Some(Some(200))
        );
    }

    #[test]
    fn tampering_unknown_keys_and_unsigned_files_are_refused() {
        let vendor = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[9; 32]);
        let public = hex(vendor.verifying_key().as_bytes());
        let good = signed(BODY, &vendor);
        let tampered = good.replace("200", "2000");
        let err = verify(&tampered, std::slice::from_ref(&public), false).expect_err("tampered");
        assert!(err.message.contains("does not verify"), "{}", err.message);
        // Dev mode does not excuse a bad signature.
        assert!(verify(&tampered, std::slice::from_ref(&public), true).is_err());
        let err = verify(&signed(BODY, &other), std::slice::from_ref(&public), false)
            .expect_err("foreign key");
        assert!(err.message.contains("does not trust"), "{}", err.message);
        let err = verify(BODY, std::slice::from_ref(&public), false).expect_err("unsigned");
        assert!(err.message.contains("unsigned"), "{}", err.message);
        assert_eq!(
            verify(BODY, &[public], true).expect("dev mode").signed_by,
            None
        );
    }

    #[test]
    fn layout_does_not_matter_but_meaning_does() {
        let vendor = SigningKey::from_bytes(&[7; 32]);
        let public = hex(vendor.verifying_key().as_bytes());
        let good = signed(BODY, &vendor);
        let mut value: Value = serde_json::from_str(&good).expect("json");
        let pretty = serde_json::to_string_pretty(&value).expect("json");
        assert!(
            verify(&pretty, std::slice::from_ref(&public), false).is_ok(),
            "re-indented file still verifies"
        );
        value["expires"] = serde_json::json!("2030-01-01T00:00:00Z");
        assert!(
            verify(&value.to_string(), &[public], false).is_err(),
            "an added expiry is a change of meaning"
        );
    }

    #[test]
    fn malformed_files_are_invalid_input() {
        for bad in [
            "",
            "[]",
            r#"{"features": {}, "signature": 5}"#,
            r#"{"features": {}, "signature": {"key": "zz", "value": "00"}}"#,
            r#"{"features": {"a": {}}}"#,
        ] {
            let err = verify(bad, &[], true).expect_err(bad);
            assert_eq!(err.code, crate::error::ErrorCode::InvalidInput, "{bad}");
        }
    }
}
