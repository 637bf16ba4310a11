//! Phase C rates, modems and the fallback order.

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
    pub(super) fn dcs_code(self) -> [bool; 4] {
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

    pub(super) fn from_dcs_code(code: [bool; 4]) -> Option<Rate> {
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
