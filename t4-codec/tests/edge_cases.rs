//! Hand-made vectors from the standards, damage handling, strictness, limits and termination.

#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)]

use t4_codec::{
    decode_image, encode, Coding, DecodeErrorKind, DecodeOptions, Decoder, Limit, Params, Progress,
};

/// Packs a string of '0'/'1' (spaces ignored) into bytes, zero-padded.
fn bits(s: &str) -> Vec<u8> {
    let v: Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| b - b'0')
        .collect();
    v.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |acc, (i, &b)| acc | (b << (7 - i)))
        })
        .collect()
}

fn pbm_params(coding: Coding, columns: u32) -> Params {
    let mut p = Params::new(coding, columns);
    p.black_is_1 = true;
    p
}

/// All rows as change lists.
fn rows_of(data: &[u8], params: &Params) -> Result<Vec<Vec<u32>>, t4_codec::DecodeError> {
    let mut dec = Decoder::new(params.clone())?;
    let mut input = data;
    let mut rows = Vec::new();
    loop {
        let (used, progress) = dec.update(input)?;
        input = &input[used..];
        match progress {
            Progress::Row(_) => rows.push(dec.changes().to_vec()),
            Progress::NeedInput => dec.end_input(),
            Progress::End => return Ok(rows),
        }
    }
}

/// T.6 Table 3 / T.4 Annex B: pels W B W W B B W W in uncompressed mode, entered from 2-D
/// coding: entry 0000001111, "01" (W B), "001" (W W B), "1" (B), exit after two whites
/// 00000000 1 and tag T = 0; then EOFB.
#[test]
fn uncompressed_mode_2d_vector_from_t6() {
    let data = bits("0000001111 01 001 1 000000001 0 000000000001 000000000001");
    let rows = rows_of(&data, &pbm_params(Coding::Mmr, 8)).expect("decodes");
    assert_eq!(rows, [vec![1, 2, 4, 6]]);
}

/// The same pels entered from 1-D coding (entry 000000001111), followed by a second MH row of
/// eight whites (10011) and RTC.
#[test]
fn uncompressed_mode_1d_vector_from_t4_annex_b() {
    let eol = "000000000001 ";
    let data = bits(&format!(
        "{eol} 000000001111 01 001 1 000000001 0 {eol} 10011 {}",
        eol.repeat(6)
    ));
    let rows = rows_of(&data, &pbm_params(Coding::Mh, 8)).expect("decodes");
    assert_eq!(rows, [vec![1, 2, 4, 6], vec![]]);
}

/// Five whites are `000001`; an exit after four whites is `0000000000 1 T` and T = 1 makes the
/// next (1-D) run black.
#[test]
fn uncompressed_mode_long_white_and_black_tag() {
    // 12 pels: 5 W ("000001"), B ("1"), 4 W then exit with T = 1, then a black run of 2 (11).
    let data = bits("000000001111 000001 1 0000000000 1 1 11");
    let rows = rows_of(&data, &pbm_params(Coding::Mh, 12)).expect("decodes");
    assert_eq!(rows, [vec![5, 6, 10]]);
}

#[test]
fn encoder_uses_uncompressed_mode_when_shorter() {
    let columns = 64;
    let checker: Vec<u8> = (0..16)
        .map(|r| if r % 2 == 0 { 0xAA } else { 0x55 })
        .flat_map(|b| vec![b; 8])
        .collect();
    for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mmr] {
        let mut p = pbm_params(coding, columns);
        let plain = encode(&p, &checker).expect("encode");
        p.uncompressed = true;
        let raw = encode(&p, &checker).expect("encode");
        assert!(
            raw.len() < plain.len(),
            "{coding:?}: {} vs {}",
            raw.len(),
            plain.len()
        );
        p.rows = 16;
        let image = decode_image(&raw, &p, DecodeOptions::default()).expect("decode");
        assert_eq!(image.data, checker);
    }
}

/// MH with EOLs: a damaged row is concealed, counted, and the next EOL resynchronises.
#[test]
fn damaged_mh_row_is_concealed_and_counted() {
    let columns = 64;
    let rows = 40;
    let mut pels = vec![0u8; 8 * rows];
    for (i, b) in pels.iter_mut().enumerate() {
        *b = if (i / 8) % 3 == 0 {
            0x0F
        } else {
            (i as u8).wrapping_mul(37) & 0xF0
        };
    }
    let mut p = pbm_params(Coding::Mh, columns);
    p.end_of_line = true;
    let mut coded = encode(&p, &pels).expect("encode");
    let mid = coded.len() / 2;
    coded[mid] ^= 0xFF;
    p.rows = rows as u32;
    let image = decode_image(&coded, &p, DecodeOptions::default()).expect("lenient decode");
    assert_eq!(image.rows, rows as u32);
    assert!(
        image.bad_rows >= 1 && image.bad_rows <= 3,
        "bad rows {}",
        image.bad_rows
    );
    let differing = (0..rows)
        .filter(|&r| image.data[r * 8..r * 8 + 8] != pels[r * 8..r * 8 + 8])
        .count();
    assert!(differing <= 3, "{differing} rows differ");

    // Strict mode fails at the damage, with the rows before it.
    let mut strict = DecodeOptions::default();
    strict.strict = true;
    let err = decode_image(&coded, &p, strict).expect_err("strict");
    assert_eq!(err.error.kind, DecodeErrorKind::DamagedRows);
    assert!(err.partial.rows > 10 && err.partial.rows < 30);
    // DamagedRowsBeforeError lets a few through.
    p.damaged_rows_before_error = 3;
    assert!(decode_image(&coded, &p, strict).is_ok());
}

