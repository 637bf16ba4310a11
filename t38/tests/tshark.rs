//! Wireshark (tshark) as an encoding oracle: a pcap of our UDPTL datagrams, for every error
//! recovery mode and both packings, must dissect without "Malformed Packet" when the
//! `t38.use_pre_corrigendum_asn1_specification` preference matches the version, and every
//! primary IFP, secondary count and FEC entry must read back as we meant it.

mod common;

use common::{peer_available, script, OwnedIfp};
use serde_json::Value;
use std::process::Command;
use t38::udptl::{ErrorRecovery, Sender, SenderConfig};
use t38::{DataType, FieldType, Indicator, Message, Packing};

const PORT: u16 = 38_000;

/// A classic pcap (Ethernet, IPv4, UDP, checksum 0) of `datagrams`, 20 ms apart.
fn pcap(datagrams: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    for v in [
        0xA1B2_C3D4u32.to_le_bytes().to_vec(),
        2u16.to_le_bytes().to_vec(),
        4u16.to_le_bytes().to_vec(),
    ] {
        f.extend(v);
    }
    f.extend(0i32.to_le_bytes());
    f.extend(0u32.to_le_bytes());
    f.extend(65_535u32.to_le_bytes());
    f.extend(1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for (i, d) in datagrams.iter().enumerate() {
        let udp_len = u16::try_from(8 + d.len()).expect("small");
        let ip_len = 20 + udp_len;
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        ip[2..4].copy_from_slice(&ip_len.to_be_bytes());
        let sum: u32 = ip
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        let sum = (sum & 0xFFFF) + (sum >> 16);
        let sum = !u16::try_from((sum & 0xFFFF) + (sum >> 16)).expect("folded");
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        let mut frame = vec![0u8; 12];
        frame.extend([0x08, 0x00]);
        frame.extend(ip);
        frame.extend(PORT.to_be_bytes());
        frame.extend(PORT.to_be_bytes());
        frame.extend(udp_len.to_be_bytes());
        frame.extend([0, 0]);
        frame.extend(d);
        let ts = u32::try_from(i).expect("small") * 20_000;
        f.extend((ts / 1_000_000).to_le_bytes());
        f.extend((ts % 1_000_000).to_le_bytes());
        let n = u32::try_from(frame.len()).expect("small");
        f.extend(n.to_le_bytes());
        f.extend(n.to_le_bytes());
        f.extend(frame);
    }
    f
}

fn dissect(datagrams: &[Vec<u8>], pre_corrigendum: bool, name: &str) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!("t38-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}.pcap"));
    std::fs::write(&path, pcap(datagrams)).expect("write pcap");
    let pref = format!(
        "t38.use_pre_corrigendum_asn1_specification:{}",
        if pre_corrigendum { "TRUE" } else { "FALSE" }
    );
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args([
            "-d",
            &format!("udp.port=={PORT},t38"),
            "-o",
            &pref,
            "-T",
            "json",
        ])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir(&dir);
    let v: Value = serde_json::from_slice(&out.stdout).expect("tshark JSON");
    v.as_array()
        .expect("packet list")
        .iter()
        .map(|p| p["_source"]["layers"].clone())
        .collect()
}

/// Counts "Malformed Packet" markers and expert errors anywhere in a dissection.
fn malformed(v: &Value) -> usize {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, x)| usize::from(k == "_ws.malformed") + malformed(x))
            .sum(),
        Value::Array(a) => a.iter().map(malformed).sum(),
        _ => 0,
    }
}

fn num(v: &Value) -> u8 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .expect("numeric field")
}

fn hex(s: &str) -> Vec<u8> {
    s.split(':')
        .flat_map(|p| {
            (0..p.len())
                .step_by(2)
                .map(move |i| u8::from_str_radix(&p[i..i + 2], 16).expect("hex"))
        })
        .collect()
}

/// Rebuilds an IFP from its tshark tree.
fn ifp_from_tree(t: &Value) -> OwnedIfp {
    let msg = &t["t38.type_of_msg_tree"];
    let message = match (&msg["t38.t30_indicator"], &msg["t38.t30_data"]) {
        (Value::String(_), _) => Message::Indicator(Indicator(num(&msg["t38.t30_indicator"]))),
        (_, Value::String(_)) => Message::Data(DataType(num(&msg["t38.t30_data"]))),
        _ => panic!("no type-of-msg in {t}"),
    };
    let mut fields = Vec::new();
    if let Some(items) = t["t38.data_field_tree"].as_object() {
        for i in 0..items.len() {
            let e = &items[&format!("Item {i}")]["t38.Data_Field_item_element"];
            let data = e["t38.field_data"].as_str().map(hex);
            fields.push((FieldType(num(&e["t38.field_type"])), data));
        }
    }
    OwnedIfp { message, fields }
}

