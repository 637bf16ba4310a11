use super::*;
use proptest::prelude::*;

/// An offer in the shape rtpengine issue #1100 and FreeSWITCH re-INVITEs show.
const OFFER: &[&str] = &[
    "v=0",
    "m=image 40068 udptl t38",
    "a=T38FaxVersion:0",
    "a=T38MaxBitRate:14400",
    "a=T38FaxFillBitRemoval:0",
    "a=T38FaxRateManagement:transferredTCF",
    "a=T38FaxMaxBuffer:2000",
    "a=T38MaxDatagram:400",
    "a=T38FaxUdpEC:t38UDPFEC",
    "a=T38FaxUdpEC:t38UDPRedundancy",
    "a=sendrecv",
];

#[test]
fn parses_a_real_offer() {
    assert_eq!(MediaLine::parse(OFFER[1]), Ok(MediaLine { port: 40068 }));
    let p = T38Params::parse(OFFER.iter().copied()).expect("parses");
    assert_eq!(p.version, 0);
    assert_eq!(p.packing(), Packing::V1998);
    assert_eq!(p.max_bit_rate, Some(14_400));
    assert!(!p.fill_bit_removal, "explicit :0 is false");
    assert_eq!(p.rate_management, Some(RateManagement::TransferredTcf));
    assert_eq!(p.max_buffer, Some(2000));
    assert_eq!(
        p.max_datagram,
        Some(400),
        "misspelling T38MaxDatagram accepted"
    );
    assert_eq!(p.udp_ec, [UdpEc::Fec, UdpEc::Redundancy]);
}

#[test]
fn booleans_by_presence_and_defaults() {
    let p =
        T38Params::parse(["a=T38FaxFillBitRemoval", "a=t38faxtranscodingmmr:1"]).expect("parses");
    assert!(p.fill_bit_removal && p.transcoding_mmr && !p.transcoding_jbig);
    assert_eq!(p.version, 0, "absent version = 0");
    assert_eq!(
        T38Params::parse(["a=T38FaxFillBitRemoval:yes"]),
        Err(SdpError::BadValue {
            name: "T38FaxFillBitRemoval"
        })
    );
}

#[test]
fn version_4_attributes() {
    let lines = [
        "a=T38FaxVersion:4",
        "a=T38FaxMaxIFP:300",
        "a=T38FaxUdpECDepth:1 3",
        "a=T38FaxUdpFECMaxSpan:3",
        "a=T38ModemType:t38G3FaxOnly",
    ];
    let p = T38Params::parse(lines).expect("parses");
    assert_eq!(p.max_ifp, Some(300));
    assert_eq!(p.udp_ec_depth, Some((1, Some(3))));
    assert_eq!(p.fec_max_span, Some(3));
    assert_eq!(p.modem_type.as_deref(), Some("t38G3FaxOnly"));
    assert_eq!(p.attribute_lines(), lines);
}

#[test]
fn bad_numbers_are_errors_not_crashes() {
    // CVE-2010-0441: a malformed T38FaxMaxDatagram crashed Asterisk.
    for bad in [
        "a=T38FaxMaxDatagram:",
        "a=T38FaxMaxDatagram:-1",
        "a=T38FaxMaxDatagram:99999999999",
    ] {
        assert_eq!(
            T38Params::parse([bad]),
            Err(SdpError::BadValue {
                name: "T38FaxMaxDatagram"
            })
        );
    }
    assert_eq!(
        T38Params::parse(["a=T38FaxVersion:300"]),
        Err(SdpError::BadValue {
            name: "T38FaxVersion"
        })
    );
    let p = T38Params::parse(["a=T38FaxMaxDatagram:4"]).expect("parses");
    assert_eq!(p.peer_max_datagram(400, 1400), MIN_USABLE_DATAGRAM);
    let p = T38Params::parse(["a=T38FaxMaxDatagram:4000000000"]).expect("parses");
    assert_eq!(p.peer_max_datagram(400, 1400), 1400);
    assert_eq!(T38Params::default().peer_max_datagram(400, 1400), 400);
    assert!(MediaLine::parse("m=audio 4000 RTP/AVP 0").is_err());
    assert!(MediaLine::parse("m=image 70000 udptl t38").is_err());
}

#[test]
fn offer_answer() {
    let offer = T38Params::parse(OFFER.iter().copied()).expect("parses");
    let ours = LocalCaps::default();
    let a = ours.answer(&offer).expect("answers");
    assert_eq!(a.version, 0, "answer <= offer");
    assert_eq!(
        a.udp_ec,
        [UdpEc::Redundancy],
        "our preference among what was offered"
    );
    assert_eq!(a.rate_management, Some(RateManagement::TransferredTcf));
    assert!(!a.fill_bit_removal);
    assert_eq!(agreed_recovery(&a), ErrorRecovery::Redundancy { depth: 3 });
    let mut v3 = offer.clone();
    v3.version = 3;
    v3.udp_ec = vec![UdpEc::Fec];
    let a = ours.answer(&v3).expect("answers");
    assert_eq!((a.version, a.packing()), (3, Packing::V2002));
    assert_eq!(
        agreed_recovery(&a),
        ErrorRecovery::Fec {
            span: 3,
            entries: 3
        }
    );
    v3.udp_ec = vec![UdpEc::Other("bogus".into())];
    assert_eq!(ours.answer(&v3).expect("answers").udp_ec, []);
    v3.rate_management = Some(RateManagement::LocalTcf);
    assert!(matches!(ours.answer(&v3), Err(SdpError::Incompatible(_))));
    // Our offer re-parses to itself.
    let o = ours.offer();
    let lines = o.attribute_lines();
    assert_eq!(T38Params::parse(lines.iter().map(String::as_str)), Ok(o));
}

