//! ECM (T.30 Annex A) building blocks: the 256-bit frame map of PPR and the receiver's block
//! buffer, which exists only while a block is in flight.

use crate::caps::FrameSize;

/// Most frames in one ECM block (partial page).
pub const MAX_FRAMES: usize = 256;

/// A 256-bit map of frame numbers (PPR's FIF: bit n set = frame n must be resent).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameMap([u8; 32]);

impl FrameMap {
    /// The map with frames `0..n` marked.
    pub fn first(n: usize) -> FrameMap {
        let mut m = FrameMap::default();
        for i in 0..n.min(MAX_FRAMES) {
            m.set(i, true);
        }
        m
    }

    /// Marks or clears frame `n` (ignored beyond 255).
    pub fn set(&mut self, n: usize, on: bool) {
        if let Some(b) = self.0.get_mut(n / 8) {
            let mask = 0x80 >> (n % 8);
            if on {
                *b |= mask;
            } else {
                *b &= !mask;
            }
        }
    }

    /// True if frame `n` is marked.
    pub fn get(&self, n: usize) -> bool {
        self.0
            .get(n / 8)
            .is_some_and(|b| b & (0x80 >> (n % 8)) != 0)
    }

    /// Marked frames, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..MAX_FRAMES).filter(|&n| self.get(n))
    }

    /// Number of marked frames.
    pub fn count(&self) -> usize {
        self.0.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The 32-octet PPR FIF in T.30 notation (frame 0 is the first bit sent).
    pub fn to_fif(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    /// Reads a PPR FIF; `None` unless exactly 32 octets.
    pub fn from_fif(fif: &[u8]) -> Option<FrameMap> {
        Some(FrameMap(fif.try_into().ok()?))
    }
}

impl core::fmt::Debug for FrameMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "FrameMap({} frames)", self.count())
    }
}

/// Counters (page, block, frame numbers) travel as binary numbers sent LSB first; in T.30
/// notation that is the bit-reversed octet.
pub(crate) fn number_octet(n: u8) -> u8 {
    n.reverse_bits()
}

/// The receiving side's buffer for one block: allocated on the block's first frame and
/// dropped when the block is accepted.
pub(crate) struct BlockRx {
    frame_size: usize,
    data: Vec<u8>,
    lens: Vec<u16>,
    have: FrameMap,
}

/// Frame count only: the data is PHI.
impl core::fmt::Debug for BlockRx {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "BlockRx [{} frames]", self.have.count())
    }
}

impl BlockRx {
    pub(crate) fn new(frame_size: FrameSize) -> BlockRx {
        let fs = frame_size.octets();
        BlockRx {
            frame_size: fs,
            data: vec![0; fs * MAX_FRAMES],
            lens: vec![0; MAX_FRAMES],
            have: FrameMap::default(),
        }
    }

    /// Heap bytes held.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.lens.capacity() * 2
    }

    /// Stores frame `n` (a repeat overwrites). Returns false for an oversized frame.
    pub(crate) fn put(&mut self, n: usize, bytes: &[u8]) -> bool {
        if bytes.len() > self.frame_size || n >= MAX_FRAMES {
            return false;
        }
        let at = n * self.frame_size;
        self.data[at..at + bytes.len()].copy_from_slice(bytes);
        self.lens[n] = u16::try_from(bytes.len()).unwrap_or(0);
        self.have.set(n, true);
        true
    }

    /// Frames among `0..count` not yet received.
    pub(crate) fn missing(&self, count: usize) -> FrameMap {
        let mut m = FrameMap::default();
        for n in 0..count.min(MAX_FRAMES) {
            if !self.have.get(n) {
                m.set(n, true);
            }
        }
        m
    }

    /// Appends frames `0..count` in order (missing ones skipped) to `page`.
    pub(crate) fn append_to(&self, count: usize, page: &mut Vec<u8>) {
        for n in 0..count.min(MAX_FRAMES) {
            if self.have.get(n) {
                let at = n * self.frame_size;
                page.extend_from_slice(&self.data[at..at + usize::from(self.lens[n])]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn map_bit_order_matches_spandsp() {
        // spandsp marks frame n as `1 << (n & 7)` in octets stored LSB first; in T.30
        // notation that is `0x80 >> (n & 7)`.
        let mut m = FrameMap::default();
        m.set(0, true);
        m.set(9, true);
        m.set(255, true);
        let fif = m.to_fif();
        assert_eq!(fif[0].reverse_bits(), 0x01);
        assert_eq!(fif[1].reverse_bits(), 0x02);
        assert_eq!(fif[31].reverse_bits(), 0x80);
        assert_eq!(m.iter().collect::<Vec<_>>(), [0, 9, 255]);
        assert_eq!(FrameMap::from_fif(&fif[..31]), None);
    }

    #[test]
    fn block_reassembly() {
        let mut b = BlockRx::new(FrameSize::Octets64);
        assert!(b.put(1, &[2; 10]));
        assert!(!b.put(2, &[0; 65]));
        assert_eq!(b.missing(2).iter().collect::<Vec<_>>(), [0]);
        assert!(b.put(0, &[1; 64]));
        let mut page = Vec::new();
        b.append_to(2, &mut page);
        assert_eq!(page.len(), 74);
        assert_eq!((page[63], page[64]), (1, 2));
    }

    proptest! {
        #[test]
        fn map_round_trip(frames in proptest::collection::btree_set(0usize..256, 0..40)) {
            let mut m = FrameMap::default();
            for &f in &frames { m.set(f, true); }
            let back = FrameMap::from_fif(&m.to_fif()).expect("32 octets");
            prop_assert_eq!(back.iter().collect::<Vec<_>>(), frames.into_iter().collect::<Vec<_>>());
        }
    }
}
