//! DIS/DTC: what a station announces, raw octets kept under a typed view.

use super::*;
use crate::bits::Bits;
use crate::error::DcsError;
use core::fmt;

/// Everything a station announces in DIS or DTC.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Capabilities {
    /// Phase C modems.
    pub modems: Modems,
    /// Resolutions accepted.
    pub resolutions: Resolutions,
    /// Widest page accepted.
    pub max_width: Width,
    /// Longest page accepted.
    pub max_length: Length,
    /// Minimum scan-line time of the receiver.
    pub scan: ScanCapability,
    /// T.4 two-dimensional coding (MR).
    pub mr: bool,
    /// T.6 coding (MMR); only usable with ECM.
    pub mmr: bool,
    /// Uncompressed mode.
    pub uncompressed: bool,
    /// Error correction mode (T.30 Annex A).
    pub ecm: bool,
    /// 64-octet ECM frames preferred (bit 7).
    pub ecm_64_preferred: bool,
    /// T.38 capable (bit 3).
    pub t38: bool,
    /// Internet-aware fax device (bit 123).
    pub iaf: bool,
    /// Ready to transmit a document when polled (bit 9).
    pub ready_to_transmit: bool,
    /// Ready to receive (bit 10).
    pub ready_to_receive: bool,
    /// Subaddressing (SUB, bit 49).
    pub subaddress: bool,
    /// Password / sender identification (PWD, SID, bit 50).
    pub password: bool,
    /// Selective polling (SEP, bit 47).
    pub selective_polling: bool,
    /// Polled subaddress (PSA, bit 35).
    pub polled_subaddress: bool,
}

impl Default for Capabilities {
    /// A capable modern terminal: all modems, all resolutions up to 400 x 400, A3,
    /// unlimited length, 0 ms scan lines, MR, MMR, ECM, ready to receive.
    fn default() -> Self {
        Capabilities {
            modems: Modems::ALL,
            resolutions: Resolutions::STANDARD
                .with(Resolution::Fine)
                .with(Resolution::Superfine)
                .with(Resolution::R16x15_4)
                .with(Resolution::Inch200x100)
                .with(Resolution::Inch200x200)
                .with(Resolution::Inch200x400)
                .with(Resolution::Inch300x300)
                .with(Resolution::Inch400x400),
            max_width: Width::A3,
            max_length: Length::Unlimited,
            scan: ScanCapability {
                ms: 0,
                halves_when_fine: false,
            },
            mr: true,
            mmr: true,
            uncompressed: false,
            ecm: true,
            ecm_64_preferred: false,
            t38: false,
            iaf: false,
            ready_to_transmit: false,
            ready_to_receive: true,
            subaddress: false,
            password: false,
            selective_polling: false,
            polled_subaddress: false,
        }
    }
}

/// A DIS or DTC information field: raw octets plus a typed view.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Dis {
    bits: Bits,
}

impl Dis {
    /// Wraps a received FIF; unknown bits and extension octets are kept as they are.
    ///
    /// # Errors
    /// [`DcsError::TooShort`] for fewer than 3 octets.
    pub fn from_fif(fif: &[u8]) -> Result<Dis, DcsError> {
        if fif.len() < 3 {
            return Err(DcsError::TooShort(fif.len()));
        }
        Ok(Dis {
            bits: Bits(fif.to_vec()),
        })
    }

