//! Delivery receipts: any JSON is either not a receipt or fails verification against a key
//! that signed nothing; never a panic.
#![no_main]

use faxkit_examples::receipt::{verify, Receipt};
use libfuzzer_sys::fuzz_target;
use phi_audit::checkpoint::VerifierKey;

fuzz_target!(|data: &[u8]| {
    let Ok(r) = serde_json::from_slice::<Receipt>(data) else {
        return;
    };
    let key = VerifierKey {
        name: "fuzz.example/audit".into(),
        public: [7; 32],
    };
    assert!(verify(&r, &key).is_err());
});
