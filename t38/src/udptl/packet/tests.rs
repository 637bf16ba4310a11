use super::*;
use proptest::prelude::*;

fn lim() -> Limits {
    Limits::default()
}

#[test]
fn wire_layout_no_ec_redundancy_fec() {
    // T.38 §9.1 with X.691 open types; "no EC" is redundancy with zero secondaries (`00 00`),
    // as Asterisk and spandsp's test helper send it.
    let none = [0x01, 0x02, 0x01, 0x06, 0x00, 0x00];
    let d = Datagram::decode(&none, &lim()).expect("decodes");
    assert_eq!(d.seq, 0x0102);
    assert_eq!(d.primary, [0x06]);
    assert_eq!(d.recovery, Recovery::Redundancy(IfpList::empty()));

    let red = [0x00, 0x05, 0x01, 0x06, 0x00, 0x02, 0x01, 0x02, 0x01, 0x00];
    let d = Datagram::decode(&red, &lim()).expect("decodes");
    let secs: &[&[u8]] = &[&[0x02], &[0x00]];
    assert_eq!(d.recovery, Recovery::Redundancy(IfpList::new(secs)));

    let fec = [
        0x00, 0x09, 0x01, 0x06, 0x80, 0x01, 0x03, 0x02, 0x01, 0xAA, 0x02, 0xBB, 0xCC,
    ];
    let d = Datagram::decode(&fec, &lim()).expect("decodes");
    let ents: &[&[u8]] = &[&[0xAA], &[0xBB, 0xCC]];
    assert_eq!(
        d.recovery,
        Recovery::Fec {
            span: 3,
            entries: IfpList::new(ents)
        }
    );

    for bytes in [&none[..], &red[..], &fec[..]] {
        let mut out = Vec::new();
        Datagram::decode(bytes, &lim())
            .expect("decodes")
            .encode(&mut out)
            .expect("encodes");
        assert_eq!(out, bytes);
    }
}

#[test]
fn caps_are_typed_errors() {
    // 17 secondaries.
    let mut b = vec![0, 1, 1, 6, 0, 17];
    for _ in 0..17 {
        b.extend_from_slice(&[1, 0]);
    }
    assert_eq!(
        Datagram::decode(&b, &lim()),
        Err(UdptlError::Limit {
            limit: UdptlLimit::Secondaries,
            value: 17,
            max: 16
        })
    );
    // 6 FEC entries, span 6.
    assert_eq!(
        Datagram::decode(&[0, 1, 1, 6, 0x80, 1, 3, 6], &lim()),
        Err(UdptlError::Limit {
            limit: UdptlLimit::FecEntries,
            value: 6,
            max: 5
        })
    );
    assert_eq!(
        Datagram::decode(&[0, 1, 1, 6, 0x80, 1, 6, 0], &lim()),
        Err(UdptlError::Limit {
            limit: UdptlLimit::FecSpan,
            value: 6,
            max: 5
        })
    );
    // Datagram and IFP size.
    assert!(matches!(
        Datagram::decode(&[0u8; 1401], &lim()),
        Err(UdptlError::Limit {
            limit: UdptlLimit::Datagram,
            value: 1401,
            max: 1400
        })
    ));
    let mut b = vec![0, 1, 0x85, 0x79];
    b.extend(std::iter::repeat_n(0u8, 0x579));
    b.extend_from_slice(&[0, 0]);
    let l = Limits {
        max_datagram: 4000,
        ..Limits::default()
    };
    assert_eq!(
        Datagram::decode(&b, &l),
        Err(UdptlError::Limit {
            limit: UdptlLimit::Ifp,
            value: 1401,
            max: 1400
        })
    );
}

#[test]
fn malformed() {
    assert_eq!(Datagram::decode(&[0], &lim()), Err(UdptlError::Truncated));
    assert_eq!(
        Datagram::decode(&[0, 1, 0xC1, 6], &lim()),
        Err(UdptlError::Fragmented)
    );
    assert_eq!(
        Datagram::decode(&[0, 1, 0, 0, 0], &lim()),
        Err(UdptlError::EmptyIfp)
    );
    assert_eq!(
        Datagram::decode(&[0, 1, 1, 6, 0x40, 0], &lim()),
        Err(UdptlError::BadRecoveryChoice(0x40))
    );
    assert_eq!(
        Datagram::decode(&[0, 1, 1, 6, 0, 0, 9], &lim()),
        Err(UdptlError::TrailingBytes { extra: 1 })
    );
    assert_eq!(
        Datagram::decode(&[0, 1, 1, 6, 0, 1, 5, 1], &lim()),
        Err(UdptlError::Truncated)
    );
    assert_eq!(
        Datagram::decode(&[0, 1, 1, 6, 0x80, 3, 0, 0, 1, 0], &lim()),
        Err(UdptlError::BadFecSpan)
    );
}

fn arb_ifp() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..200)
}

proptest! {
    #[test]
    fn redundancy_round_trip(seq in any::<u16>(), p in arb_ifp(), secs in prop::collection::vec(arb_ifp(), 0..=16)) {
        let refs: Vec<&[u8]> = secs.iter().map(Vec::as_slice).collect();
        let d = Datagram { seq, primary: &p, recovery: Recovery::Redundancy(IfpList::new(&refs)) };
        let mut out = Vec::new();
        d.encode(&mut out).expect("encodes");
        let l = Limits { max_datagram: usize::MAX, ..Limits::default() };
        prop_assert_eq!(Datagram::decode(&out, &l), Ok(d));
        for cut in 0..out.len() {
            prop_assert!(Datagram::decode(&out[..cut], &l).is_err());
        }
    }

    #[test]
    fn fec_round_trip(seq in any::<u16>(), p in arb_ifp(), span in 0u8..=5,
                      ents in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..=5)) {
        let refs: Vec<&[u8]> = ents.iter().map(Vec::as_slice).collect();
        let d = Datagram { seq, primary: &p, recovery: Recovery::Fec { span, entries: IfpList::new(&refs) } };
        let mut out = Vec::new();
        d.encode(&mut out).expect("encodes");
        let l = Limits { max_datagram: usize::MAX, ..Limits::default() };
        prop_assert_eq!(Datagram::decode(&out, &l), Ok(d));
        prop_assert_eq!(d.recovery, Datagram::decode(&out, &l).expect("decodes").recovery);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(d) = Datagram::decode(&b, &lim()) {
            let mut out = Vec::new();
            d.encode(&mut out).expect("re-encodes");
            prop_assert_eq!(Datagram::decode(&out, &lim()), Ok(d));
        }
    }
}
