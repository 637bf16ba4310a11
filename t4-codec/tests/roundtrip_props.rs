//! Property tests: decode(encode(x)) == x for every coding and option, the same rows however
//! the input is split, transcoding equal to re-encoding, and packing rows equal to a pel-by-pel
//! fill.

#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)]

use proptest::prelude::*;
use t4_codec::{
    decode_image, encode, transcode, Coding, DecodeOptions, Decoder, FillOrder, Limits, Params,
    Progress,
};

/// A random page: columns, rows, packed pels (1 = black).
fn page() -> impl Strategy<Value = (u32, u32, Vec<u8>)> {
    (1u32..300, 1u32..8, 0u8..4).prop_flat_map(|(columns, rows, style)| {
        let row_bytes = columns.div_ceil(8) as usize;
        let len = row_bytes * rows as usize;
        let bytes = match style {
            // Noise of several densities.
            0 => prop::collection::vec(any::<u8>(), len).boxed(),
            1 => {
                prop::collection::vec(prop::sample::select(vec![0u8, 0, 0, 0x10, 0xFF, 0x0F]), len)
                    .boxed()
            }
            // Mostly white or mostly black.
            2 => {
                prop::collection::vec(prop::sample::select(vec![0u8, 0, 0, 0, 0, 0x80, 0x01]), len)
                    .boxed()
            }
            _ => prop::collection::vec(
                prop::sample::select(vec![0xFFu8, 0xFF, 0xFF, 0xFE, 0x7F, 0]),
                len,
            )
            .boxed(),
        };
        (Just(columns), Just(rows), bytes)
    })
}

fn coding() -> impl Strategy<Value = Coding> {
    prop_oneof![
        Just(Coding::Mh),
        (1u32..6).prop_map(|k| Coding::Mr { k }),
        Just(Coding::Mmr)
    ]
}

/// Random encoder options for a coding.
fn params(coding: Coding, columns: u32) -> impl Strategy<Value = Params> {
    (any::<[bool; 7]>(), 0u32..400).prop_map(move |(f, min_row_bits)| {
        let mut p = Params::new(coding, columns);
        p.end_of_line = f[0] || (coding == Coding::Mh && !f[1] && !f[6]);
        p.encoded_byte_align = f[1];
        p.encoded_word_align = !f[1] && f[6] && coding == Coding::Mh;
        p.end_of_block = f[2];
        p.black_is_1 = f[3];
        p.fill_order = if f[4] {
            FillOrder::LsbFirst
        } else {
            FillOrder::MsbFirst
        };
        p.uncompressed = f[5];
        p.eol_fill = f[0] && f[5];
        p.min_row_bits = if f[6] { min_row_bits } else { 0 };
        p
    })
}

fn case() -> impl Strategy<Value = (Params, u32, Vec<u8>)> {
    (page(), coding()).prop_flat_map(|((columns, rows, mut pels), coding)| {
        clear_padding(&mut pels, columns);
        params(coding, columns).prop_map(move |p| (p, rows, pels.clone()))
    })
}

/// Padding bits after `columns` carry nothing and decode as 0.
fn clear_padding(pels: &mut [u8], columns: u32) {
    let row_bytes = columns.div_ceil(8) as usize;
    let tail = columns % 8;
    if tail != 0 {
        for row in pels.chunks_mut(row_bytes) {
            row[row_bytes - 1] &= 0xFFu8 << (8 - tail);
        }
    }
}

/// Decodes with the input cut at the given points; returns rows (packed) and bad-row count.
fn decode_split(data: &[u8], params: &Params, cuts: &[usize]) -> (Vec<u8>, u32) {
    let mut dec = Decoder::new(params.clone()).expect("decoder");
    let mut out = Vec::new();
    let mut row = vec![0u8; params.row_bytes()];
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    bounds.push(data.len());
    bounds.sort_unstable();
    let mut start = 0;
    for end in bounds {
        let mut chunk = &data[start..end];
        start = end;
        loop {
            let (used, progress) = dec.update(chunk).expect("decodes");
            chunk = &chunk[used..];
            match progress {
                Progress::Row(_) => {
                    dec.write_row(&mut row);
                    out.extend_from_slice(&row);
                }
                Progress::NeedInput => break,
                Progress::End => return (out, dec.bad_rows()),
            }
        }
        assert!(chunk.is_empty());
    }
    dec.end_input();
    loop {
        let (_, progress) = dec.update(&[]).expect("decodes");
        match progress {
            Progress::Row(_) => {
                dec.write_row(&mut row);
                out.extend_from_slice(&row);
            }
            Progress::NeedInput => unreachable!("no more input after end_input"),
            Progress::End => return (out, dec.bad_rows()),
        }
    }
}

