//! DIS / DTC / DCS as a typed capability model (T.30 Table 2).
//!
//! [`Dis`] holds the raw FIF of a DIS or DTC (unknown bits and extension octets of any length
//! kept) with a typed view, [`Capabilities`]. [`Dcs`] is the mode a sender commands; it can
//! only be made by [`Dcs::negotiate`] or [`Dcs::parse`], both of which check it against the
//! DIS it answers, so a DCS that contradicts itself or the DIS (the HylaFAX CVE-2018-17141
//! class of bug) never reaches the session.

use crate::bits::Bits;
use crate::error::DcsError;
use core::fmt;

/// A data signalling rate of phase C and the modem that carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rate {
    /// V.27ter 2400 bit/s.
    V27ter2400,
    /// V.27ter 4800 bit/s.
    V27ter4800,
    /// V.29 7200 bit/s.
    V29_7200,
    /// V.17 7200 bit/s.
    V17_7200,
    /// V.29 9600 bit/s.
    V29_9600,
    /// V.17 9600 bit/s.
    V17_9600,
    /// V.17 12000 bit/s.
    V17_12000,
    /// V.17 14400 bit/s.
    V17_14400,
}

/// The fallback order after FTT, RTN or CTC (spandsp's), fastest first.
pub const FALLBACK: [Rate; 8] = [
    Rate::V17_14400,
    Rate::V17_12000,
    Rate::V17_9600,
    Rate::V29_9600,
    Rate::V17_7200,
    Rate::V29_7200,
    Rate::V27ter4800,
    Rate::V27ter2400,
];

impl Rate {
    /// Bits per second.
    pub fn bps(self) -> u32 {
        match self {
            Rate::V27ter2400 => 2400,
            Rate::V27ter4800 => 4800,
            Rate::V29_7200 | Rate::V17_7200 => 7200,
            Rate::V29_9600 | Rate::V17_9600 => 9600,
            Rate::V17_12000 => 12000,
            Rate::V17_14400 => 14400,
        }
    }

    /// The modem family.
    pub fn modem(self) -> Modem {
        match self {
            Rate::V27ter2400 | Rate::V27ter4800 => Modem::V27ter,
            Rate::V29_7200 | Rate::V29_9600 => Modem::V29,
            _ => Modem::V17,
        }
    }

    /// DCS bits 11, 12, 13, 14.
    fn dcs_code(self) -> [bool; 4] {
        match self {
            Rate::V27ter2400 => [false, false, false, false],
            Rate::V27ter4800 => [false, true, false, false],
            Rate::V29_9600 => [true, false, false, false],
            Rate::V29_7200 => [true, true, false, false],
            Rate::V17_14400 => [false, false, false, true],
            Rate::V17_12000 => [false, true, false, true],
            Rate::V17_9600 => [true, false, false, true],
            Rate::V17_7200 => [true, true, false, true],
        }
    }

    fn from_dcs_code(code: [bool; 4]) -> Option<Rate> {
        FALLBACK.into_iter().find(|r| r.dcs_code() == code)
    }

    /// The next rate in the fallback order that `modems` supports, if any.
    pub fn step_down(self, modems: Modems) -> Option<Rate> {
        let i = FALLBACK.iter().position(|&r| r == self)?;
        FALLBACK[i + 1..]
            .iter()
            .copied()
            .find(|r| modems.supports(*r))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.modem(), self.bps())
    }
}

/// Modem families.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modem {
    /// V.21 channel 2, 300 bit/s: every control frame.
    V21,
    /// V.27ter.
    V27ter,
    /// V.29.
    V29,
    /// V.17.
    V17,
}

impl fmt::Display for Modem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Modem::V21 => "V.21",
            Modem::V27ter => "V.27ter",
            Modem::V29 => "V.29",
            Modem::V17 => "V.17",
        })
    }
}

/// The phase C modems a station offers (DIS bits 11-14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Modems {
    /// V.27ter (2400 is always available as the fallback of V.27ter).
    pub v27ter: bool,
    /// V.29.
    pub v29: bool,
    /// V.17.
    pub v17: bool,
}

impl Modems {
    /// Everything: V.27ter, V.29 and V.17.
    pub const ALL: Modems = Modems {
        v27ter: true,
        v29: true,
        v17: true,
    };