#[test]
fn truncated_mmr_reports_rows_decoded() {
    let columns = 104;
    let pels: Vec<u8> = (0..13 * 50).map(|i| (i * 7 % 251) as u8 & 0x3C).collect();
    let p = pbm_params(Coding::Mmr, columns);
    let coded = encode(&p, &pels).expect("encode");
    let cut = &coded[..coded.len() / 2];
    let err = decode_image(cut, &p, DecodeOptions::default()).expect_err("truncated");
    assert_eq!(err.error.kind, DecodeErrorKind::Truncated);
    assert_eq!(err.error.rows, err.partial.rows);
    assert!(err.partial.rows > 5);
    assert_eq!(err.partial.data[..], pels[..err.partial.data.len()]);
    // With the height known, lenient mode conceals the missing rows as white.
    let mut known = p.clone();
    known.rows = 50;
    let image = decode_image(cut, &known, DecodeOptions::default()).expect("concealed");
    assert_eq!(image.rows, 50);
    assert_eq!(image.bad_rows, 50 - err.partial.rows);
}

/// PDF: with EndOfBlock, a /Rows smaller than the data does not truncate; without, it does.
#[test]
fn rows_smaller_than_data_does_not_truncate() {
    let pels = vec![0x81u8; 10];
    let mut p = pbm_params(Coding::Mmr, 8);
    let coded = encode(&p, &pels).expect("encode");
    p.rows = 4;
    assert_eq!(
        decode_image(&coded, &p, DecodeOptions::default())
            .expect("decode")
            .rows,
        10
    );
    p.end_of_block = false;
    assert_eq!(
        decode_image(&coded, &p, DecodeOptions::default())
            .expect("decode")
            .rows,
        4
    );
}

/// Data after RTC is not taken from the caller's input.
#[test]
fn stops_at_rtc_and_leaves_the_rest() {
    let mut p = pbm_params(Coding::Mr { k: 2 }, 16);
    p.end_of_line = true;
    let mut coded = encode(&p, &[0x12, 0x34, 0x56, 0x78, 0, 0]).expect("encode");
    let len = coded.len();
    coded.extend_from_slice(&[0xDE; 100_000]);
    let mut dec = Decoder::new(p).expect("decoder");
    let mut input = &coded[..];
    let mut rows = 0;
    loop {
        let (used, progress) = dec.update(input).expect("decodes");
        input = &input[used..];
        match progress {
            Progress::Row(_) => rows += 1,
            Progress::NeedInput => dec.end_input(),
            Progress::End => break,
        }
    }
    assert_eq!(rows, 3);
    // Everything taken was buffered in chunks; the trailing bytes were never all consumed.
    assert!(coded.len() - input.len() < len + 70_000);
    assert_eq!(dec.update(&[1, 2, 3]).expect("ended"), (0, Progress::End));
}

#[test]
fn parameters_are_checked_before_anything_else() {
    let zero = Params::new(Coding::Mmr, 0);
    assert!(matches!(
        Decoder::new(zero).map(|_| ()).unwrap_err().kind,
        DecodeErrorKind::Params(_)
    ));
    let wide = Params::new(Coding::Mmr, 1_000_000);
    let err = Decoder::new(wide).map(|_| ()).unwrap_err();
    assert_eq!(err.kind, DecodeErrorKind::Limit(Limit::Columns));
    assert!(err.is_limit());
}

/// 4 KiB of 0xFF is 32,768 rows of V0 in MMR: the row and output limits stop it.
#[test]
fn expansion_is_bounded_by_limits() {
    let data = vec![0xFFu8; 4096];
    let mut p = Params::new(Coding::Mmr, 1728);
    let mut options = DecodeOptions::default();
    options.limits.max_rows = 1000;
    let err = decode_image(&data, &p, options).expect_err("rows");
    assert_eq!(err.error.kind, DecodeErrorKind::Limit(Limit::Rows));
    assert_eq!(err.partial.rows, 1000);
    p.columns = 65_536;
    let mut options = DecodeOptions::default();
    options.limits.max_output_bytes = 1 << 20;
    let err = decode_image(&data, &p, options).expect_err("bytes");
    assert_eq!(err.error.kind, DecodeErrorKind::Limit(Limit::OutputBytes));
    assert!(err.partial.data.len() <= 1 << 20);
}

/// Too many consecutive damaged rows is an error even in lenient mode.
#[test]
fn consecutive_damage_limit() {
    let eol = "000000000001";
    // Every "row" is an EOL followed by an invalid code (eight zeros then 1).
    let data = bits(&format!(
        "{eol} 10011 {}",
        format!("{eol} 00000000 1 ").repeat(20)
    ));
    let p = pbm_params(Coding::Mh, 8);
    let mut options = DecodeOptions::default();
    options.limits.max_consecutive_bad_rows = 5;
    let err = decode_image(&data, &p, options).expect_err("limit");
    assert_eq!(
        err.error.kind,
        DecodeErrorKind::Limit(Limit::ConsecutiveBadRows)
    );
}

#[test]
fn a_poisoned_decoder_refuses_input() {
    let mut dec = Decoder::new(pbm_params(Coding::Mmr, 8)).expect("decoder");
    dec.end_input();
    assert!(dec.update(&[0x00, 0x80, 0, 0]).is_err());
    assert_eq!(dec.update(&[]).unwrap_err().kind, DecodeErrorKind::Poisoned);
}
