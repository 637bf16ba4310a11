use super::*;
use proptest::prelude::*;

fn enc(ifp: &Ifp<'_>, p: Packing) -> Vec<u8> {
    let mut v = Vec::new();
    let n = ifp.encode(p, &mut v).expect("encodable");
    assert_eq!(n, v.len());
    assert_eq!(ifp.encoded_len(p), Ok(n));
    v
}

const BOTH: [Packing; 2] = [Packing::V1998, Packing::V2002];

#[test]
fn reference_wire_literals() {
    // t30-t38.md §3 (measured against spandsp): data v21, one hdlc-data field, octet ff.
    let f = [Field::new(FieldType::HDLC_DATA, &[0xFF])];
    let ifp = Ifp::new(Message::Data(DataType::V21), &f);
    for p in BOTH {
        assert_eq!(enc(&ifp, p), [0xC0, 0x01, 0x80, 0x00, 0x00, 0xFF]);
        assert_eq!(
            Ifp::decode(&[0xC0, 0x01, 0x80, 0x00, 0x00, 0xFF], p),
            Ok(ifp)
        );
    }
    // Indicators: no-signal 00, cng 02, v21-preamble 06 (root value << 1).
    for (ind, byte) in [
        (Indicator::NO_SIGNAL, 0x00),
        (Indicator::CNG, 0x02),
        (Indicator::V21_PREAMBLE, 0x06),
    ] {
        for p in BOTH {
            assert_eq!(enc(&Ifp::indicator(ind), p), [byte]);
        }
    }
    // Extension indicator: 0x20 | idx >> 2, idx << 6 (v8-ansam idx 0, v33-14400 idx 6).
    assert_eq!(
        enc(&Ifp::indicator(Indicator::V8_ANSAM), Packing::V2002),
        [0x20, 0x00]
    );
    assert_eq!(
        enc(
            &Ifp::indicator(Indicator::V33_14400_TRAINING),
            Packing::V2002
        ),
        [0x21, 0x80]
    );
    // Extension data type: 0x60 | idx >> 2 with the data-field bit (v33-14400 is idx 5).
    let f = [Field::new(FieldType::HDLC_DATA, &[0x55])];
    let ifp = Ifp::new(Message::Data(DataType::V33_14400), &f);
    assert_eq!(
        enc(&ifp, Packing::V2002),
        [0xE1, 0x40, 0x01, 0x80, 0x00, 0x00, 0x55]
    );
}

#[test]
fn fcs_ok_sig_end_differs_by_packing() {
    // §3: hdlc-fcs-OK-sig-end without data is 40 in version 0 and 20 in version >= 1.
    let f = [Field::bare(FieldType::HDLC_FCS_OK_SIG_END)];
    let ifp = Ifp::new(Message::Data(DataType::V21), &f);
    assert_eq!(enc(&ifp, Packing::V1998), [0xC0, 0x01, 0x40]);
    assert_eq!(enc(&ifp, Packing::V2002), [0xC0, 0x01, 0x20]);
    // Version 0 read as 2002: 40 starts an extension value that runs off the end, which is
    // why tshark flags that direction Malformed (§10).
    assert_eq!(
        Ifp::decode(&[0xC0, 0x01, 0x40], Packing::V2002),
        Err(IfpError::Truncated)
    );
    // Version 2 read as 1998: 20 is a valid but different field type, hdlc-fcs-OK: the silent
    // mismatch of §7.
    let wrong = Ifp::decode(&[0xC0, 0x01, 0x20], Packing::V1998).expect("decodes");
    assert_eq!(
        wrong.fields().next(),
        Some(Field::bare(FieldType::HDLC_FCS_OK))
    );
}

#[test]
fn data_then_frame_end() {
    // The shape spandsp sends at the end of an HDLC frame.
    let f = [
        Field::new(FieldType::HDLC_DATA, &[0xFF]),
        Field::bare(FieldType::HDLC_FCS_OK_SIG_END),
    ];
    let ifp = Ifp::new(Message::Data(DataType::V21), &f);
    assert_eq!(
        enc(&ifp, Packing::V1998),
        [0xC0, 0x02, 0x80, 0x00, 0x00, 0xFF, 0x40]
    );
    assert_eq!(
        enc(&ifp, Packing::V2002),
        [0xC0, 0x02, 0x80, 0x00, 0x00, 0xFF, 0x20]
    );
}

#[test]
fn bare_elements_share_an_octet() {
    // X.691: no alignment between SEQUENCE OF elements. 1998: 0 010 | 0 001 = 0x21 (the
    // "typo" spandsp's decoder models); 2002: 0 0 010 | 0 0 001 | pad = 0x10 0x40.
    let f = [
        Field::bare(FieldType::HDLC_FCS_OK),
        Field::bare(FieldType::HDLC_SIG_END),
    ];
    let ifp = Ifp::new(Message::Data(DataType::V21), &f);
    assert_eq!(enc(&ifp, Packing::V1998), [0xC0, 0x02, 0x21]);
    assert_eq!(enc(&ifp, Packing::V2002), [0xC0, 0x02, 0x10, 0x40]);
    // A bare element followed by one with data: data is re-aligned.
    let f = [
        Field::bare(FieldType::HDLC_FCS_OK),
        Field::new(FieldType::HDLC_DATA, &[1, 2]),
    ];
    let ifp = Ifp::new(Message::Data(DataType::V21), &f);
    assert_eq!(
        enc(&ifp, Packing::V1998),
        [0xC0, 0x02, 0x28, 0x00, 0x01, 1, 2]
    );
}