fn check(packing: Packing, recovery: ErrorRecovery) {
    let script = script(packing);
    let mut tx = Sender::new(SenderConfig::new(recovery, 1400)).expect("valid");
    let dgrams: Vec<Vec<u8>> = script
        .iter()
        .map(|i| {
            tx.send_encoded(&i.encode(packing))
                .expect("sends")
                .datagram
                .to_vec()
        })
        .collect();
    let name = format!("{packing:?}-{recovery:?}").replace([' ', '{', '}', ':', ','], "");
    let pkts = dissect(&dgrams, packing == Packing::V1998, &name);
    assert_eq!(pkts.len(), script.len());
    for (i, (p, want)) in pkts.iter().zip(&script).enumerate() {
        assert_eq!(malformed(p), 0, "{name}: packet {i} malformed: {p}");
        let u = &p["t38"]["t38.UDPTLPacket_element"];
        assert_eq!(
            num(&u["t38.seq_number"]),
            u8::try_from(i).expect("small"),
            "{name}: seq"
        );
        assert_eq!(
            &ifp_from_tree(&u["t38.primary_ifp_packet_element"]),
            want,
            "{name}: packet {i}"
        );
        let er = &u["t38.error_recovery_tree"];
        match recovery {
            ErrorRecovery::None => assert_eq!(er["t38.secondary_ifp_packets"], "0"),
            ErrorRecovery::Redundancy { depth } => {
                let n = usize::from(depth).min(i);
                assert_eq!(
                    er["t38.secondary_ifp_packets"].as_str(),
                    Some(n.to_string().as_str())
                );
                let items = &er["t38.secondary_ifp_packets_tree"];
                for k in 0..n {
                    let sec =
                        &items[&format!("Item {k}")]["t38.secondary_ifp_packets_item_element"];
                    assert_eq!(
                        &ifp_from_tree(sec),
                        &script[i - 1 - k],
                        "{name}: packet {i} secondary {k}"
                    );
                }
            }
            ErrorRecovery::Fec { span, entries } => {
                let fec = &er["t38.fec_info_element"];
                let (mut sp, mut en) = (usize::from(span), usize::from(entries));
                if i < sp * en {
                    en = i / sp;
                    if i < sp {
                        sp = 0;
                    }
                }
                assert_eq!(
                    fec["t38.fec_npackets"].as_str(),
                    Some(sp.to_string().as_str()),
                    "{name}: span"
                );
                assert_eq!(
                    fec["t38.fec_data"].as_str(),
                    Some(en.to_string().as_str()),
                    "{name}: entries"
                );
            }
        }
    }
}

#[test]
fn tshark_dissects_every_mode_and_packing() {
    if !peer_available("tshark", &["-v"]) {
        return;
    }
    for packing in [Packing::V1998, Packing::V2002] {
        for rec in [
            ErrorRecovery::None,
            ErrorRecovery::Redundancy { depth: 3 },
            ErrorRecovery::Redundancy { depth: 16 },
            ErrorRecovery::Fec {
                span: 3,
                entries: 3,
            },
            ErrorRecovery::Fec {
                span: 5,
                entries: 5,
            },
        ] {
            check(packing, rec);
        }
    }
}

#[test]
fn tshark_flags_version_0_read_as_2002() {
    // The oracle can fail: our 1998 packing read with the 2002 ASN.1 is flagged (§10), so a
    // clean dissection above means something.
    if !peer_available("tshark", &["-v"]) {
        return;
    }
    let script = script(Packing::V1998);
    let mut tx = Sender::new(SenderConfig::new(ErrorRecovery::None, 1400)).expect("valid");
    let dgrams: Vec<Vec<u8>> = script
        .iter()
        .map(|i| {
            tx.send_encoded(&i.encode(Packing::V1998))
                .expect("sends")
                .datagram
                .to_vec()
        })
        .collect();
    let pkts = dissect(&dgrams, false, "wrong-pref");
    assert!(pkts.iter().map(malformed).sum::<usize>() > 0);
}
