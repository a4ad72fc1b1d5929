//! Any text as a licence file: reading and verifying never panic; a licence the core reads,
//! signed by the vendor key, verifies; any change of its signature or its meaning does not.
#![no_main]

use ed25519_dalek::{Signer, SigningKey};
use libfuzzer_sys::fuzz_target;
use seatcap::signature::{check_succession, message, read_unverified, Trust};
use seatcap::time::Timestamp;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vendor = SigningKey::from_bytes(&[7; 32]);
    let public = hex(vendor.verifying_key().as_bytes());
    let trust = Trust::new(std::slice::from_ref(&public), false).expect("a valid key");
    // Whatever the file says, verification answers (never panics), and dev mode never excuses a bad signature.
    let _ = seatcap::signature::verify(text, std::slice::from_ref(&public), false);
    let Ok(licence) = read_unverified(text) else {
        return;
    };
    let _ = check_succession(Some(&licence), &licence, Timestamp::from_millis(0));
    let dev = Trust::new(&[], true).expect("no keys");
    if licence.signature.is_some() {
        assert!(
            dev.admit(&licence).is_err(),
            "dev mode trusts no signature by a key it was not given"
        );
    }
    // Signed by the vendor: it verifies, also after a round trip through its JSON.
    let mut signed = licence.clone();
    let sig = vendor.sign(message(&licence).as_bytes());
    signed.signature = Some(seatcap::model::LicenceSignature {
        key: public.clone(),
        value: hex(&sig.to_bytes()),
    });
    assert_eq!(
        trust.admit(&signed).expect("vendor-signed verifies"),
        Some(public.clone())
    );
    let again =
        read_unverified(&serde_json::to_string(&signed).expect("json")).expect("reads back");
    assert!(
        trust.admit(&again).is_ok(),
        "the signature survives a round trip"
    );
    // One flipped signature digit, or one more seat, breaks it.
    let mut flipped = signed.clone();
    if let Some(s) = flipped.signature.as_mut() {
        let first = if s.value.starts_with('0') { "1" } else { "0" };
        s.value.replace_range(0..1, first);
    }
    assert!(
        trust.admit(&flipped).is_err(),
        "a changed signature does not verify"
    );
    let mut grown = signed.clone();
    grown.mailboxes = Some(grown.mailboxes.map_or(1, |m| m.wrapping_add(1)));
    assert!(
        trust.admit(&grown).is_err(),
        "a changed licence does not verify"
    );
});
