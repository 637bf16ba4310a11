//! Bit-level reading and writing, most significant bit first.
//!
//! The reader keeps a 64-bit window refilled eight bytes at a time, so the hot decode loop
//! peeks and consumes codes with shifts only. Reading past the end of the data yields zero
//! bits and is detected afterwards with [`BitReader::overrun`]; a caller that may still get
//! more input treats that as "need more data", never as a decoded value.

// Bit fields are cut out of wider words on purpose here; every shift leaves the value in
// range of the narrower type.
#![allow(clippy::cast_possible_truncation)]

use alloc::vec::Vec;

/// Reads bits from a byte slice, most significant bit of each byte first.
#[derive(Clone, Copy)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte to load into `window`; may run past `data.len()` (zero padding).
    next: usize,
    /// The next bits of the stream, first bit in the most significant position. Bits below
    /// the top `avail` are either zero or the true following bits.
    window: u64,
    /// Valid bits in `window`.
    avail: u32,
    /// No data will follow `data` (false while a streaming decoder may still get more).
    complete: bool,
}

impl<'a> BitReader<'a> {
    /// A reader positioned `bit` bits into `data`.
    pub(crate) fn new(data: &'a [u8], bit: usize) -> Self {
        let mut r = BitReader {
            data,
            next: bit / 8,
            window: 0,
            avail: 0,
            complete: true,
        };
        r.refill();
        // `bit % 8` < 8 <= avail after a refill.
        r.consume((bit % 8) as u32);
        r
    }

    /// Says whether data may still follow the slice (see [`BitReader::more_may_follow`]).
    pub(crate) fn set_complete(&mut self, complete: bool) {
        self.complete = complete;
    }

    /// True if fewer than `bits` real bits remain and more data may still arrive: a decision
    /// that looks that far ahead must wait.
    #[inline]
    pub(crate) fn more_may_follow(&self, bits: usize) -> bool {
        !self.complete && self.remaining() < bits
    }

    /// Makes at least `n` (at most 57) bits available, refilling only when fewer are: the
    /// hot loops call this once per code and refill about once per eight codes.
    #[inline(always)]
    pub(crate) fn ensure(&mut self, n: u32) {
        if self.avail < n {
            self.refill();
        }
    }

    /// Makes at least 57 bits available in the window.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
        if self.avail > 56 {
            return;
        }
        if let Some(chunk) = self.data.get(self.next..self.next + 8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            self.window |= u64::from_be_bytes(b) >> self.avail;
            let bytes = (63 - self.avail) >> 3;
            self.next += bytes as usize;
            self.avail += bytes * 8;
        } else {
            self.refill_slow();
        }
    }

    #[cold]
    fn refill_slow(&mut self) {
        while self.avail <= 56 {
            let byte = self.data.get(self.next).copied().unwrap_or(0);
            self.window |= u64::from(byte) << (56 - self.avail);
            self.next += 1;
            self.avail += 8;
        }
    }

    /// The next `n` bits (1..=32) as an integer, without consuming them. Needs a prior
    /// [`refill`](Self::refill) that left at least `n` bits.
    #[inline(always)]
    pub(crate) fn peek(&self, n: u32) -> u32 {
        (self.window >> (64 - n)) as u32
    }

    /// The whole window (first bit most significant); only its top `available()` bits count.
    #[inline(always)]
    pub(crate) fn window(&self) -> u64 {
        self.window
    }

    /// Drops `n` bits (at most the available ones, and fewer than 64).
    #[inline(always)]
    pub(crate) fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.avail && n < 64);
        self.window <<= n & 63;
        self.avail -= n;
    }

    /// Reads one bit.
    #[inline]
    pub(crate) fn bit(&mut self) -> bool {
        self.refill();
        let b = self.window >> 63 != 0;
        self.consume(1);
        b
    }

    /// Bits consumed from the start of the data.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.next * 8 - self.avail as usize
    }

    /// Bits of real data left (zero when overrun).
    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.position())
    }

    /// True when more bits were consumed than the data holds.
    #[inline]
    pub(crate) fn overrun(&self) -> bool {
        self.position() > self.data.len() * 8
    }

    /// Skips to the next byte boundary of the data.
    pub(crate) fn align_to_byte(&mut self) {
        let skip = (8 - self.position() % 8) % 8;
        self.refill();
        self.consume(skip as u32);
    }

    /// Skips to the next 16-bit boundary of the data.
    pub(crate) fn align_to_word(&mut self) {
        let skip = (16 - self.position() % 16) % 16;
        self.refill();
        self.consume(skip as u32);
    }

    /// Counts and consumes 0 bits, stopping before the first 1 bit, after `max` zeros, or at
    /// the end of the data. Returns the number of zeros consumed.
    pub(crate) fn skip_zeros(&mut self, max: usize) -> usize {
        let mut n = 0;
        loop {
            self.refill();
            let limit = (max - n).min(self.remaining()).min(self.avail as usize);
            if limit == 0 {
                return n;
            }
            let z = (self.window.leading_zeros() as usize).min(limit);
            if z >= 64 {
                // The whole window was zeros.
                self.window = 0;
                self.avail -= 64;
            } else {
                self.consume(z as u32);
            }
            n += z;
            if z < limit {
                // Stopped at a 1 bit; leave it readable.
                self.refill();
                return n;
            }
        }
    }
}