#[test]
fn configs_from_the_exchange() {
    let offer = T38Params::parse(OFFER.iter().copied()).expect("parses");
    let agreed = LocalCaps::default().answer(&offer).expect("answers");
    let (tx, rx) = udptl_configs(&agreed, &offer);
    assert_eq!(tx.packing, Packing::V1998);
    assert_eq!(rx.packing, Packing::V1998);
    assert_eq!(tx.recovery, ErrorRecovery::Redundancy { depth: 3 });
    assert_eq!(
        tx.peer_max_datagram, 400,
        "from the misspelt T38MaxDatagram"
    );
    // A version-4 peer asking for depth 1..2, FEC span at most 2, and no datagram size.
    let peer = T38Params::parse([
        "a=T38FaxVersion:4",
        "a=T38FaxUdpECDepth:1 2",
        "a=T38FaxUdpFECMaxSpan:2",
    ])
    .expect("parses");
    let mut agreed = peer.clone();
    agreed.udp_ec = vec![UdpEc::Redundancy];
    assert_eq!(
        udptl_configs(&agreed, &peer).0.recovery,
        ErrorRecovery::Redundancy { depth: 2 }
    );
    assert_eq!(
        udptl_configs(&agreed, &peer).0.peer_max_datagram,
        DEFAULT_PEER_MAX_DATAGRAM
    );
    agreed.udp_ec = vec![UdpEc::Fec];
    assert_eq!(
        udptl_configs(&agreed, &peer).0.recovery,
        ErrorRecovery::Fec {
            span: 2,
            entries: 3
        }
    );
    assert!(crate::udptl::Sender::new(udptl_configs(&agreed, &peer).0).is_ok());
}

#[test]
fn datagram_arithmetic() {
    // spandsp at 14400 bit/s: max IFP 59 octets, max datagram 244 with redundancy depth 3
    // (t30-t38.md §6): 2 + 60 + 2 + 3 x 60 = 244.
    assert_eq!(
        datagram_size(59, ErrorRecovery::Redundancy { depth: 3 }),
        244
    );
    assert_eq!(max_ifp_for(244, ErrorRecovery::Redundancy { depth: 3 }), 59);
    assert_eq!(max_ifp_for(243, ErrorRecovery::Redundancy { depth: 3 }), 58);
    // No EC: 2 + (1 + n) + 2.
    assert_eq!(max_ifp_for(72, ErrorRecovery::None), 67);
    // FEC 3 entries: 2 + (1+n) + 4 + 3(1+n) = 4n + 10 <= 400 -> 97.
    assert_eq!(
        max_ifp_for(
            400,
            ErrorRecovery::Fec {
                span: 3,
                entries: 3
            }
        ),
        97
    );
    assert_eq!(max_ifp_for(3, ErrorRecovery::None), 0);
}

proptest! {
    #[test]
    fn format_parse_round_trip(version in 0u8..=4, rate in prop::option::of(0u32..40_000), fbr in any::<bool>(),
                               mmr in any::<bool>(), jbig in any::<bool>(), buf in prop::option::of(any::<u32>()),
                               dg in prop::option::of(any::<u32>()), ec in prop::collection::vec(0u8..3, 0..3),
                               ifp in prop::option::of(any::<u32>()), depth in prop::option::of((any::<u32>(), prop::option::of(any::<u32>())))) {
        let p = T38Params {
            version, max_bit_rate: rate, fill_bit_removal: fbr, transcoding_mmr: mmr, transcoding_jbig: jbig,
            rate_management: Some(RateManagement::TransferredTcf), max_buffer: buf, max_datagram: dg,
            udp_ec: ec.iter().map(|e| match e { 0 => UdpEc::Redundancy, 1 => UdpEc::Fec, _ => UdpEc::NoEc }).collect(),
            max_ifp: ifp, udp_ec_depth: depth, fec_max_span: None, modem_type: None,
        };
        let lines = p.attribute_lines();
        prop_assert_eq!(T38Params::parse(lines.iter().map(String::as_str)), Ok(p));
    }

    #[test]
    fn arithmetic_is_tight(max in 0usize..3000, depth in 0u8..=16) {
        let rec = ErrorRecovery::Redundancy { depth };
        let n = max_ifp_for(max, rec);
        if n > 0 {
            prop_assert!(datagram_size(n, rec) <= max);
        }
        prop_assert!(datagram_size(n + 1, rec) > max);
    }

    #[test]
    fn arbitrary_lines_never_panic(s in "\\PC*") {
        let _ = T38Params::parse(s.lines());
        let _ = MediaLine::parse(&s);
    }
}