    /// True if a rate's modem is offered (2400 always is).
    pub fn supports(self, rate: Rate) -> bool {
        match rate.modem() {
            _ if rate == Rate::V27ter2400 => true,
            Modem::V27ter => self.v27ter,
            Modem::V29 => self.v29,
            Modem::V17 => self.v17,
            Modem::V21 => false,
        }
    }

    /// The fastest supported rate not above `max`.
    pub fn best(self, max: Rate) -> Rate {
        FALLBACK
            .into_iter()
            .find(|&r| r.bps() <= max.bps() && self.supports(r))
            .unwrap_or(Rate::V27ter2400)
    }
}

/// Vertical x horizontal resolutions of T.30.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Resolution {
    /// R8 x 3.85 lines/mm ("standard").
    Standard,
    /// R8 x 7.7 lines/mm ("fine").
    Fine,
    /// R8 x 15.4 lines/mm ("superfine").
    Superfine,
    /// R16 x 15.4 lines/mm.
    R16x15_4,
    /// 200 x 100 pels per inch (the inch twin of standard).
    Inch200x100,
    /// 200 x 200 pels per inch (the inch twin of fine).
    Inch200x200,
    /// 200 x 400 pels per inch (the inch twin of superfine).
    Inch200x400,
    /// 300 x 300 pels per inch.
    Inch300x300,
    /// 400 x 400 pels per inch.
    Inch400x400,
    /// 600 x 600 pels per inch.
    Inch600x600,
    /// 1200 x 1200 pels per inch.
    Inch1200x1200,
    /// 300 x 600 pels per inch.
    Inch300x600,
    /// 400 x 800 pels per inch.
    Inch400x800,
    /// 600 x 1200 pels per inch.
    Inch600x1200,
}

/// Every resolution, coarsest first within each family.
pub const RESOLUTIONS: [Resolution; 14] = [
    Resolution::Standard,
    Resolution::Inch200x100,
    Resolution::Fine,
    Resolution::Inch200x200,
    Resolution::Superfine,
    Resolution::Inch200x400,
    Resolution::Inch300x300,
    Resolution::Inch300x600,
    Resolution::R16x15_4,
    Resolution::Inch400x400,
    Resolution::Inch400x800,
    Resolution::Inch600x600,
    Resolution::Inch600x1200,
    Resolution::Inch1200x1200,
];

impl Resolution {
    /// Horizontal and vertical resolution in pels per inch, rounded (R8 = 203, 3.85 l/mm =
    /// 98, 7.7 = 196, 15.4 = 391, R16 = 406).
    pub fn dpi(self) -> (u32, u32) {
        match self {
            Resolution::Standard => (203, 98),
            Resolution::Fine => (203, 196),
            Resolution::Superfine => (203, 391),
            Resolution::R16x15_4 => (406, 391),
            Resolution::Inch200x100 => (200, 100),
            Resolution::Inch200x200 => (200, 200),
            Resolution::Inch200x400 => (200, 400),
            Resolution::Inch300x300 => (300, 300),
            Resolution::Inch400x400 => (400, 400),
            Resolution::Inch600x600 => (600, 600),
            Resolution::Inch1200x1200 => (1200, 1200),
            Resolution::Inch300x600 => (300, 600),
            Resolution::Inch400x800 => (400, 800),
            Resolution::Inch600x1200 => (600, 1200),
        }
    }

    /// Pels per row for a page width: T.4's 1728 / 2048 / 2432 at R8, scaled.
    pub fn pels(self, width: Width) -> u32 {
        let r8 = match width {
            Width::A4 => 1728,
            Width::B4 => 2048,
            Width::A3 => 2432,
        };
        match self.dpi().0 {
            203 | 200 => r8,
            406 | 400 => r8 * 2,
            300 => r8 * 3 / 2,
            600 => r8 * 3,
            _ => r8 * 6,
        }
    }

    /// The DCS bits that select it: (15, 41, 42, 43, 44 inch, 105..=109).
    fn dcs_bits(self) -> &'static [u16] {
        match self {
            Resolution::Standard => &[],
            Resolution::Fine => &[15],
            Resolution::Superfine => &[41],
            Resolution::R16x15_4 => &[43],
            Resolution::Inch200x100 => &[44],
            Resolution::Inch200x200 => &[15, 44],
            Resolution::Inch200x400 => &[41, 44],
            Resolution::Inch300x300 => &[42, 44],
            Resolution::Inch400x400 => &[43, 44],
            Resolution::Inch600x600 => &[105, 44],
            Resolution::Inch1200x1200 => &[106, 44],
            Resolution::Inch300x600 => &[107, 44],
            Resolution::Inch400x800 => &[108, 44],
            Resolution::Inch600x1200 => &[109, 44],
        }
    }

    /// True for the finer-than-standard vertical resolutions (scan-line times halve there).
    fn is_fine(self) -> bool {
        self.dpi().1 > 110
    }
}

