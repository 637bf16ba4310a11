//! The FIF bit numbering of DIS, DTC, DCS and CTC (T.30 Table 2).

/// FIF octets in T.30 notation, addressed by T.30 bit numbers (1-based): bit `n` is in octet
/// `(n - 1) / 8`, first transmitted bit as the most significant bit. Missing octets read as
/// zero. Unknown bits are kept as they came.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub(crate) struct Bits(pub(crate) Vec<u8>);

impl Bits {
    pub(crate) fn get(&self, n: u16) -> bool {
        let Some(i) = usize::from(n).checked_sub(1) else {
            return false;
        };
        self.0
            .get(i / 8)
            .is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
    }

    pub(crate) fn set(&mut self, n: u16, on: bool) {
        let Some(i) = usize::from(n).checked_sub(1) else {
            return;
        };
        if self.0.len() <= i / 8 {
            if !on {
                return;
            }
            self.0.resize(i / 8 + 1, 0);
        }
        let mask = 0x80 >> (i % 8);
        if on {
            self.0[i / 8] |= mask;
        } else {
            self.0[i / 8] &= !mask;
        }
    }

    /// Sets the extension bits (24, 32, 40, ...) so that every octet that follows is
    /// announced, trims trailing all-zero octets (keeping at least `min` octets) as spandsp's
    /// `prune_dis_dtc` does.
    pub(crate) fn finish(&mut self, min: usize) {
        // Clear all extension bits, trim, then set them for every octet but the last.
        for octet in 3..=self.0.len() {
            self.set(ext_bit(octet), false);
        }
        while self.0.len() > min && self.0.last() == Some(&0) {
            self.0.pop();
        }
        if self.0.len() < min {
            self.0.resize(min, 0);
        }
        for octet in 3..self.0.len() {
            self.set(ext_bit(octet), true);
        }
    }
}

/// The extension bit at the end of 1-based octet `octet` (3 and up).
fn ext_bit(octet: usize) -> u16 {
    u16::try_from(octet * 8).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_and_extension() {
        let mut b = Bits::default();
        b.set(10, true);
        b.set(27, true);
        b.finish(3);
        // Octet 2 bit 10 = 0x40; octet 3 extension bit 24 = 0x01; octet 4 bit 27 = 0x20.
        assert_eq!(b.0, [0x00, 0x40, 0x01, 0x20]);
        assert!(b.get(27) && b.get(24) && !b.get(28) && !b.get(300) && !b.get(0));
        b.set(27, false);
        b.finish(3);
        assert_eq!(b.0, [0x00, 0x40, 0x00]);
    }
}
