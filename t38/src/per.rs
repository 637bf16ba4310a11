//! The few ALIGNED PER (X.691) primitives T.38 needs: a bounded bit reader, a bit writer that
//! appends to a caller's buffer, and the octet-aligned length determinant.
//!
//! The reader never trusts a length: every read checks what is left first and fails with
//! [`Short`] instead of slicing past the end, so a truncated packet is an error, not a panic.

/// Input ended before the value being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Short;

/// Reads bits most significant first from a byte slice.
#[derive(Clone, Debug)]
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Position in bits from the start of `bytes`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, pos: 0 }
    }

    /// A reader positioned `pos` bits into `bytes` (clamped to the end).
    pub(crate) fn at(bytes: &'a [u8], pos: usize) -> Self {
        BitReader {
            bytes,
            pos: pos.min(bytes.len() * 8),
        }
    }

    /// Position in bits.
    pub(crate) fn bit_pos(&self) -> usize {
        self.pos
    }

    /// Bits left.
    pub(crate) fn remaining_bits(&self) -> usize {
        self.bytes.len() * 8 - self.pos
    }

    /// Reads `n <= 8` bits as an unsigned value.
    pub(crate) fn bits(&mut self, n: u32) -> Result<u8, Short> {
        debug_assert!(n <= 8);
        if (n as usize) > self.remaining_bits() {
            return Err(Short);
        }
        let mut v = 0u8;
        for _ in 0..n {
            let byte = self.bytes[self.pos / 8];
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | bit;
            self.pos += 1;
        }
        Ok(v)
    }

    pub(crate) fn bit(&mut self) -> Result<bool, Short> {
        Ok(self.bits(1)? == 1)
    }

    /// Skips to the next octet boundary (PER padding bits are ignored, as X.691 asks).
    pub(crate) fn align(&mut self) {
        self.pos = self.pos.div_ceil(8) * 8;
    }

    /// Reads `n` whole octets; the reader must be aligned.
    pub(crate) fn octets(&mut self, n: usize) -> Result<&'a [u8], Short> {
        debug_assert!(self.pos % 8 == 0);
        let start = self.pos / 8;
        let end = start.checked_add(n).ok_or(Short)?;
        let s = self.bytes.get(start..end).ok_or(Short)?;
        self.pos = end * 8;
        Ok(s)
    }

    /// Reads an aligned 16-bit big-endian value.
    pub(crate) fn u16_aligned(&mut self) -> Result<u16, Short> {
        let b = self.octets(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

/// Appends bits most significant first to a `Vec<u8>`; unused bits of the last octet are 0.
pub(crate) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bits already used in the last octet of `out` (0 = aligned).
    used: u32,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, used: 0 }
    }

    /// Writes the low `n <= 8` bits of `v`.
    pub(crate) fn bits(&mut self, v: u8, n: u32) {
        for i in (0..n).rev() {
            let bit = (v >> i) & 1;
            if self.used == 0 {
                self.out.push(0);
            }
            if let Some(last) = self.out.last_mut() {
                *last |= bit << (7 - self.used);
            }
            self.used = (self.used + 1) % 8;
        }
    }

    pub(crate) fn bit(&mut self, b: bool) {
        self.bits(u8::from(b), 1);
    }

    /// Pads with zero bits to the next octet boundary.
    pub(crate) fn align(&mut self) {
        self.used = 0;
    }

    /// Writes a length determinant (aligning first).
    pub(crate) fn len_det(&mut self, n: usize) {
        self.align();
        write_len_det(self.out, n);
    }

    /// Writes whole octets (aligning first).
    pub(crate) fn octets(&mut self, b: &[u8]) {
        self.align();
        self.out.extend_from_slice(b);
    }
}

/// The largest count or length a single (unfragmented) length determinant can carry.
pub(crate) const MAX_LENGTH_DETERMINANT: usize = 0x3FFF;

/// Outcome of reading a length determinant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LenDet {
    /// The length, 0..=16383.
    Len(usize),
    /// `11xxxxxx`: a fragmented encoding (16K units), which T.38 never needs.
    Fragment,
}

/// Reads an octet-aligned, unconstrained length determinant (X.691 10.9.3.6-7).
pub(crate) fn read_len_det(r: &mut BitReader<'_>) -> Result<LenDet, Short> {
    r.align();
    let first = r.octets(1)?[0];
    if first & 0x80 == 0 {
        Ok(LenDet::Len(usize::from(first)))
    } else if first & 0x40 == 0 {
        let second = r.octets(1)?[0];
        Ok(LenDet::Len(
            usize::from(first & 0x3F) << 8 | usize::from(second),
        ))
    } else {
        Ok(LenDet::Fragment)
    }
}

/// Appends a length determinant; `len` must be at most [`MAX_LENGTH_DETERMINANT`].
pub(crate) fn write_len_det(out: &mut Vec<u8>, len: usize) {
    debug_assert!(len <= MAX_LENGTH_DETERMINANT);
    if len < 0x80 {
        out.push(lo8(len));
    } else {
        out.push(0x80 | (lo8(len >> 8) & 0x3F));
        out.push(lo8(len));
    }
}

/// The low eight bits of `v` (the callers mask or bound `v` first).
#[allow(clippy::cast_possible_truncation)] // truncation is the point
pub(crate) fn lo8(v: usize) -> u8 {
    (v & 0xFF) as u8
}

/// Octets [`write_len_det`] uses for `len`.
pub(crate) fn len_det_size(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        2
    }
}

/// Reads a length determinant from the front of `buf` (byte-oriented callers).
pub(crate) fn split_len_det(buf: &[u8]) -> Result<(LenDet, usize), Short> {
    let mut r = BitReader::new(buf);
    let l = read_len_det(&mut r)?;
    Ok((l, r.bit_pos() / 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn len_det_wire_forms() {
        // X.691 10.9.3.6/7: one octet below 128, `10` + 14 bits below 16K, `11` = fragment.
        let mut v = Vec::new();
        write_len_det(&mut v, 5);
        write_len_det(&mut v, 127);
        write_len_det(&mut v, 128);
        write_len_det(&mut v, 0x3FFF);
        assert_eq!(v, [0x05, 0x7F, 0x80, 0x80, 0xBF, 0xFF]);
        assert_eq!(split_len_det(&[0xC1, 0]), Ok((LenDet::Fragment, 1)));
        assert_eq!(split_len_det(&[0x81]), Err(Short));
    }

    #[test]
    fn writer_packs_msb_first() {
        let mut v = Vec::new();
        let mut w = BitWriter::new(&mut v);
        w.bits(0b101, 3);
        w.bits(0b11, 2);
        w.align();
        w.bits(1, 1);
        assert_eq!(v, [0b1011_1000, 0b1000_0000]);
        let mut r = BitReader::new(&v);
        assert_eq!(r.bits(3), Ok(0b101));
        assert_eq!(r.bits(2), Ok(0b11));
        r.align();
        assert_eq!(r.bit(), Ok(true));
        assert_eq!(r.remaining_bits(), 7);
        assert_eq!(r.bits(8), Err(Short));
    }
}
