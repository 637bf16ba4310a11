//! Code tables of ITU-T T.4 (Tables 1 to 3, the extended make-up codes of Table 3 and the 2-D
//! mode codes of Table 4) and T.4 Annex B / T.6 Table 3 (uncompressed mode), plus the decode
//! lookup tables built from them at compile time.
//!
//! Codes are stored as `(bits, length)` with the first transmitted bit as the most significant
//! of `length` bits.

// The compile-time table builders index with small constants; nothing truncates.
#![allow(clippy::cast_possible_truncation)]

/// A code word: its bits (right-aligned, first bit most significant) and its length in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Code {
    pub(crate) bits: u16,
    pub(crate) len: u8,
}

const fn c(bits: u16, len: u8) -> Code {
    Code { bits, len }
}

/// Terminating codes for white runs of 0..=63 pels (T.4 Table 2).
pub(crate) const WHITE_TERM: [Code; 64] = [
    c(0b00110101, 8),
    c(0b000111, 6),
    c(0b0111, 4),
    c(0b1000, 4),
    c(0b1011, 4),
    c(0b1100, 4),
    c(0b1110, 4),
    c(0b1111, 4),
    c(0b10011, 5),
    c(0b10100, 5),
    c(0b00111, 5),
    c(0b01000, 5),
    c(0b001000, 6),
    c(0b000011, 6),
    c(0b110100, 6),
    c(0b110101, 6),
    c(0b101010, 6),
    c(0b101011, 6),
    c(0b0100111, 7),
    c(0b0001100, 7),
    c(0b0001000, 7),
    c(0b0010111, 7),
    c(0b0000011, 7),
    c(0b0000100, 7),
    c(0b0101000, 7),
    c(0b0101011, 7),
    c(0b0010011, 7),
    c(0b0100100, 7),
    c(0b0011000, 7),
    c(0b00000010, 8),
    c(0b00000011, 8),
    c(0b00011010, 8),
    c(0b00011011, 8),
    c(0b00010010, 8),
    c(0b00010011, 8),
    c(0b00010100, 8),
    c(0b00010101, 8),
    c(0b00010110, 8),
    c(0b00010111, 8),
    c(0b00101000, 8),
    c(0b00101001, 8),
    c(0b00101010, 8),
    c(0b00101011, 8),
    c(0b00101100, 8),
    c(0b00101101, 8),
    c(0b00000100, 8),
    c(0b00000101, 8),
    c(0b00001010, 8),
    c(0b00001011, 8),
    c(0b01010010, 8),
    c(0b01010011, 8),
    c(0b01010100, 8),
    c(0b01010101, 8),
    c(0b00100100, 8),
    c(0b00100101, 8),
    c(0b01011000, 8),
    c(0b01011001, 8),
    c(0b01011010, 8),
    c(0b01011011, 8),
    c(0b01001010, 8),
    c(0b01001011, 8),
    c(0b00110010, 8),
    c(0b00110011, 8),
    c(0b00110100, 8),
];