/// The resolution bits of DCS, all of them.
const RESOLUTION_BITS: [u16; 9] = [15, 41, 42, 43, 105, 106, 107, 108, 109];

/// A set of resolutions (DIS bits 15, 41-45, 105-109).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Resolutions(u16);

impl Resolutions {
    /// Only standard.
    pub const STANDARD: Resolutions = Resolutions(1);

    /// All resolutions.
    pub fn all() -> Resolutions {
        Resolutions((1 << RESOLUTIONS.len()) - 1)
    }

    fn index(r: Resolution) -> u16 {
        RESOLUTIONS
            .iter()
            .position(|&x| x == r)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(0)
    }

    /// Adds a resolution.
    pub fn with(self, r: Resolution) -> Resolutions {
        Resolutions(self.0 | 1 << Self::index(r))
    }

    /// True if `r` is in the set (standard always is).
    pub fn contains(self, r: Resolution) -> bool {
        r == Resolution::Standard || self.0 & (1 << Self::index(r)) != 0
    }

    /// Members, coarsest first.
    pub fn iter(self) -> impl Iterator<Item = Resolution> {
        RESOLUTIONS.into_iter().filter(move |&r| self.contains(r))
    }
}

impl fmt::Debug for Resolutions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Page widths (at R8: 1728, 2048, 2432 pels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Width {
    /// 215 mm.
    A4,
    /// 255 mm.
    B4,
    /// 303 mm.
    A3,
}

/// Page lengths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Length {
    /// 297 mm.
    A4,
    /// 364 mm.
    B4,
    /// Unlimited.
    Unlimited,
}

/// Minimum scan-line time in milliseconds (0, 5, 10, 20 or 40).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScanTime(pub u8);

/// A receiver's minimum scan-line time capability (DIS bits 21-23): the time at 3.85 l/mm
/// and whether it halves at finer resolutions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScanCapability {
    /// Milliseconds at standard resolution.
    pub ms: u8,
    /// Half that time suffices at fine and finer resolutions.
    pub halves_when_fine: bool,
}

impl ScanCapability {
    /// The time a sender must respect at `res`.
    pub fn at(self, res: Resolution) -> ScanTime {
        if self.halves_when_fine && res.is_fine() {
            ScanTime(self.ms / 2)
        } else {
            ScanTime(self.ms)
        }
    }

    fn from_bits(b: [bool; 3]) -> ScanCapability {
        let (ms, halves_when_fine) = match b {
            [false, false, false] => (20, false),
            [false, false, true] => (40, false),
            [false, true, false] => (10, false),
            [true, false, false] => (5, false),
            [false, true, true] => (10, true),
            [true, true, false] => (20, true),
            [true, false, true] => (40, true),
            [true, true, true] => (0, false),
        };
        ScanCapability {
            ms,
            halves_when_fine,
        }
    }

    fn to_bits(self) -> [bool; 3] {
        match (self.ms, self.halves_when_fine) {
            (0, _) => [true, true, true],
            (1..=5, _) => [true, false, false],
            (6..=10, false) => [false, true, false],
            (6..=10, true) => [false, true, true],
            (11..=20, false) => [false, false, false],
            (11..=20, true) => [true, true, false],
            (_, false) => [false, false, true],
            (_, true) => [true, false, true],
        }
    }
}

fn scan_dcs_bits(t: ScanTime) -> [bool; 3] {
    match t.0 {
        0 => [true, true, true],
        1..=5 => [true, false, false],
        6..=10 => [false, true, false],
        11..=20 => [false, false, false],
        _ => [false, false, true],
    }
}

fn scan_from_dcs_bits(b: [bool; 3]) -> Option<ScanTime> {
    Some(ScanTime(match b {
        [false, false, false] => 20,
        [false, false, true] => 40,
        [false, true, false] => 10,
        [true, false, false] => 5,
        [true, true, true] => 0,
        _ => return None,
    }))
}

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

