//! The front-end boundary: what a transport (a T.38 terminal, one day audio modems) feeds a
//! session and what the session asks it to send.

use crate::caps::{Mode, Rate};
use crate::frame::Frame;
use crate::ident::{Identity, NonStandard};
use crate::outcome::Outcome;
use std::time::Duration;

/// Something the front end observed.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Input<'a> {
    /// One HDLC frame (address, control, FCF, FIF; no FCS), in the configured
    /// [`BitOrder`](crate::BitOrder), with the FCS verdict of the receiver (T.38: the
    /// `hdlc-fcs-OK` or `hdlc-fcs-BAD` field type).
    Frame {
        /// The frame octets.
        bytes: &'a [u8],
        /// True if the FCS was correct.
        fcs_ok: bool,
    },
    /// A chunk of non-ECM page data (T.38 `t4-non-ecm-data`), in the configured bit order.
    /// Right after a DCS this is the TCF itself (T.38 `transferredTCF`): the session counts
    /// the zeros and judges the training when [`Input::CarrierDown`] follows.
    NonEcmData(&'a [u8]),
    /// The training check (TCF) was received and judged by the front end; its quality
    /// decides CFR or FTT.
    Training(Training),
    /// The high-speed carrier of phase C started.
    CarrierUp,
    /// The high-speed carrier stopped: non-ECM page data is complete.
    CarrierDown,
}

/// What the receiver saw of a TCF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Training {
    /// How long the TCF lasted.
    pub duration: Duration,
    /// The longest stretch of correct zero bits within it.
    pub longest_zero_run: Duration,
}

impl Training {
    /// Judges TCF bytes received as data at `rate` (T.38 `transferredTCF`): the longest run
    /// of zero octets, as spandsp measures it.
    pub fn from_bytes(bytes: &[u8], rate: Rate) -> Training {
        let mut run = 0usize;
        let mut best = 0usize;
        for &b in bytes {
            if b == 0 {
                run += 1;
                best = best.max(run);
            } else {
                run = 0;
            }
        }
        let ms = |octets: usize| {
            Duration::from_micros(
                u64::try_from(octets)
                    .unwrap_or(u64::MAX)
                    .saturating_mul(8_000_000)
                    / u64::from(rate.bps()),
            )
        };
        Training {
            duration: ms(bytes.len()),
            longest_zero_run: ms(best),
        }
    }

    /// A clean TCF of the standard 1.5 s.
    pub fn perfect() -> Training {
        Training {
            duration: TCF_DURATION,
            longest_zero_run: TCF_DURATION,
        }
    }
}

/// Length of the TCF a sender transmits.
pub const TCF_DURATION: Duration = Duration::from_millis(1500);

/// The carrier a transmission uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Carrier {
    /// V.21 channel 2 at 300 bit/s: control frames.
    V21,
    /// A phase C modem at its rate: ECM frames, TCF, non-ECM data.
    Fast(Rate),
}

/// Something to put on the line, in order after everything sent before it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transmit {
    /// A group of HDLC frames on one carrier; the last has its final bit set (control
    /// frames), or the group is an ECM burst ending with RCP.
    Frames {
        /// V.21 for control frames, the phase C rate for ECM bursts.
        carrier: Carrier,
        /// The frames, in order. Serialise each with [`Frame::to_bytes`].
        frames: Vec<Frame>,
    },
    /// A training check: zeros for `duration` at `rate`.
    Tcf {
        /// The rate being trained.
        rate: Rate,
        /// 1.5 s.
        duration: Duration,
    },
    /// Non-ECM page data (the coded page, RTC included) at `rate`, in the configured bit
    /// order. The front end chunks and paces it.
    NonEcm {
        /// The phase C rate.
        rate: Rate,
        /// The coded page.
        data: Vec<u8>,
    },
}

