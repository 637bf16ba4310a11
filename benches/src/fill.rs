//! The row filler the peers' change-list callbacks use to produce packed rows.
//!
//! `fax` and `hayro-ccitt` deliver each row as a list of colour changes, not as packed bits,
//! so decoding "to a bitmap" needs a filler. This is a plain byte-span filler (partial first
//! byte, `fill` of the whole bytes, partial last byte), the same idea as the one t4-codec
//! uses internally, so the comparison measures the decoders rather than the fillers.

/// Writes one packed row (1 = black) from a change list that starts white.
///
/// Positions at or past `width` are clamped (the `fax` G3 decoder ends each list with the
/// row width). `out` must hold `ceil(width / 8)` bytes; padding bits end up 0.
pub fn fill_row(changes: &[u32], width: u32, out: &mut [u8]) {
    out.fill(0);
    let mut pairs = changes.chunks(2);
    for pair in &mut pairs {
        let start = pair[0].min(width) as usize;
        let end = pair.get(1).map_or(width, |&e| e.min(width)) as usize;
        if start < end {
            set_span(out, start, end);
        }
    }
}

/// Sets bits `[start, end)` (start < end).
fn set_span(out: &mut [u8], start: usize, end: usize) {
    let (first, last) = (start / 8, (end - 1) / 8);
    let head = 0xFFu8 >> (start % 8);
    let tail = 0xFFu8 << (7 - (end - 1) % 8);
    if first == last {
        out[first] |= head & tail;
    } else {
        out[first] |= head;
        out[first + 1..last].fill(0xFF);
        out[last] |= tail;
    }
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