/// Image coding of phase C without ECM. MMR is not here: T.6 needs ECM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NonEcmCoding {
    /// T.4 one-dimensional.
    Mh,
    /// T.4 two-dimensional.
    Mr,
}

/// Image coding of phase C in ECM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EcmCoding {
    /// T.4 one-dimensional.
    Mh,
    /// T.4 two-dimensional.
    Mr,
    /// T.6.
    Mmr,
}

/// ECM frame size (DCS bit 28).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameSize {
    /// 256 octets.
    Octets256,
    /// 64 octets.
    Octets64,
}

impl FrameSize {
    /// Octets per frame.
    pub fn octets(self) -> usize {
        match self {
            FrameSize::Octets256 => 256,
            FrameSize::Octets64 => 64,
        }
    }
}

/// How phase C runs: plain T.4 data, or ECM frames. The types leave no room for T.6
/// without ECM, or for an ECM frame size without ECM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transfer {
    /// A T.4 data stream at the phase C rate.
    NonEcm(NonEcmCoding),
    /// HDLC frames of ECM (T.30 Annex A).
    Ecm {
        /// The coding.
        coding: EcmCoding,
        /// Octets per frame.
        frame_size: FrameSize,
    },
}

impl Transfer {
    /// The t4-codec coding (MR with T.4's K for the resolution).
    pub fn coding(self, res: Resolution) -> t4_codec::Coding {
        let mr = || match res.dpi().1 {
            0..=110 => t4_codec::Coding::Mr { k: 2 },
            111..=250 => t4_codec::Coding::Mr { k: 4 },
            _ => t4_codec::Coding::Mr { k: 8 },
        };
        match self {
            Transfer::NonEcm(NonEcmCoding::Mh)
            | Transfer::Ecm {
                coding: EcmCoding::Mh,
                ..
            } => t4_codec::Coding::Mh,
            Transfer::NonEcm(NonEcmCoding::Mr)
            | Transfer::Ecm {
                coding: EcmCoding::Mr,
                ..
            } => mr(),
            Transfer::Ecm {
                coding: EcmCoding::Mmr,
                ..
            } => t4_codec::Coding::Mmr,
        }
    }

    /// True in ECM.
    pub fn is_ecm(self) -> bool {
        matches!(self, Transfer::Ecm { .. })
    }
}

/// A negotiated mode: everything a DCS commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mode {
    /// Phase C rate.
    pub rate: Rate,
    /// Resolution.
    pub resolution: Resolution,
    /// Page width.
    pub width: Width,
    /// Page length.
    pub length: Length,
    /// Minimum scan-line time (non-ECM rows are padded to it).
    pub scan_time: ScanTime,
    /// Non-ECM or ECM, and the coding.
    pub transfer: Transfer,
    /// T.38 bit.
    pub t38: bool,
}

impl Mode {
    /// Pels per row.
    pub fn columns(&self) -> u32 {
        self.resolution.pels(self.width)
    }

    /// Minimum bits per coded row (scan-line time x rate); 0 in ECM.
    pub fn min_row_bits(&self) -> u32 {
        if self.transfer.is_ecm() {
            0
        } else {
            u32::from(self.scan_time.0) * self.rate.bps() / 1000
        }
    }

    /// t4-codec parameters for page data in this mode (min-is-white packed rows).
    pub fn codec_params(&self) -> t4_codec::Params {
        let mut p = t4_codec::Params::new(self.transfer.coding(self.resolution), self.columns());
        p.black_is_1 = true;
        p.end_of_line = true;
        if matches!(p.coding(), t4_codec::Coding::Mmr) {
            p.end_of_line = false;
        }
        p.min_row_bits = self.min_row_bits();
        p
    }
}

/// What the sending side wants, for negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Preferences {
    /// Fastest rate to try.
    pub max_rate: Rate,
    /// Use ECM when both sides can.
    pub ecm: bool,
    /// Resolution of the first page.
    pub resolution: Resolution,
    /// Width of the first page.
    pub width: Width,
    /// ECM frame size to use (spandsp always uses 256; 64 suits very lossy links).
    pub frame_size: FrameSize,
}

/// Bits that, when set in DCS, require ECM (T.30 note quoted in spandsp's header).
const NEEDS_ECM: [u16; 18] = [
    31, 36, 38, 51, 53, 54, 55, 57, 59, 60, 62, 65, 68, 78, 79, 115, 116, 127,
];