/// Terminating codes for black runs of 0..=63 pels (T.4 Table 2).
pub(crate) const BLACK_TERM: [Code; 64] = [
    c(0b0000110111, 10),
    c(0b010, 3),
    c(0b11, 2),
    c(0b10, 2),
    c(0b011, 3),
    c(0b0011, 4),
    c(0b0010, 4),
    c(0b00011, 5),
    c(0b000101, 6),
    c(0b000100, 6),
    c(0b0000100, 7),
    c(0b0000101, 7),
    c(0b0000111, 7),
    c(0b00000100, 8),
    c(0b00000111, 8),
    c(0b000011000, 9),
    c(0b0000010111, 10),
    c(0b0000011000, 10),
    c(0b0000001000, 10),
    c(0b00001100111, 11),
    c(0b00001101000, 11),
    c(0b00001101100, 11),
    c(0b00000110111, 11),
    c(0b00000101000, 11),
    c(0b00000010111, 11),
    c(0b00000011000, 11),
    c(0b000011001010, 12),
    c(0b000011001011, 12),
    c(0b000011001100, 12),
    c(0b000011001101, 12),
    c(0b000001101000, 12),
    c(0b000001101001, 12),
    c(0b000001101010, 12),
    c(0b000001101011, 12),
    c(0b000011010010, 12),
    c(0b000011010011, 12),
    c(0b000011010100, 12),
    c(0b000011010101, 12),
    c(0b000011010110, 12),
    c(0b000011010111, 12),
    c(0b000001101100, 12),
    c(0b000001101101, 12),
    c(0b000011011010, 12),
    c(0b000011011011, 12),
    c(0b000001010100, 12),
    c(0b000001010101, 12),
    c(0b000001010110, 12),
    c(0b000001010111, 12),
    c(0b000001100100, 12),
    c(0b000001100101, 12),
    c(0b000001010010, 12),
    c(0b000001010011, 12),
    c(0b000000100100, 12),
    c(0b000000110111, 12),
    c(0b000000111000, 12),
    c(0b000000100111, 12),
    c(0b000000101000, 12),
    c(0b000001011000, 12),
    c(0b000001011001, 12),
    c(0b000000101011, 12),
    c(0b000000101100, 12),
    c(0b000001011010, 12),
    c(0b000001100110, 12),
    c(0b000001100111, 12),
];

/// Make-up codes for white runs of 64..=1728 pels in steps of 64 (T.4 Table 3), index
/// `run / 64 - 1`.
pub(crate) const WHITE_MAKEUP: [Code; 27] = [
    c(0b11011, 5),
    c(0b10010, 5),
    c(0b010111, 6),
    c(0b0110111, 7),
    c(0b00110110, 8),
    c(0b00110111, 8),
    c(0b01100100, 8),
    c(0b01100101, 8),
    c(0b01101000, 8),
    c(0b01100111, 8),
    c(0b011001100, 9),
    c(0b011001101, 9),
    c(0b011010010, 9),
    c(0b011010011, 9),
    c(0b011010100, 9),
    c(0b011010101, 9),
    c(0b011010110, 9),
    c(0b011010111, 9),
    c(0b011011000, 9),
    c(0b011011001, 9),
    c(0b011011010, 9),
    c(0b011011011, 9),
    c(0b010011000, 9),
    c(0b010011001, 9),
    c(0b010011010, 9),
    c(0b011000, 6),
    c(0b010011011, 9),
];

/// Make-up codes for black runs of 64..=1728 pels in steps of 64 (T.4 Table 3).
pub(crate) const BLACK_MAKEUP: [Code; 27] = [
    c(0b0000001111, 10),
    c(0b000011001000, 12),
    c(0b000011001001, 12),
    c(0b000001011011, 12),
    c(0b000000110011, 12),
    c(0b000000110100, 12),
    c(0b000000110101, 12),
    c(0b0000001101100, 13),
    c(0b0000001101101, 13),
    c(0b0000001001010, 13),
    c(0b0000001001011, 13),
    c(0b0000001001100, 13),
    c(0b0000001001101, 13),
    c(0b0000001110010, 13),
    c(0b0000001110011, 13),
    c(0b0000001110100, 13),
    c(0b0000001110101, 13),
    c(0b0000001110110, 13),
    c(0b0000001110111, 13),
    c(0b0000001010010, 13),
    c(0b0000001010011, 13),
    c(0b0000001010100, 13),
    c(0b0000001010101, 13),
    c(0b0000001011010, 13),
    c(0b0000001011011, 13),
    c(0b0000001100100, 13),
    c(0b0000001100101, 13),
];

/// Extended make-up codes for runs of 1792..=2560 pels of either colour (T.4 Table 3,
/// continued), index `run / 64 - 28`.
pub(crate) const EXT_MAKEUP: [Code; 13] = [
    c(0b00000001000, 11),
    c(0b00000001100, 11),
    c(0b00000001101, 11),
    c(0b000000010010, 12),
    c(0b000000010011, 12),
    c(0b000000010100, 12),
    c(0b000000010101, 12),
    c(0b000000010110, 12),
    c(0b000000010111, 12),
    c(0b000000011100, 12),
    c(0b000000011101, 12),
    c(0b000000011110, 12),
    c(0b000000011111, 12),
];