#[test]
fn extension_field_type_2002_only() {
    let f = [Field::new(FieldType::CM_MESSAGE, &[0xAA])];
    let ifp = Ifp::new(Message::Data(DataType::V8), &f);
    // Data v8 (ext idx 0): 1 1 1 0 000000 -> E0 00; then count 01; element: 1 1 0 000000 -> C0 00
    assert_eq!(
        enc(&ifp, Packing::V2002),
        [0xE0, 0x00, 0x01, 0xC0, 0x00, 0x00, 0x00, 0xAA]
    );
    let mut out = Vec::new();
    assert_eq!(
        ifp.encode(Packing::V1998, &mut out),
        Err(IfpError::ExtensionFieldTypeIn1998 {
            field_type: FieldType::CM_MESSAGE
        })
    );
    assert!(out.is_empty());
}

#[test]
fn malformed_inputs() {
    assert_eq!(Ifp::decode(&[], Packing::V2002), Err(IfpError::Truncated));
    // Data type root 9 does not exist.
    assert_eq!(
        Ifp::decode(&[0x52], Packing::V2002),
        Err(IfpError::UnknownRootValue {
            what: "data type",
            value: 9
        })
    );
    // Trailing octet.
    assert_eq!(
        Ifp::decode(&[0x06, 0x00], Packing::V2002),
        Err(IfpError::TrailingBytes { extra: 1 })
    );
    // Fragmented count.
    assert_eq!(
        Ifp::decode(&[0xC0, 0xC1, 0x80], Packing::V2002),
        Err(IfpError::Fragmented)
    );
    // Count 0.
    assert_eq!(
        Ifp::decode(&[0xC0, 0x00], Packing::V2002),
        Err(IfpError::EmptyDataField)
    );
    // Length says 256 octets, 1 present.
    assert_eq!(
        Ifp::decode(&[0xC0, 0x01, 0x80, 0x00, 0xFF, 0x01], Packing::V2002),
        Err(IfpError::Truncated)
    );
    // Huge count with nothing behind it is short input, not an allocation.
    assert_eq!(
        Ifp::decode(&[0xC0, 0xBF, 0xFF], Packing::V2002),
        Err(IfpError::Truncated)
    );
    // Long-form normally small number.
    assert_eq!(
        Ifp::decode(&[0x30, 0x00], Packing::V2002),
        Err(IfpError::ExtensionTooLarge { what: "indicator" })
    );
}

#[test]
fn unknown_extension_values_round_trip() {
    for p in BOTH {
        let ifp = Ifp::indicator(Indicator(70));
        let bytes = enc(&ifp, p);
        let back = Ifp::decode(&bytes, p).expect("decodes");
        assert_eq!(back.message(), Message::Indicator(Indicator(70)));
        assert_eq!(enc(&back, p), bytes);
    }
    let f = [Field::bare(FieldType(40))];
    let ifp = Ifp::new(Message::Data(DataType(60)), &f);
    let bytes = enc(&ifp, Packing::V2002);
    assert_eq!(Ifp::decode(&bytes, Packing::V2002), Ok(ifp));
}

fn arb_fields(p: Packing) -> impl Strategy<Value = RawFields> {
    let max_type = match p {
        Packing::V1998 => 7,
        Packing::V2002 => FieldType::MAX,
    };
    prop::collection::vec(
        (
            0..=max_type,
            prop::option::of(prop::collection::vec(any::<u8>(), 1..300)),
        ),
        0..6,
    )
}

fn arb_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (0..=Indicator::MAX).prop_map(|v| Message::Indicator(Indicator(v))),
        (0..=DataType::MAX).prop_map(|v| Message::Data(DataType(v))),
    ]
}

type RawFields = Vec<(u8, Option<Vec<u8>>)>;

fn arb_case() -> impl Strategy<Value = (Packing, Message, RawFields)> {
    prop_oneof![Just(Packing::V1998), Just(Packing::V2002)]
        .prop_flat_map(|p| (Just(p), arb_message(), arb_fields(p)))
}

proptest! {
    #[test]
    fn encode_decode_round_trip((p, msg, raw) in arb_case()) {
        let fields: Vec<Field<'_>> = raw
            .iter()
            .map(|(t, d)| Field { field_type: FieldType(*t), data: d.as_deref() })
            .collect();
        let ifp = Ifp::new(msg, &fields);
        let bytes = enc(&ifp, p);
        let back = Ifp::decode(&bytes, p).expect("round trip");
        prop_assert_eq!(back, ifp);
        prop_assert_eq!(back.fields().collect::<Vec<_>>(), fields.clone());
        // Every strict prefix is truncated input; one more octet is trailing garbage.
        for cut in 0..bytes.len() {
            prop_assert_eq!(Ifp::decode(&bytes[..cut], p), Err(IfpError::Truncated));
        }
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert_eq!(Ifp::decode(&longer, p), Err(IfpError::TrailingBytes { extra: 1 }));
        prop_assert_eq!(Ifp::decode_prefix(&longer, p).map(|(_, n)| n), Ok(bytes.len()));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), v2 in any::<bool>()) {
        let p = if v2 { Packing::V2002 } else { Packing::V1998 };
        if let Ok(ifp) = Ifp::decode(&bytes, p) {
            // What decodes re-encodes to something that decodes the same (padding may differ).
            let again = enc(&ifp, p);
            prop_assert_eq!(again.len(), bytes.len());
            prop_assert_eq!(Ifp::decode(&again, p), Ok(ifp));
        }
    }
}