/// A digital command signal that is consistent in itself and with the DIS it answers.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Dcs {
    mode: Mode,
    bits: Bits,
}

impl Dcs {
    /// The best common mode between our sending capabilities and the remote's DIS (or DTC).
    ///
    /// # Errors
    /// [`DcsError::NotReceiving`] if the remote is not ready to receive.
    pub fn negotiate(
        local: &Capabilities,
        pref: &Preferences,
        remote: &Dis,
    ) -> Result<Dcs, DcsError> {
        let r = remote.capabilities();
        if !r.ready_to_receive {
            return Err(DcsError::NotReceiving);
        }
        let modems = Modems {
            v27ter: local.modems.v27ter && r.modems.v27ter,
            v29: local.modems.v29 && r.modems.v29,
            v17: local.modems.v17 && r.modems.v17,
        };
        let rate = modems.best(pref.max_rate);
        let resolution = best_resolution(pref.resolution, r.resolutions);
        let width = pref.width.min(r.max_width).min(local.max_width);
        let ecm = pref.ecm && local.ecm && r.ecm;
        let transfer = if ecm {
            let coding = if local.mmr && r.mmr {
                EcmCoding::Mmr
            } else if local.mr && r.mr {
                EcmCoding::Mr
            } else {
                EcmCoding::Mh
            };
            Transfer::Ecm {
                coding,
                frame_size: pref.frame_size,
            }
        } else if local.mr && r.mr {
            Transfer::NonEcm(NonEcmCoding::Mr)
        } else {
            Transfer::NonEcm(NonEcmCoding::Mh)
        };
        let scan_time = if ecm {
            ScanTime(0)
        } else {
            r.scan.at(resolution)
        };
        let mode = Mode {
            rate,
            resolution,
            width,
            length: r.max_length.min(local.max_length),
            scan_time,
            transfer,
            t38: local.t38 && r.t38,
        };
        Dcs::from_mode(mode, remote)
    }

    /// A DCS for a mode, checked against the DIS it answers.
    ///
    /// # Errors
    /// [`DcsError`] naming what the DIS does not offer.
    pub fn from_mode(mode: Mode, dis: &Dis) -> Result<Dcs, DcsError> {
        let bits = mode_bits(&mode);
        check_against(&mode, &bits, dis)?;
        Ok(Dcs { mode, bits })
    }

    /// Parses a received DCS and checks it against the DIS (or DTC) we sent.
    ///
    /// # Errors
    /// [`DcsError`] for a DCS that contradicts itself (reserved codes, two resolutions, T.6
    /// or other ECM-only features without ECM) or asks for something the DIS did not offer.
    pub fn parse(fif: &[u8], dis: &Dis) -> Result<Dcs, DcsError> {
        if fif.len() < 3 {
            return Err(DcsError::TooShort(fif.len()));
        }
        let b = Bits(fif.to_vec());
        if !b.get(10) {
            return Err(DcsError::NotReceiveCommand);
        }
        let rate = Rate::from_dcs_code([b.get(11), b.get(12), b.get(13), b.get(14)])
            .ok_or(DcsError::ReservedCode("data signalling rate"))?;
        let set: Vec<u16> = RESOLUTION_BITS
            .iter()
            .copied()
            .filter(|&n| b.get(n))
            .collect();
        if set.len() > 1 {
            return Err(DcsError::Contradiction("more than one resolution"));
        }
        let inch = b.get(44);
        let resolution = RESOLUTIONS
            .into_iter()
            .find(|r| {
                let want = r.dcs_bits();
                want.contains(&44) == inch
                    && set.iter().all(|n| want.contains(n))
                    && want.iter().filter(|&&n| n != 44).count() == set.len()
            })
            .ok_or(DcsError::Contradiction("resolution bits"))?;
        let width = match (b.get(17), b.get(18)) {
            (false, false) => Width::A4,
            (true, false) => Width::B4,
            (false, true) => Width::A3,
            (true, true) => return Err(DcsError::ReservedCode("width")),
        };
        let length = match (b.get(19), b.get(20)) {
            (false, false) => Length::A4,
            (true, false) => Length::B4,
            (false, true) => Length::Unlimited,
            (true, true) => return Err(DcsError::ReservedCode("length")),
        };
        let scan_time = scan_from_dcs_bits([b.get(21), b.get(22), b.get(23)])
            .ok_or(DcsError::ReservedCode("scan-line time"))?;
        let ecm = b.get(27);
        if !ecm {
            if b.get(28) {
                return Err(DcsError::Contradiction("ECM frame size without ECM"));
            }
            if let Some(&bit) = NEEDS_ECM.iter().find(|&&n| b.get(n)) {
                return Err(DcsError::NeedsEcm(bit));
            }
        }
        if b.get(31) && b.get(16) {
            return Err(DcsError::Contradiction("both MR and MMR"));
        }
        let transfer = if ecm {
            Transfer::Ecm {
                coding: if b.get(31) {
                    EcmCoding::Mmr
                } else if b.get(16) {
                    EcmCoding::Mr
                } else {
                    EcmCoding::Mh
                },
                frame_size: if b.get(28) {
                    FrameSize::Octets64
                } else {
                    FrameSize::Octets256
                },
            }
        } else if b.get(16) {
            Transfer::NonEcm(NonEcmCoding::Mr)
        } else {
            Transfer::NonEcm(NonEcmCoding::Mh)
        };
        let mode = Mode {
            rate,
            resolution,
            width,
            length,
            scan_time,
            transfer,
            t38: b.get(3),
        };
        check_against(&mode, &b, dis)?;
        Ok(Dcs { mode, bits: b })
    }

