use super::*;
use crate::ifp::Field;
use crate::{DataType, Indicator};

fn sender(rec: ErrorRecovery, max: usize) -> Sender {
    Sender::new(SenderConfig::new(rec, max)).expect("valid config")
}

#[test]
fn no_ec_layout() {
    let mut s = sender(ErrorRecovery::None, 1400);
    let t = s.send_encoded(&[0x06]).expect("sends");
    assert_eq!(
        (t.seq, t.datagram, t.copies),
        (0, &[0x00, 0x00, 0x01, 0x06, 0x00, 0x00][..], 1)
    );
    assert_eq!(
        s.send_encoded(&[0x02]).expect("sends").datagram,
        [0x00, 0x01, 0x01, 0x02, 0x00, 0x00]
    );
}

#[test]
fn redundancy_newest_first_and_ramps_up() {
    let mut s = sender(ErrorRecovery::Redundancy { depth: 2 }, 1400);
    assert_eq!(
        s.send_encoded(&[0xA0]).expect("sends").datagram,
        [0, 0, 1, 0xA0, 0, 0]
    );
    assert_eq!(
        s.send_encoded(&[0xA1]).expect("sends").datagram,
        [0, 1, 1, 0xA1, 0, 1, 1, 0xA0]
    );
    assert_eq!(
        s.send_encoded(&[0xA2, 0xA2]).expect("sends").datagram,
        [0, 2, 2, 0xA2, 0xA2, 0, 2, 1, 0xA1, 1, 0xA0]
    );
    assert_eq!(
        s.send_encoded(&[0xA3]).expect("sends").datagram,
        [0, 3, 1, 0xA3, 0, 2, 2, 0xA2, 0xA2, 1, 0xA1]
    );
}

#[test]
fn redundancy_depth_sized_to_peer_datagram() {
    // 10-octet IFPs: header 2 + 11 + 2 = 15; each secondary adds 11. Max 40 -> 2 secondaries.
    let mut s = sender(ErrorRecovery::Redundancy { depth: 5 }, 40);
    for _ in 0..6 {
        let t = s.send_encoded(&[7; 10]).expect("sends");
        assert!(t.datagram.len() <= 40);
    }
    let t = s.send_encoded(&[7; 10]).expect("sends");
    let d = Datagram::decode(t.datagram, &Limits::default()).expect("decodes");
    assert_eq!(
        d.recovery,
        Recovery::Redundancy(IfpList::new(&[&[7; 10], &[7; 10]]))
    );
    assert_eq!(t.datagram.len(), 37);
    assert_eq!(
        s.send_encoded(&[7; 40]),
        Err(UdptlError::IfpTooLargeForPeer {
            ifp: 40,
            max_datagram: 40
        })
    );
}

use super::super::{Datagram, IfpList, Recovery};

#[test]
fn fec_wind_up_and_parity() {
    // span 2, entries 2. Parity m of packet S covers S + m - 4 + 2j, j = 0, 1.
    let ifps: [&[u8]; 5] = [
        &[0x01],
        &[0x02, 0x20],
        &[0x04],
        &[0x08, 0x80, 0x88],
        &[0x10],
    ];
    let mut s = sender(
        ErrorRecovery::Fec {
            span: 2,
            entries: 2,
        },
        1400,
    );
    let mut got = Vec::new();
    for i in ifps {
        got.push(s.send_encoded(i).expect("sends").datagram.to_vec());
    }
    // S=0, 1: nothing sent before `span` packets: span 0, no entries.
    assert_eq!(got[0], [0, 0, 1, 0x01, 0x80, 1, 0, 0]);
    assert_eq!(got[1], [0, 1, 2, 0x02, 0x20, 0x80, 1, 0, 0]);
    // S=2: entries 2/2 = 1, span 2: covers 0, 1 -> 01^02, 00^20.
    assert_eq!(got[2], [0, 2, 1, 0x04, 0x80, 1, 2, 1, 2, 0x03, 0x20]);
    // S=3: entries 3/2 = 1: covers 1, 2.
    assert_eq!(
        got[3],
        [0, 3, 3, 0x08, 0x80, 0x88, 0x80, 1, 2, 1, 2, 0x06, 0x20]
    );
    // S=4: full: m=0 covers 0, 2 -> 05; m=1 covers 1, 3 -> 0a a0 88.
    assert_eq!(
        got[4],
        [0, 4, 1, 0x10, 0x80, 1, 2, 2, 1, 0x05, 3, 0x0A, 0xA0, 0x88]
    );
}