/// End of line: eleven 0 bits and a 1.
pub(crate) const EOL: Code = c(0b000000000001, 12);
/// Entry into uncompressed mode from 1-D coding (T.4 Annex B): `000000001111`.
pub(crate) const UNCOMPRESSED_1D: Code = c(0b000000001111, 12);
/// Entry into uncompressed mode from 2-D coding (extension `0000001` + `111`).
pub(crate) const UNCOMPRESSED_2D: Code = c(0b0000001111, 10);

/// 2-D mode codes (T.4 Table 4).
pub(crate) const PASS: Code = c(0b0001, 4);
pub(crate) const HORIZONTAL: Code = c(0b001, 3);
/// Vertical mode codes for `a1 - b1` = -3..=3, index `delta + 3`.
pub(crate) const VERTICAL: [Code; 7] = [
    c(0b0000010, 7),
    c(0b000010, 6),
    c(0b010, 3),
    c(0b1, 1),
    c(0b011, 3),
    c(0b000011, 6),
    c(0b0000011, 7),
];

/// Bits looked up at once for a white run code.
pub(crate) const WHITE_PEEK: u32 = 12;
/// Bits looked up at once for a black run code.
pub(crate) const BLACK_PEEK: u32 = 13;
/// Bits looked up at once for a 2-D mode code.
pub(crate) const MODE_PEEK: u32 = 7;

/// Run table entry: `len << 12 | value`. `len == 0` means no valid code starts with these
/// bits. `value` is the run length (0..=2560), or one of the markers below.
pub(crate) type RunEntry = u16;
/// Marker value: the code is an EOL.
pub(crate) const RUN_EOL: u16 = 0xFFF;
/// Marker value: the code enters uncompressed mode.
pub(crate) const RUN_UNCOMPRESSED: u16 = 0xFFE;

const fn fill_run(table: &mut [RunEntry], peek: u32, code: Code, value: u16) {
    let shift = peek - code.len as u32;
    let start = (code.bits as usize) << shift;
    let end = start + (1usize << shift);
    let mut i = start;
    while i < end {
        table[i] = ((code.len as u16) << 12) | value;
        i += 1;
    }
}

const fn build_run_table<const N: usize>(
    peek: u32,
    term: &[Code; 64],
    makeup: &[Code; 27],
) -> [RunEntry; N] {
    let mut t = [0u16; N];
    let mut i = 0;
    while i < 64 {
        fill_run(&mut t, peek, term[i], i as u16);
        i += 1;
    }
    i = 0;
    while i < 27 {
        fill_run(&mut t, peek, makeup[i], ((i + 1) * 64) as u16);
        i += 1;
    }
    i = 0;
    while i < 13 {
        fill_run(&mut t, peek, EXT_MAKEUP[i], ((i + 28) * 64) as u16);
        i += 1;
    }
    fill_run(&mut t, peek, EOL, RUN_EOL);
    fill_run(&mut t, peek, UNCOMPRESSED_1D, RUN_UNCOMPRESSED);
    t
}

/// White run codes, indexed by the next [`WHITE_PEEK`] bits.
pub(crate) static WHITE_TABLE: [RunEntry; 1 << WHITE_PEEK] =
    build_run_table::<{ 1 << WHITE_PEEK }>(WHITE_PEEK, &WHITE_TERM, &WHITE_MAKEUP);
/// Black run codes, indexed by the next [`BLACK_PEEK`] bits.
pub(crate) static BLACK_TABLE: [RunEntry; 1 << BLACK_PEEK] =
    build_run_table::<{ 1 << BLACK_PEEK }>(BLACK_PEEK, &BLACK_TERM, &BLACK_MAKEUP);

/// Bits looked up at once for two runs in a row (see [`PAIR_TABLE`]).
pub(crate) const PAIR_PEEK: u32 = 12;

/// Pair table entry: `len << 12 | second << 6 | first`, where `len` is the bits of both codes
/// together; 0 means the next [`PAIR_PEEK`] bits do not start with two terminating codes.
pub(crate) type PairEntry = u16;