    /// The mode commanded.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// The FIF (as received, or as built).
    pub fn fif(&self) -> &[u8] {
        &self.bits.0
    }

    /// The same DCS at another rate (after FTT or for CTC).
    ///
    /// # Errors
    /// [`DcsError::NotOffered`] if the DIS does not offer the rate.
    pub fn with_rate(&self, rate: Rate, dis: &Dis) -> Result<Dcs, DcsError> {
        let mut mode = self.mode;
        mode.rate = rate;
        Dcs::from_mode(mode, dis)?.with_sub_sid(self.has_sub(), self.has_sid(), dis)
    }

    /// The same DCS announcing a SUB frame (bit 49) and/or a SID frame (bit 50).
    ///
    /// # Errors
    /// [`DcsError::NotOffered`] if the DIS does not offer subaddressing or passwords.
    pub fn with_sub_sid(&self, sub: bool, sid: bool, dis: &Dis) -> Result<Dcs, DcsError> {
        let mut bits = self.bits.clone();
        bits.set(49, sub);
        bits.set(50, sid);
        bits.finish(3);
        check_against(&self.mode, &bits, dis)?;
        Ok(Dcs {
            mode: self.mode,
            bits,
        })
    }

    /// True if the DCS announces a SUB frame (bit 49).
    pub fn has_sub(&self) -> bool {
        self.bits.get(49)
    }

    /// True if the DCS announces a SID frame (bit 50).
    pub fn has_sid(&self) -> bool {
        self.bits.get(50)
    }

    /// The CTC FIF: DCS octets 1 and 2 (bits 1-16, the rate among them).
    pub fn ctc_fif(&self) -> Vec<u8> {
        let mut v = self.bits.0.clone();
        v.truncate(2);
        v
    }

    /// The rate a CTC FIF commands.
    pub fn rate_from_ctc(fif: &[u8]) -> Option<Rate> {
        let b = Bits(fif.to_vec());
        Rate::from_dcs_code([b.get(11), b.get(12), b.get(13), b.get(14)])
    }
}

impl fmt::Debug for Dcs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DCS {:02x?} {:?}", self.bits.0, self.mode)
    }
}

pub(crate) fn best_resolution(want: Resolution, offered: Resolutions) -> Resolution {
    if offered.contains(want) {
        return want;
    }
    // The finest offered resolution not finer than wanted in either direction.
    let (wx, wy) = want.dpi();
    offered
        .iter()
        .filter(|r| {
            let (x, y) = r.dpi();
            x <= wx + 10 && y <= wy + 10
        })
        .max_by_key(|r| {
            let (x, y) = r.dpi();
            (y, x)
        })
        .unwrap_or(Resolution::Standard)
}

