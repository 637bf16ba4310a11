//! The row filler the peers' change-list callbacks use to produce packed rows.
//!
//! `fax` and `hayro-ccitt` deliver each row as a list of colour changes, not as packed bits,
//! so decoding "to a bitmap" needs a filler. They get the one t4-codec itself uses
//! (`t4_codec::changes_to_packed`, aligned 64-bit words), so the comparison measures the
//! decoders rather than the fillers.

/// Writes one packed row (1 = black) from a change list that starts white.
///
/// Positions at or past `width` are clamped (the `fax` G3 decoder ends each list with the
/// row width). `out` must hold `ceil(width / 8)` bytes; padding bits end up 0.
pub fn fill_row(changes: &[u32], width: u32, out: &mut [u8]) {
    t4_codec::changes_to_packed(changes, width, true, out);
}

#[cfg(test)]
mod tests {
    use super::fill_row;

    #[test]
    fn fills_spans_and_clamps() {
        let mut out = [0xAAu8; 2];
        fill_row(&[3, 5], 12, &mut out);
        assert_eq!(out, [0b0001_1000, 0]);
        fill_row(&[7, 9, 11], 12, &mut out);
        assert_eq!(out, [0b0000_0001, 0b1001_0000]);
        fill_row(&[0, 12], 12, &mut out);
        assert_eq!(out, [0xFF, 0xF0]);
        fill_row(&[], 12, &mut out);
        assert_eq!(out, [0, 0]);
    }
}
