//! The receive side: turns IFPs back into what a t30 session understands (frames with their
//! FCS verdict, non-ECM data, carrier up and down), tolerating what real peers send twice.

use super::modem;
use super::Counters;
use crate::codes::{DataType, FieldType, Indicator};
use crate::ifp::{Ifp, Message};
use std::time::Instant;
use t30::{Input, Session, MAX_FRAME};

/// HDLC reassembly and carrier state.
#[derive(Debug, Default)]
pub(crate) struct Deframer {
    /// Octets of the frame being received.
    frame: Vec<u8>,
    /// Part of the current frame was lost or overflowed: its FCS verdict cannot be OK.
    damaged: bool,
    /// A phase C carrier is up (we told the session `CarrierUp`).
    fast_up: bool,
    /// The last indicator received (indicators are only sent on change; a repeat is a copy).
    indicator: Option<Indicator>,
}

impl Deframer {
    pub(crate) fn heap_bytes(&self) -> usize {
        self.frame.capacity()
    }

    /// An IFP was lost for good (UDPTL could not repair it): whatever frame is in progress,
    /// or starts next, is damaged.
    pub(crate) fn lost(&mut self) {
        self.damaged = true;
    }

    fn carrier_up(&mut self, session: &mut Session, now: Instant) {
        if !self.fast_up {
            self.fast_up = true;
            session.handle_input(Input::CarrierUp, now);
        }
    }

    fn carrier_down(&mut self, session: &mut Session, now: Instant, c: &mut Counters) {
        if self.fast_up {
            self.fast_up = false;
            session.handle_input(Input::CarrierDown, now);
        } else {
            c.superfluous_ends += 1;
        }
    }

    fn reset_frame(&mut self) {
        self.frame.clear();
        self.damaged = false;
    }

    /// Feeds one received IFP to `session`.
    pub(crate) fn feed(
        &mut self,
        ifp: &Ifp<'_>,
        session: &mut Session,
        now: Instant,
        c: &mut Counters,
    ) {
        match ifp.message() {
            Message::Indicator(ind) => self.on_indicator(ind, session, now, c),
            Message::Data(dt) => {
                for field in ifp.fields() {
                    self.on_field(dt, field.field_type, field.data, session, now, c);
                }
            }
        }
    }

    fn on_indicator(
        &mut self,
        ind: Indicator,
        session: &mut Session,
        now: Instant,
        c: &mut Counters,
    ) {
        if self.indicator == Some(ind) {
            c.repeated_indicators += 1;
            return;
        }
        self.indicator = Some(ind);
        // Any new signal ends the previous one.
        if self.fast_up {
            self.fast_up = false;
            session.handle_input(Input::CarrierDown, now);
        }
        if !self.frame.is_empty() {
            c.frames_discarded += 1;
        }
        self.reset_frame();
        if modem::is_training(ind) {
            self.carrier_up(session, now);
        }
    }

    fn on_field(
        &mut self,
        dt: DataType,
        ft: FieldType,
        data: Option<&[u8]>,
        session: &mut Session,
        now: Instant,
        c: &mut Counters,
    ) {
        let fast = dt != DataType::V21;
        if !fast && self.fast_up {
            // V.21 data while a fast carrier is up: its end (sig-end, no-signal) was lost.
            self.fast_up = false;
            session.handle_input(Input::CarrierDown, now);
        }
        if fast && !self.fast_up && matches!(ft, FieldType::HDLC_DATA | FieldType::T4_NON_ECM_DATA)
        {
            // The training indicator was lost: the data shows the carrier is there.
            self.carrier_up(session, now);
        }
        // A data packet clears the "same indicator" memory: after it, the same indicator
        // again is a new signal (the peer starts another carrier of the same kind).
        self.indicator = None;
        match ft {
            FieldType::HDLC_DATA => {
                let d = data.unwrap_or_default();
                if self.frame.len() + d.len() > MAX_FRAME + 2 {
                    self.damaged = true;
                } else {
                    self.frame.extend_from_slice(d);
                }
            }
            FieldType::HDLC_FCS_OK
            | FieldType::HDLC_FCS_BAD
            | FieldType::HDLC_FCS_OK_SIG_END
            | FieldType::HDLC_FCS_BAD_SIG_END => {
                if self.frame.is_empty() {
                    c.superfluous_ends += 1;
                } else {
                    let ok = matches!(ft, FieldType::HDLC_FCS_OK | FieldType::HDLC_FCS_OK_SIG_END)
                        && !self.damaged;
                    if ok {
                        c.frames_ok += 1;
                    } else {
                        c.frames_bad += 1;
                    }
                    session.handle_input(
                        Input::Frame {
                            bytes: &self.frame,
                            fcs_ok: ok,
                        },
                        now,
                    );
                    self.reset_frame();
                }
                if matches!(
                    ft,
                    FieldType::HDLC_FCS_OK_SIG_END | FieldType::HDLC_FCS_BAD_SIG_END
                ) && fast
                {
                    self.carrier_down(session, now, c);
                }
            }
            FieldType::HDLC_SIG_END => {
                if !self.frame.is_empty() {
                    // A frame without an FCS verdict is noise.
                    c.frames_discarded += 1;
                    self.reset_frame();
                }
                if fast {
                    self.carrier_down(session, now, c);
                }
            }
            FieldType::T4_NON_ECM_DATA => {
                if let Some(d) = data {
                    session.handle_input(Input::NonEcmData(d), now);
                }
            }
            FieldType::T4_NON_ECM_SIG_END => {
                if let Some(d) = data {
                    session.handle_input(Input::NonEcmData(d), now);
                }
                self.carrier_down(session, now, c);
            }
            _ => c.ignored_fields += 1,
        }
    }
}
