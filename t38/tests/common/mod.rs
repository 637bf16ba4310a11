//! Shared by the peer tests: finding a peer, and a script of IFPs that covers every packet
//! shape a terminal or gateway sends.

#![allow(dead_code)] // each test file uses a different part

use std::process::Command;
use t38::{DataType, Field, FieldType, Ifp, Indicator, Message, Packing};

/// True if `FAXKIT_REQUIRE_PEERS=1`: a missing peer is then a failure, not a skip.
pub(crate) fn peers_required() -> bool {
    std::env::var("FAXKIT_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Checks that `program --version`-style `args` runs; prints a skip note (or panics when
/// peers are required) if it does not.
pub(crate) fn peer_available(program: &str, args: &[&str]) -> bool {
    match Command::new(program).args(args).output() {
        Ok(o) if o.status.success() => true,
        _ => {
            assert!(
                !peers_required(),
                "{program} is required (FAXKIT_REQUIRE_PEERS=1) but not runnable"
            );
            eprintln!("note: {program} not found; peer test skipped");
            false
        }
    }
}

/// A real T.30 DIS frame (address, control, FCF, FIF) as spandsp sends it, and a CSI.
pub(crate) const DIS: &[u8] = &[
    0xFF, 0x13, 0x80, 0x00, 0xEE, 0xF8, 0x80, 0x80, 0x89, 0x80, 0x80, 0x80, 0x18,
];
pub(crate) const CSI: &[u8] = &[
    0xFF, 0x03, 0x40, 0x04, 0x4C, 0x2C, 0x8C, 0x0C, 0xF4, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
    0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04,
];

/// One IFP of the script, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OwnedIfp {
    pub(crate) message: Message,
    pub(crate) fields: Vec<(FieldType, Option<Vec<u8>>)>,
}

impl OwnedIfp {
    pub(crate) fn encode(&self, p: Packing) -> Vec<u8> {
        let fields: Vec<Field<'_>> = self
            .fields
            .iter()
            .map(|(t, d)| Field {
                field_type: *t,
                data: d.as_deref(),
            })
            .collect();
        let mut out = Vec::new();
        Ifp::new(self.message, &fields)
            .encode(p, &mut out)
            .expect("script IFPs encode");
        out
    }

    pub(crate) fn from_ifp(ifp: &Ifp<'_>) -> OwnedIfp {
        OwnedIfp {
            message: ifp.message(),
            fields: ifp
                .fields()
                .map(|f| (f.field_type, f.data.map(<[u8]>::to_vec)))
                .collect(),
        }
    }
}

fn ind(i: Indicator) -> OwnedIfp {
    OwnedIfp {
        message: Message::Indicator(i),
        fields: vec![],
    }
}

fn data(d: DataType, fields: &[(FieldType, Option<&[u8]>)]) -> OwnedIfp {
    OwnedIfp {
        message: Message::Data(d),
        fields: fields
            .iter()
            .map(|(t, x)| (*t, x.map(<[u8]>::to_vec)))
            .collect(),
    }
}

/// A call's worth of IFP shapes: indicators, HDLC frames split over packets and in one packet,
/// every frame-end kind, non-ECM image data, and (2002 only) extension values.
pub(crate) fn script(p: Packing) -> Vec<OwnedIfp> {
    use FieldType as F;
    let mut s = vec![
        ind(Indicator::CNG),
        ind(Indicator::CED),
        ind(Indicator::V21_PREAMBLE),
    ];
    // CSI in 3-octet pieces, then fcs-OK; DIS whole with fcs-OK-sig-end.
    for chunk in CSI.chunks(3) {
        s.push(data(DataType::V21, &[(F::HDLC_DATA, Some(chunk))]));
    }
    s.push(data(DataType::V21, &[(F::HDLC_FCS_OK, None)]));
    s.push(data(
        DataType::V21,
        &[(F::HDLC_DATA, Some(DIS)), (F::HDLC_FCS_OK_SIG_END, None)],
    ));
    s.push(ind(Indicator::NO_SIGNAL));
    s.push(ind(Indicator::V17_14400_LONG_TRAINING));
    let image: Vec<u8> = (0..54u8).map(|i| i.wrapping_mul(37)).collect();
    for _ in 0..3 {
        s.push(data(
            DataType::V17_14400,
            &[(F::T4_NON_ECM_DATA, Some(&image))],
        ));
    }
    s.push(data(
        DataType::V17_14400,
        &[
            (F::T4_NON_ECM_DATA, Some(&image[..10])),
            (F::T4_NON_ECM_SIG_END, None),
        ],
    ));
    s.push(ind(Indicator::V21_PREAMBLE));
    s.push(data(
        DataType::V21,
        &[
            (F::HDLC_DATA, Some(DIS)),
            (F::HDLC_FCS_BAD, None),
            (F::HDLC_SIG_END, None),
        ],
    ));
    s.push(data(
        DataType::V21,
        &[(F::HDLC_DATA, Some(DIS)), (F::HDLC_FCS_BAD_SIG_END, None)],
    ));
    for d in [
        DataType::V27_2400,
        DataType::V27_4800,
        DataType::V29_7200,
        DataType::V29_9600,
        DataType::V17_7200,
    ] {
        s.push(data(d, &[(F::T4_NON_ECM_DATA, Some(&image[..20]))]));
    }
    for i in 0..16 {
        s.push(ind(Indicator(i)));
    }
    if p == Packing::V2002 {
        for i in 16..=22 {
            s.push(ind(Indicator(i)));
        }
        s.push(data(
            DataType::V8,
            &[(F::CM_MESSAGE, Some(&[0xE0, 0xC1, 0x05, 0x14]))],
        ));
        s.push(data(
            DataType::V34_PRI_RATE,
            &[(F::V34RATE, Some(&[0x31, 0x34, 0x34]))],
        ));
        s.push(data(
            DataType::V33_14400,
            &[(F::T4_NON_ECM_DATA, Some(&image))],
        ));
    }
    s
}