/// Looks up the code at the top of the `PAIR_PEEK`-bit `bits` in a run table indexed by
/// `peek` bits (`peek >= PAIR_PEEK`; the missing low bits read as 0).
const fn run_entry(table: &[RunEntry], peek: u32, bits: usize) -> (u32, u16) {
    let e = if peek >= PAIR_PEEK {
        table[bits << (peek - PAIR_PEEK)]
    } else {
        table[bits >> (PAIR_PEEK - peek)]
    };
    ((e >> 12) as u32, e & 0xFFF)
}

/// Two terminating codes per lookup, the first of colour `black_first` and the second of the
/// other colour, when both codes together fit in [`PAIR_PEEK`] bits. Text pages are mostly
/// such pairs (short gaps and strokes), and one lookup instead of two halves the table-load
/// latency chain of MH rows and of 2-D horizontal mode.
///
/// Built from [`WHITE_TABLE`] and [`BLACK_TABLE`] themselves, so a pair means exactly what the
/// two single lookups mean: the codes are prefix-free, so a code that ends within the known
/// bits is the same whatever bits follow.
const fn build_pair_table(black_first: bool) -> [PairEntry; 1 << PAIR_PEEK] {
    let (t1, p1, t2, p2): (&[RunEntry], u32, &[RunEntry], u32) = if black_first {
        (&BLACK_TABLE, BLACK_PEEK, &WHITE_TABLE, WHITE_PEEK)
    } else {
        (&WHITE_TABLE, WHITE_PEEK, &BLACK_TABLE, BLACK_PEEK)
    };
    let mut t = [0u16; 1 << PAIR_PEEK];
    let mut i = 0;
    while i < (1 << PAIR_PEEK) {
        let (len1, run1) = run_entry(t1, p1, i);
        if len1 != 0 && run1 < 64 && len1 < PAIR_PEEK {
            let rest = (i << len1) & ((1 << PAIR_PEEK) - 1);
            let (len2, run2) = run_entry(t2, p2, rest);
            if len2 != 0 && run2 < 64 && len1 + len2 <= PAIR_PEEK {
                t[i] = (((len1 + len2) as u16) << 12) | (run2 << 6) | run1;
            }
        }
        i += 1;
    }
    t
}

/// A white run and the black run after it; see [`build_pair_table`].
pub(crate) static PAIR_TABLE: [PairEntry; 1 << PAIR_PEEK] = build_pair_table(false);
/// A black run and the white run after it (2-D horizontal mode from a black a0).
pub(crate) static BLACK_PAIR_TABLE: [PairEntry; 1 << PAIR_PEEK] = build_pair_table(true);

/// Mode table entry kinds (low four bits of an entry; the code length is the high four).
/// Kinds 0 to 6 are vertical modes with `a1 - b1 = kind - 3`, so the common case is one
/// comparison.
pub(crate) const MODE_VERTICAL_MAX: u8 = 6;
/// Pass mode.
pub(crate) const MODE_PASS: u8 = 7;
/// Horizontal mode.
pub(crate) const MODE_HORIZONTAL: u8 = 8;
/// `0000001`: an extension code follows (3 more bits).
pub(crate) const MODE_EXTENSION: u8 = 9;
/// `0000000`: an EOL, or an invalid code.
pub(crate) const MODE_ZEROS: u8 = 10;

const fn mode_entry(kind: u8, len: u8) -> u8 {
    (len << 4) | kind
}

const fn build_mode_table() -> [u8; 1 << MODE_PEEK] {
    let mut t = [0u8; 1 << MODE_PEEK];
    let mut i = 0;
    while i < (1 << MODE_PEEK) {
        t[i] = if i >= 0b1000000 {
            mode_entry(3, 1) // V0
        } else if i >= 0b0110000 {
            mode_entry(4, 3) // VR1
        } else if i >= 0b0100000 {
            mode_entry(2, 3) // VL1
        } else if i >= 0b0010000 {
            mode_entry(MODE_HORIZONTAL, 3)
        } else if i >= 0b0001000 {
            mode_entry(MODE_PASS, 4)
        } else if i >= 0b0000110 {
            mode_entry(5, 6) // VR2
        } else if i >= 0b0000100 {
            mode_entry(1, 6) // VL2
        } else if i == 0b0000011 {
            mode_entry(6, 7) // VR3
        } else if i == 0b0000010 {
            mode_entry(0, 7) // VL3
        } else if i == 0b0000001 {
            mode_entry(MODE_EXTENSION, 7)
        } else {
            mode_entry(MODE_ZEROS, 0)
        };
        i += 1;
    }
    t
}