/// Sizes only: page data and identities are never printed.
impl core::fmt::Debug for Transmit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Transmit::Frames { carrier, frames } => {
                write!(f, "Frames {carrier:?} {frames:?}")
            }
            Transmit::Tcf { rate, duration } => write!(f, "TCF {rate} {duration:?}"),
            Transmit::NonEcm { rate, data } => write!(f, "NonEcm {rate} [{} octets]", data.len()),
        }
    }
}

/// Preamble before V.21 frames (1 s of flags).
const V21_PREAMBLE: Duration = Duration::from_secs(1);
/// Training before phase C data (V.17 short training is about 0.2 s; long 1.4 s).
const FAST_TRAINING: Duration = Duration::from_millis(200);

fn bits_at(bits: u64, bps: u32) -> Duration {
    Duration::from_micros(bits.saturating_mul(1_000_000) / u64::from(bps.max(1)))
}

impl Transmit {
    /// How long this takes on a real line: the session's timers for the response start
    /// after it. A front end that paces like a modem (T.38 terminals do) takes this long.
    pub fn airtime(&self) -> Duration {
        match self {
            Transmit::Frames { carrier, frames } => {
                // Each frame: its octets, 2 FCS octets and a closing flag.
                let bits: u64 = frames.iter().map(|f| (f.len() as u64 + 3) * 8).sum();
                match carrier {
                    Carrier::V21 => V21_PREAMBLE + bits_at(bits, 300),
                    Carrier::Fast(r) => FAST_TRAINING + bits_at(bits, r.bps()),
                }
            }
            Transmit::Tcf { duration, .. } => FAST_TRAINING + *duration,
            Transmit::NonEcm { rate, data } => {
                FAST_TRAINING + bits_at(data.len() as u64 * 8, rate.bps())
            }
        }
    }
}

/// T.30 phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Pre-message procedure: identification, negotiation, training.
    B,
    /// Message transmission.
    C,
    /// Post-message procedure.
    D,
    /// Call release.
    E,
}

/// Something the application may want to know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The session entered a phase.
    Phase(Phase),
    /// The remote identified itself (CSI, TSI or CIG). Redacted in `Debug`.
    RemoteIdentity(Identity),
    /// The remote sent non-standard facilities (logged, never acted on).
    NonStandard(NonStandard),
    /// A mode was agreed (DCS sent or accepted).
    Negotiated(Mode),
    /// The receiver confirmed a page we sent.
    PageSent {
        /// 1-based page number.
        number: u32,
    },
    /// A page was received and handed to the sink.
    PageReceived {
        /// 1-based page number.
        number: u32,
        /// Concealed rows.
        bad_rows: u32,
    },
    /// The session ended. Nothing more will be output after its transmissions.
    Finished(Outcome),
}

/// What the session asks of its embedder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Transmit this.
    Transmit(Transmit),
    /// Tell the application.
    Event(Event),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcf_judged_from_bytes() {
        // 1.5 s at 9600 bit/s is 1800 octets; one damaged octet in the middle leaves
        // 900 clean octets (0.75 s) as the longest run.
        let mut tcf = vec![0u8; 1800];
        let t = Training::from_bytes(&tcf, Rate::V29_9600);
        assert_eq!(t.duration, Duration::from_millis(1500));
        assert_eq!(t.longest_zero_run, Duration::from_millis(1500));
        tcf[899] = 0x10;
        let t = Training::from_bytes(&tcf, Rate::V29_9600);
        assert_eq!(t.longest_zero_run, Duration::from_millis(750));
    }

    #[test]
    fn airtime_of_v21_frames() {
        // DCS with a 4-octet FIF: 7 octets + 2 FCS + 1 flag = 80 bits at 300 bit/s, after
        // the 1 s preamble.
        let t = Transmit::Frames {
            carrier: Carrier::V21,
            frames: vec![Frame::new(crate::Fcf::DCS, vec![0; 4], true)],
        };
        assert_eq!(
            t.airtime(),
            Duration::from_secs(1) + Duration::from_micros(266_666)
        );
    }
}