/// Writes bits, most significant first, into a growable byte buffer.
#[derive(Default, Debug, Clone)]
pub(crate) struct BitWriter {
    pub(crate) out: Vec<u8>,
    /// Pending bits, right-aligned.
    acc: u64,
    /// Number of pending bits (< 32 between calls).
    pending: u32,
}

impl BitWriter {
    /// Appends the low `len` bits of `bits` (len <= 32).
    #[inline(always)]
    pub(crate) fn put(&mut self, bits: u32, len: u32) {
        debug_assert!(len <= 32);
        self.acc = (self.acc << len) | u64::from(bits);
        self.pending += len;
        if self.pending >= 32 {
            self.pending -= 32;
            let word = (self.acc >> self.pending) as u32;
            self.out.extend_from_slice(&word.to_be_bytes());
        }
    }

    /// Appends `n` zero bits.
    pub(crate) fn zeros(&mut self, mut n: u64) {
        while n > 0 {
            let k = n.min(32) as u32;
            self.put(0, k);
            n -= u64::from(k);
        }
    }

    /// Bits written so far.
    #[inline]
    pub(crate) fn bit_len(&self) -> u64 {
        self.out.len() as u64 * 8 + u64::from(self.pending)
    }

    /// Pads with zero bits up to the next multiple of `bits` (8 or 16).
    pub(crate) fn align(&mut self, bits: u64) {
        let rem = self.bit_len() % bits;
        if rem != 0 {
            self.zeros(bits - rem);
        }
    }

    /// Appends everything `other` holds, bit for bit.
    pub(crate) fn append(&mut self, other: &BitWriter) {
        for &b in &other.out {
            self.put(u32::from(b), 8);
        }
        let mask = (1u64 << other.pending) - 1;
        self.put((other.acc & mask) as u32, other.pending);
    }

    /// Forgets everything written.
    pub(crate) fn clear(&mut self) {
        self.out.clear();
        self.acc = 0;
        self.pending = 0;
    }

    /// Moves complete bytes from the pending bits into `out`.
    pub(crate) fn settle(&mut self) {
        while self.pending >= 8 {
            self.pending -= 8;
            self.out.push((self.acc >> self.pending) as u8);
        }
    }
}

/// Reverses the bit order of every byte (TIFF FillOrder 2 <-> 1).
pub(crate) fn reverse_bits_in_place(data: &mut [u8]) {
    for b in data {
        *b = b.reverse_bits();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reads_what_writer_wrote() {
        let mut w = BitWriter::default();
        let items: &[(u32, u32)] = &[(1, 1), (0b101, 3), (0, 12), (0xABCDE, 20), (0x7, 3)];
        for &(b, l) in items {
            w.put(b, l);
        }
        w.align(8);
        w.settle();
        let out = w.out.clone();
        let mut r = BitReader::new(&out, 0);
        for &(b, l) in items {
            r.refill();
            assert_eq!(r.peek(l), b);
            r.consume(l);
        }
        assert!(!r.overrun());
        assert_eq!(r.remaining(), out.len() * 8 - 39);
    }

    #[test]
    fn reader_starts_mid_byte_and_pads_with_zeros() {
        let data = [0b1010_1100u8];
        let mut r = BitReader::new(&data, 3);
        r.refill();
        assert_eq!(r.peek(5), 0b01100);
        r.consume(5);
        assert!(!r.overrun());
        assert_eq!(r.peek(8), 0);
        r.consume(1);
        assert!(r.overrun());
    }

    #[test]
    fn skip_zeros_spans_refills_and_stops_at_end() {
        let mut data = alloc::vec![0u8; 20];
        data.push(0x10);
        let mut r = BitReader::new(&data, 0);
        assert_eq!(r.skip_zeros(usize::MAX), 163);
        assert!(r.bit());
        let zeros = [0u8; 3];
        let mut r = BitReader::new(&zeros, 1);
        assert_eq!(r.skip_zeros(usize::MAX), 23);
        assert!(!r.overrun());
    }
}