#[test]
fn repeats_follow_the_packet_kind() {
    let mut cfg = SenderConfig::new(ErrorRecovery::None, 1400);
    cfg.repeats = Repeats::spandsp();
    let mut s = Sender::new(cfg).expect("valid");
    assert_eq!(
        s.send(&Ifp::indicator(Indicator::CNG))
            .expect("sends")
            .copies,
        3
    );
    let f = [Field::new(FieldType::HDLC_DATA, &[1])];
    assert_eq!(
        s.send(&Ifp::new(Message::Data(DataType::V21), &f))
            .expect("sends")
            .copies,
        1
    );
    let f = [
        Field::new(FieldType::HDLC_DATA, &[1]),
        Field::bare(FieldType::HDLC_FCS_OK_SIG_END),
    ];
    let t = s
        .send(&Ifp::new(Message::Data(DataType::V21), &f))
        .expect("sends");
    assert_eq!((t.seq, t.copies), (2, 3));
}

#[test]
fn bad_configs() {
    for rec in [
        ErrorRecovery::Redundancy { depth: 17 },
        ErrorRecovery::Fec {
            span: 0,
            entries: 3,
        },
        ErrorRecovery::Fec {
            span: 6,
            entries: 3,
        },
        ErrorRecovery::Fec {
            span: 3,
            entries: 6,
        },
    ] {
        assert!(matches!(
            Sender::new(SenderConfig::new(rec, 1400)),
            Err(UdptlError::BadConfig(_))
        ));
    }
}

#[test]
fn sequence_wraps() {
    let mut cfg = SenderConfig::new(ErrorRecovery::Redundancy { depth: 1 }, 1400);
    cfg.first_seq = 0xFFFF;
    let mut s = Sender::new(cfg).expect("valid");
    assert_eq!(s.send_encoded(&[1]).expect("sends").seq, 0xFFFF);
    let t = s.send_encoded(&[2]).expect("sends");
    assert_eq!(t.datagram, [0, 0, 1, 2, 0, 1, 1, 1]);
}

#[test]
fn fec_entries_reduced_to_fit_and_still_consistent() {
    // span 2, entries 3, 40-octet IFPs: full FEC needs 2 + 41 + 4 + 3 x 41 = 170 octets; a
    // 150-octet peer gets 2 entries, each computed over the groups of a 2-entry scheme.
    let ifps: Vec<Vec<u8>> = (0..20u8)
        .map(|i| vec![i.wrapping_mul(29) | 1; 40])
        .collect();
    let mut s = sender(
        ErrorRecovery::Fec {
            span: 2,
            entries: 3,
        },
        150,
    );
    for (i, ifp) in ifps.iter().enumerate() {
        let t = s.send_encoded(ifp).expect("sends");
        assert!(t.datagram.len() <= 150);
        let d = Datagram::decode(t.datagram, &Limits::default()).expect("decodes");
        let Recovery::Fec { span, entries } = d.recovery else {
            panic!("FEC")
        };
        if i >= 6 {
            assert_eq!((span, entries.len()), (2, 2));
            for (m, parity) in entries.iter().enumerate() {
                // Members i + m - 4 + 2j, j = 0, 1.
                let a = &ifps[i + m - 4];
                let b = &ifps[i + m - 2];
                let want: Vec<u8> = a.iter().zip(b).map(|(x, y)| x ^ y).collect();
                assert_eq!(parity, want.as_slice(), "datagram {i} entry {m}");
            }
        }
    }
}
