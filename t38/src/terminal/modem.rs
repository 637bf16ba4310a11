//! Which T.38 indicator and data type stand for each T.30 carrier, and how many octets of it
//! fit in one paced IFP.

use crate::codes::{DataType, Indicator};
use std::time::Duration;
use t30::{Carrier, Rate};

/// The training indicator announcing a phase C carrier (V.17 short training, as spandsp
/// sends after the first long one; receivers treat both alike).
pub(crate) fn training(rate: Rate) -> Indicator {
    match rate {
        Rate::V27ter2400 => Indicator::V27_2400_TRAINING,
        Rate::V27ter4800 => Indicator::V27_4800_TRAINING,
        Rate::V29_7200 => Indicator::V29_7200_TRAINING,
        Rate::V29_9600 => Indicator::V29_9600_TRAINING,
        Rate::V17_7200 => Indicator::V17_7200_SHORT_TRAINING,
        Rate::V17_9600 => Indicator::V17_9600_SHORT_TRAINING,
        Rate::V17_12000 => Indicator::V17_12000_SHORT_TRAINING,
        Rate::V17_14400 => Indicator::V17_14400_SHORT_TRAINING,
    }
}

/// The `t30-data` type of a carrier.
pub(crate) fn data_type(carrier: Carrier) -> DataType {
    match carrier {
        Carrier::V21 => DataType::V21,
        Carrier::Fast(rate) => match rate {
            Rate::V27ter2400 => DataType::V27_2400,
            Rate::V27ter4800 => DataType::V27_4800,
            Rate::V29_7200 => DataType::V29_7200,
            Rate::V29_9600 => DataType::V29_9600,
            Rate::V17_7200 => DataType::V17_7200,
            Rate::V17_9600 => DataType::V17_9600,
            Rate::V17_12000 => DataType::V17_12000,
            Rate::V17_14400 => DataType::V17_14400,
        },
    }
}

/// Bits per second of a carrier.
pub(crate) fn bps(carrier: Carrier) -> u32 {
    match carrier {
        Carrier::V21 => 300,
        Carrier::Fast(rate) => rate.bps(),
    }
}

/// True for the training indicators of phase C modems (V.27ter, V.29, V.17, V.33).
pub(crate) fn is_training(indicator: Indicator) -> bool {
    (Indicator::V27_2400_TRAINING.0..=Indicator::V17_14400_LONG_TRAINING.0).contains(&indicator.0)
        || (Indicator::V33_12000_TRAINING.0..=Indicator::V33_14400_TRAINING.0)
            .contains(&indicator.0)
}

/// Octets of a carrier at `bps` that take `chunk` of line time: at least 1 (V.21 at 30 ms
/// carries 1.1 octets, spandsp sends 1), 54 at 14 400 bit/s.
pub(crate) fn octets_per_chunk(bps: u32, chunk: Duration) -> usize {
    let bits = u128::from(bps) * chunk.as_micros() / 1_000_000;
    usize::try_from(bits / 8).unwrap_or(usize::MAX).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spandsp_chunk_sizes() {
        // T.38 reference note §6: 1 HDLC octet per 30 ms at 300 bit/s, 54 at 14 400.
        let c = Duration::from_millis(30);
        assert_eq!(octets_per_chunk(300, c), 1);
        assert_eq!(octets_per_chunk(14_400, c), 54);
        assert_eq!(octets_per_chunk(9_600, c), 36);
        assert_eq!(octets_per_chunk(2_400, c), 9);
    }

    #[test]
    fn every_rate_has_its_own_codes() {
        let mut seen = std::collections::HashSet::new();
        for r in t30::caps::FALLBACK {
            assert!(is_training(training(r)));
            assert!(seen.insert((training(r), data_type(Carrier::Fast(r)))));
        }
        assert!(!is_training(Indicator::V21_PREAMBLE));
        assert!(!is_training(Indicator::CED));
        assert_eq!(data_type(Carrier::V21), DataType::V21);
    }
}