fn mode_bits(m: &Mode) -> Bits {
    let mut b = Bits::default();
    b.set(3, m.t38);
    b.set(10, true);
    let [c11, c12, c13, c14] = m.rate.dcs_code();
    b.set(11, c11);
    b.set(12, c12);
    b.set(13, c13);
    b.set(14, c14);
    for &n in m.resolution.dcs_bits() {
        b.set(n, true);
    }
    let (w17, w18) = match m.width {
        Width::A4 => (false, false),
        Width::B4 => (true, false),
        Width::A3 => (false, true),
    };
    b.set(17, w17);
    b.set(18, w18);
    let (l19, l20) = match m.length {
        Length::A4 => (false, false),
        Length::B4 => (true, false),
        Length::Unlimited => (false, true),
    };
    b.set(19, l19);
    b.set(20, l20);
    let [s21, s22, s23] = scan_dcs_bits(m.scan_time);
    b.set(21, s21);
    b.set(22, s22);
    b.set(23, s23);
    match m.transfer {
        Transfer::NonEcm(c) => b.set(16, c == NonEcmCoding::Mr),
        Transfer::Ecm { coding, frame_size } => {
            b.set(27, true);
            b.set(28, frame_size == FrameSize::Octets64);
            b.set(16, coding == EcmCoding::Mr);
            b.set(31, coding == EcmCoding::Mmr);
        }
    }
    b.finish(3);
    b
}