/// 2-D mode codes, indexed by the next [`MODE_PEEK`] bits: `len << 4 | kind`.
pub(crate) static MODE_TABLE: [u8; 1 << MODE_PEEK] = build_mode_table();

/// The make-up and terminating codes for one run, in the order libtiff and the standard emit
/// them: make-up 2560 while the rest is at least 2624, then one make-up code, then the
/// terminating code. (The encoder uses the joined tables built from the same order; this
/// code-by-code form is their specification in the tests.)
#[cfg(test)]
pub(crate) fn run_codes(run: u32, black: bool, mut emit: impl FnMut(Code)) {
    let (term, makeup) = if black {
        (&BLACK_TERM, &BLACK_MAKEUP)
    } else {
        (&WHITE_TERM, &WHITE_MAKEUP)
    };
    let mut run = run;
    while run >= 2624 {
        emit(EXT_MAKEUP[12]);
        run -= 2560;
    }
    if run >= 64 {
        let m = run / 64;
        emit(if m >= 28 {
            EXT_MAKEUP[(m - 28) as usize]
        } else {
            makeup[(m - 1) as usize]
        });
        run -= m * 64;
    }
    emit(term[run as usize]);
}

/// Runs below this length are coded by one entry of [`WHITE_RUNS`] / [`BLACK_RUNS`]; longer
/// ones start with make-up 2560 codes ([`run_codes`]'s order).
pub(crate) const RUN_TABLE_LEN: usize = 2624;

/// The complete code of a run shorter than [`RUN_TABLE_LEN`]: make-up (if any) and
/// terminating code joined, `bits << 5 | length` (at most 25 bits).
const fn build_run_code_table(black: bool) -> [u32; RUN_TABLE_LEN] {
    let (term, makeup) = if black {
        (&BLACK_TERM, &BLACK_MAKEUP)
    } else {
        (&WHITE_TERM, &WHITE_MAKEUP)
    };
    let mut t = [0u32; RUN_TABLE_LEN];
    let mut run = 0;
    while run < RUN_TABLE_LEN {
        let tc = term[run % 64];
        let (mut bits, mut len) = (tc.bits as u32, tc.len as u32);
        let m = run / 64;
        if m > 0 {
            let mc = if m >= 28 {
                EXT_MAKEUP[m - 28]
            } else {
                makeup[m - 1]
            };
            bits |= (mc.bits as u32) << len;
            len += mc.len as u32;
        }
        t[run] = (bits << 5) | len;
        run += 1;
    }
    t
}

