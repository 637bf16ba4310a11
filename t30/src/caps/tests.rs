//! Golden vectors from spandsp's measured frames, and round trips.

use super::*;
use crate::bits::Bits;
use crate::error::DcsError;

fn lsb(v: &[u8]) -> Vec<u8> {
    v.iter().map(|b| b.reverse_bits()).collect()
}

/// spandsp 0.0.6's DIS, measured (reference 2.4), FIF as stored LSB first.
fn spandsp_dis() -> Dis {
    Dis::from_fif(&lsb(&[
        0x04, 0xee, 0xf8, 0xc4, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18,
    ]))
    .expect("valid")
}

#[test]
fn measured_dis_reads() {
    let dis = spandsp_dis();
    let c = dis.capabilities();
    assert!(c.t38 && c.ready_to_receive && c.mr && c.mmr && c.ecm);
    assert_eq!(c.modems, Modems::ALL);
    assert!(c.resolutions.contains(Resolution::Fine));
    assert!(c.resolutions.contains(Resolution::Superfine));
    assert!(!c.resolutions.contains(Resolution::Inch300x300));
    assert_eq!(c.max_width, Width::A4);
    assert_eq!(c.max_length, Length::Unlimited);
    assert_eq!(c.scan.ms, 0);
    // Letter and legal (bits 76, 77) are not modelled but survive.
    assert!(dis.bit(76) && dis.bit(77));
    assert_eq!(dis.fif().len(), 10);
}

#[test]
fn measured_dcs_parses_against_measured_dis() {
    let dcs = Dcs::parse(&lsb(&[0x00, 0x62, 0xf8, 0x44]), &spandsp_dis()).expect("valid");
    let m = dcs.mode();
    assert_eq!(m.rate, Rate::V17_14400);
    assert_eq!(m.resolution, Resolution::Fine);
    assert_eq!(m.length, Length::Unlimited);
    assert_eq!(m.scan_time, ScanTime(0));
    assert_eq!(
        m.transfer,
        Transfer::Ecm {
            coding: EcmCoding::Mmr,
            frame_size: FrameSize::Octets256
        }
    );
    // Built from the same mode, the FIF is identical to what spandsp sent.
    let rebuilt = Dcs::from_mode(*m, &spandsp_dis()).expect("valid");
    assert_eq!(rebuilt.fif(), lsb(&[0x00, 0x62, 0xf8, 0x44]));
}

#[test]
fn contradictory_dcs_is_rejected() {
    let dis = spandsp_dis();
    let base = lsb(&[0x00, 0x62, 0xf8, 0x44]);
    let cases: [(u16, bool, &str); 6] = [
        (27, false, "T.6 without ECM"),
        (41, true, "fine and superfine"),
        (17, true, "B4 not offered"),
        (10, false, "not a receive command"),
        (13, true, "reserved rate"),
        (42, true, "300 dpi not offered"),
    ];
    for (bit, on, why) in cases {
        let mut b = Bits(base.clone());
        b.set(bit, on);
        assert!(Dcs::parse(&b.0, &dis).is_err(), "{why}");
    }
    let mut b = Bits(base);
    b.set(18, true);
    b.set(17, true);
    assert_eq!(Dcs::parse(&b.0, &dis), Err(DcsError::ReservedCode("width")));
}

#[test]
fn dis_round_trips_capabilities() {
    let c = Capabilities::default();
    let dis = Dis::from_capabilities(&c);
    assert_eq!(dis.capabilities(), c);
    // Extension bits announce each following octet; the last has none.
    let fif = dis.fif();
    for octet in 3..fif.len() {
        assert!(dis.bit(u16::try_from(octet * 8).expect("small")));
    }
    assert!(!dis.bit(u16::try_from(fif.len() * 8).expect("small")));
}

#[test]
fn negotiation_picks_best_common_mode() {
    let remote = Capabilities {
        modems: Modems {
            v27ter: true,
            v29: true,
            v17: false,
        },
        mmr: false,
        resolutions: Resolutions::STANDARD.with(Resolution::Fine),
        ..Capabilities::default()
    };
    let dis = Dis::from_capabilities(&remote);
    let pref = Preferences {
        max_rate: Rate::V17_14400,
        ecm: true,
        resolution: Resolution::Superfine,
        width: Width::A4,
        frame_size: FrameSize::Octets256,
    };
    let dcs = Dcs::negotiate(&Capabilities::default(), &pref, &dis).expect("ok");
    let m = dcs.mode();
    assert_eq!(m.rate, Rate::V29_9600);
    assert_eq!(m.resolution, Resolution::Fine);
    assert_eq!(
        m.transfer,
        Transfer::Ecm {
            coding: EcmCoding::Mr,
            frame_size: FrameSize::Octets256
        }
    );
    assert_eq!(
        Dcs::parse(dcs.fif(), &dis).expect("own DCS parses").mode(),
        m
    );
    assert_eq!(m.rate.step_down(remote.modems), Some(Rate::V29_7200));
}

#[test]
fn every_mode_round_trips_through_its_fif() {
    let dis = Dis::from_capabilities(&Capabilities {
        resolutions: Resolutions::all(),
        ..Capabilities::default()
    });
    for rate in FALLBACK {
        for resolution in RESOLUTIONS {
            for transfer in [
                Transfer::NonEcm(NonEcmCoding::Mh),
                Transfer::NonEcm(NonEcmCoding::Mr),
                Transfer::Ecm {
                    coding: EcmCoding::Mmr,
                    frame_size: FrameSize::Octets64,
                },
            ] {
                let mode = Mode {
                    rate,
                    resolution,
                    width: Width::B4,
                    length: Length::B4,
                    scan_time: ScanTime(if transfer.is_ecm() { 0 } else { 10 }),
                    transfer,
                    t38: true,
                };
                let dcs = Dcs::from_mode(mode, &dis).expect("offered");
                assert_eq!(Dcs::parse(dcs.fif(), &dis).map(|d| *d.mode()), Ok(mode));
            }
        }
    }
}

proptest::proptest! {
    /// Whatever DCS parses against a DIS re-parses from its own FIF to the same mode, and
    /// the mode rebuilt from scratch is accepted by the same DIS.
    #[test]
    fn parsed_dcs_is_consistent(fif in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12)) {
        let dis = Dis::from_capabilities(&Capabilities {
            resolutions: Resolutions::all(),
            subaddress: true,
            password: true,
            ..Capabilities::default()
        });
        if let Ok(dcs) = Dcs::parse(&fif, &dis) {
            proptest::prop_assert_eq!(Dcs::parse(dcs.fif(), &dis).map(|d| *d.mode()), Ok(*dcs.mode()));
            let rebuilt = Dcs::from_mode(*dcs.mode(), &dis);
            proptest::prop_assert!(rebuilt.is_ok());
        }
    }

    /// Any DIS FIF reads; the DIS built from what it says reads back the same.
    #[test]
    fn dis_view_is_stable(fif in proptest::collection::vec(proptest::prelude::any::<u8>(), 3..24)) {
        let caps = Dis::from_fif(&fif).map(|d| d.capabilities());
        proptest::prop_assert!(caps.is_ok());
        let caps = caps.unwrap_or_default();
        let again = Dis::from_capabilities(&caps).capabilities();
        proptest::prop_assert_eq!(Dis::from_capabilities(&again).capabilities(), again);
    }
}