/// Packed pels in the polarity `params` asks for.
fn in_polarity(pels: &[u8], params: &Params) -> Vec<u8> {
    let mut v: Vec<u8> = if params.black_is_1 {
        pels.to_vec()
    } else {
        pels.iter().map(|b| !b).collect()
    };
    clear_padding(&mut v, params.columns);
    v
}

/// The pels of a change list, one at a time: the colour flips at every listed position
/// below `columns` (a repeated position flips twice).
fn naive_fill(changes: &[u32], columns: u32) -> Vec<u8> {
    let mut out = vec![0u8; (columns as usize).div_ceil(8)];
    for x in 0..columns {
        let flips = changes.iter().filter(|&&c| c <= x && c < columns).count();
        if flips % 2 == 1 {
            out[x as usize / 8] |= 0x80 >> (x % 8);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every span shape (inside a word, across words, longer than a word, in the partial last
    /// word) gives the pels a pel-by-pel fill gives, whatever was in the buffer before.
    #[test]
    fn packing_equals_pel_by_pel(
        columns in 1u32..400,
        mut changes in proptest::collection::vec(0u32..420, 0..40),
        junk in any::<u8>(),
    ) {
        changes.sort_unstable();
        // Only non-decreasing lists are change lists; positions past the row are ignored.
        let mut out = vec![junk; (columns as usize).div_ceil(8) + 3];
        t4_codec::changes_to_packed(&changes, columns, true, &mut out);
        let want = naive_fill(&changes, columns);
        prop_assert_eq!(&out[..want.len()], &want[..]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn decode_inverts_encode((params, rows, pels) in case()) {
        let input = in_polarity(&pels, &params);
        let coded = encode(&params, &input).expect("encode");
        let mut dp = params.clone();
        dp.rows = rows;
        let image = decode_image(&coded, &dp, DecodeOptions::default()).expect("decode");
        prop_assert_eq!(image.rows, rows);
        prop_assert_eq!(image.bad_rows, 0);
        prop_assert_eq!(image.data, input.clone());
        // Unknown height: the stream alone says where it ends.
        if params.end_of_block || params.coding() != Coding::Mmr {
            dp.rows = 0;
            let image = decode_image(&coded, &dp, DecodeOptions::default()).expect("decode");
            prop_assert_eq!(image.data, input);
        }
    }

    #[test]
    fn split_anywhere_gives_the_same_rows(
        (params, _rows, pels) in case(),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let input = in_polarity(&pels, &params);
        let coded = encode(&params, &input).expect("encode");
        let whole = decode_split(&coded, &params, &[]);
        prop_assert_eq!(&whole.0, &input);
        prop_assert_eq!(decode_split(&coded, &params, &cuts), whole);
    }

    #[test]
    fn transcoding_equals_reencoding(
        (from, _rows, pels) in case(),
        to_coding in coding(),
    ) {
        let input = in_polarity(&pels, &from);
        let coded = encode(&from, &input).expect("encode");
        let mut to = Params::new(to_coding, from.columns);
        to.black_is_1 = from.black_is_1;
        to.end_of_block = true;
        let (out, bad) = transcode(&coded, &from, &to, Limits::default()).expect("transcode");
        prop_assert_eq!(bad, 0);
        prop_assert_eq!(out, encode(&to, &input).expect("encode"));
    }
}

#[test]
fn byte_at_a_time_equals_whole_on_a_real_size_page() {
    let columns = 1728;
    let mut pels = vec![0u8; 216 * 50];
    for (i, b) in pels.iter_mut().enumerate() {
        *b = (i as u32).wrapping_mul(2654435761).rotate_left(7) as u8 & 0x81;
    }
    for coding in [Coding::Mh, Coding::Mr { k: 4 }, Coding::Mmr] {
        let mut p = Params::new(coding, columns);
        p.black_is_1 = true;
        p.end_of_line = coding != Coding::Mmr;
        let coded = encode(&p, &pels).expect("encode");
        let cuts: Vec<usize> = (0..coded.len()).collect();
        assert_eq!(decode_split(&coded, &p, &cuts), (pels.clone(), 0));
    }
}
