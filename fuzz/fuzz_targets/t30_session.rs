//! A session fed an arbitrary script of frames, data, training and time: no panic, bounded
//! memory, and it always ends through its timers.
#![no_main]

#[path = "../../t30/tests/script/mod.rs"]
mod script;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    script::run(data);
});