fn check_against(m: &Mode, b: &Bits, dis: &Dis) -> Result<(), DcsError> {
    let c = dis.capabilities();
    if !c.ready_to_receive {
        return Err(DcsError::NotOffered("reception (DIS bit 10)"));
    }
    if !c.modems.supports(m.rate) {
        return Err(DcsError::NotOffered("data signalling rate"));
    }
    if !c.resolutions.contains(m.resolution) {
        return Err(DcsError::NotOffered("resolution"));
    }
    if m.width > c.max_width {
        return Err(DcsError::NotOffered("page width"));
    }
    if m.length > c.max_length {
        return Err(DcsError::NotOffered("page length"));
    }
    match m.transfer {
        Transfer::Ecm { coding, .. } => {
            if !c.ecm {
                return Err(DcsError::NotOffered("ECM"));
            }
            if coding == EcmCoding::Mmr && !c.mmr {
                return Err(DcsError::NotOffered("T.6 coding"));
            }
            if coding == EcmCoding::Mr && !c.mr {
                return Err(DcsError::NotOffered("MR coding"));
            }
        }
        Transfer::NonEcm(coding) => {
            if coding == NonEcmCoding::Mr && !c.mr {
                return Err(DcsError::NotOffered("MR coding"));
            }
            if m.scan_time < c.scan.at(m.resolution) {
                return Err(DcsError::NotOffered("scan-line time"));
            }
        }
    }
    if b.get(49) && !c.subaddress {
        return Err(DcsError::NotOffered("subaddressing"));
    }
    if b.get(50) && !c.password {
        return Err(DcsError::NotOffered("sender identification (password)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lsb(v: &[u8]) -> Vec<u8> {
        v.iter().map(|b| b.reverse_bits()).collect()
    }

    /// spandsp 0.0.6's DIS, measured (reference 2.4), FIF as stored LSB first.
    fn spandsp_dis() -> Dis {
        Dis::from_fif(&lsb(&[
            0x04, 0xee, 0xf8, 0xc4, 0x80, 0x91, 0x80, 0x80, 0x80, 0x18,
        ]))
        .expect("valid")
    }

    #[test]
    fn measured_dis_reads() {
        let dis = spandsp_dis();
        let c = dis.capabilities();
        assert!(c.t38 && c.ready_to_receive && c.mr && c.mmr && c.ecm);
        assert_eq!(c.modems, Modems::ALL);
        assert!(c.resolutions.contains(Resolution::Fine));
        assert!(c.resolutions.contains(Resolution::Superfine));
        assert!(!c.resolutions.contains(Resolution::Inch300x300));
        assert_eq!(c.max_width, Width::A4);
        assert_eq!(c.max_length, Length::Unlimited);
        assert_eq!(c.scan.ms, 0);
        // Letter and legal (bits 76, 77) are not modelled but survive.
        assert!(dis.bit(76) && dis.bit(77));
        assert_eq!(dis.fif().len(), 10);
    }

    #[test]
    fn measured_dcs_parses_against_measured_dis() {
        let dcs = Dcs::parse(&lsb(&[0x00, 0x62, 0xf8, 0x44]), &spandsp_dis()).expect("valid");
        let m = dcs.mode();
        assert_eq!(m.rate, Rate::V17_14400);
        assert_eq!(m.resolution, Resolution::Fine);
        assert_eq!(m.length, Length::Unlimited);
        assert_eq!(m.scan_time, ScanTime(0));
        assert_eq!(
            m.transfer,
            Transfer::Ecm {
                coding: EcmCoding::Mmr,
                frame_size: FrameSize::Octets256
            }
        );
        // Built from the same mode, the FIF is identical to what spandsp sent.
        let rebuilt = Dcs::from_mode(*m, &spandsp_dis()).expect("valid");
        assert_eq!(rebuilt.fif(), lsb(&[0x00, 0x62, 0xf8, 0x44]));
    }

    #[test]
    fn contradictory_dcs_is_rejected() {
        let dis = spandsp_dis();
        let base = lsb(&[0x00, 0x62, 0xf8, 0x44]);
        let cases: [(u16, bool, &str); 6] = [
            (27, false, "T.6 without ECM"),
            (41, true, "fine and superfine"),
            (17, true, "B4 not offered"),
            (10, false, "not a receive command"),
            (13, true, "reserved rate"),
            (42, true, "300 dpi not offered"),
        ];
        for (bit, on, why) in cases {
            let mut b = Bits(base.clone());
            b.set(bit, on);
            assert!(Dcs::parse(&b.0, &dis).is_err(), "{why}");
        }
        let mut b = Bits(base);
        b.set(18, true);
        b.set(17, true);
        assert_eq!(Dcs::parse(&b.0, &dis), Err(DcsError::ReservedCode("width")));
    }

    #[test]
    fn dis_round_trips_capabilities() {
        let c = Capabilities::default();
        let dis = Dis::from_capabilities(&c);
        assert_eq!(dis.capabilities(), c);
        // Extension bits announce each following octet; the last has none.
        let fif = dis.fif();
        for octet in 3..fif.len() {
            assert!(dis.bit(u16::try_from(octet * 8).expect("small")));
        }
        assert!(!dis.bit(u16::try_from(fif.len() * 8).expect("small")));
    }

    #[test]
    fn negotiation_picks_best_common_mode() {
        let remote = Capabilities {
            modems: Modems {
                v27ter: true,
                v29: true,
                v17: false,
            },
            mmr: false,
            resolutions: Resolutions::STANDARD.with(Resolution::Fine),
            ..Capabilities::default()
        };
        let dis = Dis::from_capabilities(&remote);
        let pref = Preferences {
            max_rate: Rate::V17_14400,
            ecm: true,
            resolution: Resolution::Superfine,
            width: Width::A4,
            frame_size: FrameSize::Octets256,
        };
        let dcs = Dcs::negotiate(&Capabilities::default(), &pref, &dis).expect("ok");
        let m = dcs.mode();
        assert_eq!(m.rate, Rate::V29_9600);
        assert_eq!(m.resolution, Resolution::Fine);
        assert_eq!(
            m.transfer,
            Transfer::Ecm {
                coding: EcmCoding::Mr,
                frame_size: FrameSize::Octets256
            }
        );
        assert_eq!(
            Dcs::parse(dcs.fif(), &dis).expect("own DCS parses").mode(),
            m
        );
        assert_eq!(m.rate.step_down(remote.modems), Some(Rate::V29_7200));
    }

    #[test]
    fn every_mode_round_trips_through_its_fif() {
        let dis = Dis::from_capabilities(&Capabilities {
            resolutions: Resolutions::all(),
            ..Capabilities::default()
        });
        for rate in FALLBACK {
            for resolution in RESOLUTIONS {
                for transfer in [
                    Transfer::NonEcm(NonEcmCoding::Mh),
                    Transfer::NonEcm(NonEcmCoding::Mr),
                    Transfer::Ecm {
                        coding: EcmCoding::Mmr,
                        frame_size: FrameSize::Octets64,
                    },
                ] {
                    let mode = Mode {
                        rate,
                        resolution,
                        width: Width::B4,
                        length: Length::B4,
                        scan_time: ScanTime(if transfer.is_ecm() { 0 } else { 10 }),
                        transfer,
                        t38: true,
                    };
                    let dcs = Dcs::from_mode(mode, &dis).expect("offered");
                    assert_eq!(Dcs::parse(dcs.fif(), &dis).map(|d| *d.mode()), Ok(mode));
                }
            }
        }
    }
}