    /// The FIF to send for a set of capabilities, extension bits set and trailing zero
    /// octets pruned.
    pub fn from_capabilities(c: &Capabilities) -> Dis {
        let mut b = Bits::default();
        b.set(3, c.t38);
        b.set(7, c.ecm_64_preferred);
        b.set(9, c.ready_to_transmit);
        b.set(10, c.ready_to_receive);
        b.set(11, c.modems.v29);
        b.set(12, c.modems.v27ter);
        b.set(14, c.modems.v17 && c.modems.v29 && c.modems.v27ter);
        b.set(15, c.resolutions.contains(Resolution::Fine));
        b.set(16, c.mr);
        let (w17, w18) = match c.max_width {
            Width::A4 => (false, false),
            Width::B4 => (true, false),
            Width::A3 => (false, true),
        };
        b.set(17, w17);
        b.set(18, w18);
        let (l19, l20) = match c.max_length {
            Length::A4 => (false, false),
            Length::B4 => (true, false),
            Length::Unlimited => (false, true),
        };
        b.set(19, l19);
        b.set(20, l20);
        let [s21, s22, s23] = c.scan.to_bits();
        b.set(21, s21);
        b.set(22, s22);
        b.set(23, s23);
        b.set(26, c.uncompressed);
        b.set(27, c.ecm);
        b.set(31, c.mmr && c.ecm);
        b.set(35, c.polled_subaddress);
        b.set(41, c.resolutions.contains(Resolution::Superfine));
        b.set(42, c.resolutions.contains(Resolution::Inch300x300));
        b.set(
            43,
            c.resolutions.contains(Resolution::R16x15_4)
                || c.resolutions.contains(Resolution::Inch400x400),
        );
        let inch = c.resolutions.iter().any(|r| r.dcs_bits().contains(&44));
        b.set(44, inch);
        b.set(45, true);
        b.set(47, c.selective_polling);
        b.set(49, c.subaddress);
        b.set(50, c.password);
        for (bit, r) in [
            (105, Resolution::Inch600x600),
            (106, Resolution::Inch1200x1200),
            (107, Resolution::Inch300x600),
            (108, Resolution::Inch400x800),
            (109, Resolution::Inch600x1200),
        ] {
            b.set(bit, c.resolutions.contains(r));
        }
        b.set(123, c.iaf);
        b.finish(3);
        Dis { bits: b }
    }

    /// The raw FIF.
    pub fn fif(&self) -> &[u8] {
        &self.bits.0
    }

    /// One FIF bit by its T.30 number (missing octets read as zero).
    pub fn bit(&self, n: u16) -> bool {
        self.bits.get(n)
    }

    /// The typed view. Reserved combinations read as the nearest meaning (width and length
    /// code `11` as the widest / longest).
    pub fn capabilities(&self) -> Capabilities {
        let b = &self.bits;
        let v29 = b.get(11);
        let v27ter = b.get(12);
        let v17 = b.get(14) && !b.get(13);
        let mut res = Resolutions::STANDARD;
        let inch_pref = b.get(44);
        let metric_pref = b.get(45) || !inch_pref;
        if b.get(15) {
            res = res.with(Resolution::Fine);
            if inch_pref {
                res = res.with(Resolution::Inch200x200);
            }
        }
        if inch_pref {
            res = res.with(Resolution::Inch200x100);
        }
        if b.get(41) {
            res = res.with(Resolution::Superfine);
            if inch_pref {
                res = res.with(Resolution::Inch200x400);
            }
        }
        if b.get(42) {
            res = res.with(Resolution::Inch300x300);
        }
        if b.get(43) {
            if metric_pref {
                res = res.with(Resolution::R16x15_4);
            }
            if inch_pref {
                res = res.with(Resolution::Inch400x400);
            }
        }
        for (bit, r) in [
            (105, Resolution::Inch600x600),
            (106, Resolution::Inch1200x1200),
            (107, Resolution::Inch300x600),
            (108, Resolution::Inch400x800),
            (109, Resolution::Inch600x1200),
        ] {
            if b.get(bit) {
                res = res.with(r);
            }
        }
        Capabilities {
            modems: Modems { v27ter, v29, v17 },
            resolutions: res,
            max_width: match (b.get(17), b.get(18)) {
                (false, false) => Width::A4,
                (true, false) => Width::B4,
                _ => Width::A3,
            },
            max_length: match (b.get(19), b.get(20)) {
                (false, false) => Length::A4,
                (true, false) => Length::B4,
                _ => Length::Unlimited,
            },
            scan: ScanCapability::from_bits([b.get(21), b.get(22), b.get(23)]),
            mr: b.get(16),
            mmr: b.get(31),
            uncompressed: b.get(26),
            ecm: b.get(27),
            ecm_64_preferred: b.get(7),
            t38: b.get(3),
            iaf: b.get(123),
            ready_to_transmit: b.get(9),
            ready_to_receive: b.get(10),
            subaddress: b.get(49),
            password: b.get(50),
            selective_polling: b.get(47),
            polled_subaddress: b.get(35),
        }
    }
}

impl fmt::Debug for Dis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DIS {:02x?} {:?}", self.bits.0, self.capabilities())
    }
}
