//! Resolutions, widths, lengths and scan-line times, with their DIS/DCS codes.

use core::fmt;

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
    pub(super) fn dcs_bits(self) -> &'static [u16] {
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
    pub(super) fn is_fine(self) -> bool {
        self.dpi().1 > 110
    }
}

/// The resolution bits of DCS, all of them.
pub(super) const RESOLUTION_BITS: [u16; 9] = [15, 41, 42, 43, 105, 106, 107, 108, 109];

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

    pub(super) fn from_bits(b: [bool; 3]) -> ScanCapability {
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

    pub(super) fn to_bits(self) -> [bool; 3] {
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

pub(super) fn scan_dcs_bits(t: ScanTime) -> [bool; 3] {
    match t.0 {
        0 => [true, true, true],
        1..=5 => [true, false, false],
        6..=10 => [false, true, false],
        11..=20 => [false, false, false],
        _ => [false, false, true],
    }
}

pub(super) fn scan_from_dcs_bits(b: [bool; 3]) -> Option<ScanTime> {
    Some(ScanTime(match b {
        [false, false, false] => 20,
        [false, false, true] => 40,
        [false, true, false] => 10,
        [true, false, false] => 5,
        [true, true, true] => 0,
        _ => return None,
    }))
}
