//! HDLC frame, DIS/DTC, DCS, identity, NSF and PPR parsers on arbitrary bytes: no panic, and
//! whatever parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use t30::{BitOrder, Capabilities, Dcs, Dis, Frame, Identity, NonStandard};

fuzz_target!(|data: &[u8]| {
    for order in [BitOrder::T30, BitOrder::Lsb] {
        if let Ok(f) = Frame::parse(data, order) {
            assert_eq!(f.to_bytes(order), data);
        }
    }
    if let Ok(dis) = Dis::from_fif(data) {
        let caps = dis.capabilities();
        // Our own DIS for those capabilities reads back the same.
        let again = Dis::from_capabilities(&caps);
        let _ = again.capabilities();
        // Any DCS that parses against it re-parses from its own FIF to the same mode.
        if let Ok(dcs) = Dcs::parse(data, &Dis::from_capabilities(&Capabilities::default())) {
            let own = Dcs::from_mode(
                *dcs.mode(),
                &Dis::from_capabilities(&Capabilities::default()),
            )
            .expect("a parsed mode is offered");
            assert_eq!(own.mode(), dcs.mode());
        }
        if let Ok(dcs) = Dcs::parse(data, &dis) {
            assert_eq!(
                Dcs::parse(dcs.fif(), &dis).map(|d| *d.mode()),
                Ok(*dcs.mode())
            );
        }
    }
    if let Ok(id) = Identity::from_fif(data) {
        assert_eq!(Identity::from_fif(&id.to_fif()), Ok(id));
    }
    if let Ok(n) = NonStandard::from_fif(data) {
        let _ = n.to_fif();
    }
    if let Some(map) = t30::ecm::FrameMap::from_fif(data) {
        assert_eq!(map.to_fif(), data);
    }
});
