//! SDP attribute lines: never panic; what parses formats to lines that parse the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use t38::sdp::{udptl_configs, LocalCaps, MediaLine, T38Params};
use t38::udptl::Sender;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = MediaLine::parse(s);
    if let Ok(p) = T38Params::parse(s.lines()) {
        let lines = p.attribute_lines();
        let again = T38Params::parse(lines.iter().map(String::as_str)).expect("our lines parse");
        assert_eq!(again.attribute_lines(), lines);
        if let Ok(a) = LocalCaps::default().answer(&p) {
            let (tx, _) = udptl_configs(&a, &p);
            Sender::new(tx).expect("negotiated settings are valid");
        }
    }
});