/// Whole codes of white runs, see [`RUN_TABLE_LEN`].
pub(crate) static WHITE_RUNS: [u32; RUN_TABLE_LEN] = build_run_code_table(false);
/// Whole codes of black runs, see [`RUN_TABLE_LEN`].
pub(crate) static BLACK_RUNS: [u32; RUN_TABLE_LEN] = build_run_code_table(true);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair entry is exactly the two terminating codes of T.4's tables, and every pair
    /// of terminating codes that fits in the lookup has its entries.
    #[test]
    fn pair_tables_hold_exactly_the_short_code_pairs() {
        for black_first in [false, true] {
            let (table, first, second) = if black_first {
                (&BLACK_PAIR_TABLE, &BLACK_TERM, &WHITE_TERM)
            } else {
                (&PAIR_TABLE, &WHITE_TERM, &BLACK_TERM)
            };
            let mut expected = [0u16; 1 << PAIR_PEEK];
            for (r1, c1) in first.iter().enumerate() {
                for (r2, c2) in second.iter().enumerate() {
                    let len = u32::from(c1.len) + u32::from(c2.len);
                    if len > PAIR_PEEK {
                        continue;
                    }
                    let bits = (usize::from(c1.bits) << c2.len) | usize::from(c2.bits);
                    let start = bits << (PAIR_PEEK - len);
                    for e in &mut expected[start..start + (1 << (PAIR_PEEK - len))] {
                        assert_eq!(*e, 0, "two pairs share a prefix");
                        *e = ((len as u16) << 12) | ((r2 as u16) << 6) | r1 as u16;
                    }
                }
            }
            assert!(table[..] == expected[..], "black first: {black_first}");
            assert!(expected.iter().filter(|&&e| e != 0).count() > 1000);
        }
    }

    /// The joined table gives, bit for bit, what the code-by-code order gives.
    #[test]
    fn joined_run_codes_match_code_by_code() {
        for black in [false, true] {
            let table = if black { &BLACK_RUNS } else { &WHITE_RUNS };
            for (run, &entry) in table.iter().enumerate() {
                let (mut bits, mut len) = (0u32, 0u32);
                run_codes(run as u32, black, |c| {
                    bits = (bits << c.len) | u32::from(c.bits);
                    len += u32::from(c.len);
                });
                assert_eq!(entry, (bits << 5) | len, "run {run} black {black}");
            }
        }
    }

    fn all_codes(black: bool) -> alloc::vec::Vec<Code> {
        let mut v = alloc::vec::Vec::new();
        if black {
            v.extend_from_slice(&BLACK_TERM);
            v.extend_from_slice(&BLACK_MAKEUP);
        } else {
            v.extend_from_slice(&WHITE_TERM);
            v.extend_from_slice(&WHITE_MAKEUP);
        }
        v.extend_from_slice(&EXT_MAKEUP);
        v.push(EOL);
        v.push(UNCOMPRESSED_1D);
        v
    }

    fn is_prefix(a: Code, b: Code) -> bool {
        a.len <= b.len && (b.bits >> (b.len - a.len)) == a.bits
    }

    /// A code table must be prefix-free, or decoding is ambiguous.
    #[test]
    fn run_codes_are_prefix_free() {
        for black in [false, true] {
            let codes = all_codes(black);
            for (i, a) in codes.iter().enumerate() {
                for (j, b) in codes.iter().enumerate() {
                    if i != j {
                        assert!(
                            !is_prefix(*a, *b),
                            "{a:?} is a prefix of {b:?} (black={black})"
                        );
                    }
                }
            }
        }
    }

    /// The terminating and make-up codes of each colour, together with EOL, use up the code
    /// space exactly as T.4 intends: the Kraft sum of a complete-but-for-the-zero-prefix code.
    #[test]
    fn kraft_sums_match_the_standard() {
        for black in [false, true] {
            let sum: f64 = all_codes(black)
                .iter()
                .map(|c| 0.5f64.powi(c.len as i32))
                .sum();
            // Everything but the prefixes 0000000 0000 (EOL region, excluding EOL itself) and
            // the unused 8-zero codes is assigned; the sum stays below 1.
            assert!(sum < 1.0 && sum > 0.99, "black={black}: {sum}");
        }
    }

    #[test]
    fn tables_decode_every_code() {
        for (i, code) in WHITE_TERM.iter().enumerate() {
            let e = WHITE_TABLE[(code.bits as usize) << (WHITE_PEEK - code.len as u32)];
            assert_eq!((e >> 12, e & 0xFFF), (code.len as u16, i as u16));
        }
        for (i, code) in BLACK_MAKEUP.iter().enumerate() {
            let e = BLACK_TABLE[(code.bits as usize) << (BLACK_PEEK - code.len as u32)];
            assert_eq!((e >> 12, e & 0xFFF), (code.len as u16, (i as u16 + 1) * 64));
        }
    }

    #[test]
    fn long_runs_use_2560_makeups() {
        let mut v = alloc::vec::Vec::new();
        run_codes(2624 + 2560 + 65, false, |c| v.push(c));
        assert_eq!(
            v,
            [
                EXT_MAKEUP[12],
                EXT_MAKEUP[12],
                WHITE_MAKEUP[1],
                WHITE_TERM[1]
            ]
        );
    }
}
