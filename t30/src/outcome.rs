//! How a call ended.

use crate::caps::Mode;
use crate::error::DcsError;
use crate::ident::Identity;
use core::fmt;

/// Why a session ended (spandsp's `T30_ERR_*` list, by phase).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Completion {
    /// Every page was sent and confirmed, or received, and the call released normally.
    Ok,
    // Phase B.
    /// No DIS (or DTC) from the remote within T1.
    NoDis,
    /// We sent DIS/DTC repeatedly and no DCS (or DTC) came within T1.
    NoDcs,
    /// Training failed at the lowest rate (FTT to 2400 bit/s).
    TrainingFailed,
    /// No common mode: the remote is not ready to receive, or lacks what we need.
    Incompatible,
    /// The remote did not present the expected password (SID or PWD); we disconnected
    /// (spandsp `SID_UNACCEPTABLE` / `PWD_UNACCEPTABLE`).
    PasswordRejected,
    /// The remote sent a DCS that contradicts itself or our DIS; we disconnected.
    InvalidDcs(DcsError),
    /// No document to send: polled (DTC) with nothing to send, polling a station that has
    /// nothing, or a sender whose source is empty.
    NothingToPoll,
    // Phase C / D.
    /// A command went unanswered after 3 tries (spandsp `TX_PHBDEAD`, `TX_PHDDEAD`).
    NoResponse(Waiting),
    /// Nothing arrived within 3 x T2 on the receiving side (spandsp `RX_T2EXP*`).
    NoCommand(Waiting),
    /// The receiver rejected a page (RTN) at the lowest rate.
    PageRejected,
    /// The receiver stayed busy (RNR) longer than T5.
    RnrTimeout,
    /// The remote answered a procedure interrupt (PIP/PIN); operator procedures are not
    /// supported.
    ProcedureInterrupt,
    /// The page data could not be encoded or decoded at all.
    BadPageData,
    // Phase E.
    /// The remote disconnected (DCN) before the document was complete (spandsp
    /// `TX_GOTDCN`, `RX_DCN*`).
    UnexpectedDcn(Waiting),
    /// The whole-call timer ran out.
    CallTimeout,
    /// The application aborted the call.
    Aborted,
}

/// What a session was waiting for when a call failed: the phase detail of spandsp's
/// completion codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Waiting {
    /// DIS or DTC (calling station, or a sender after EOM).
    Dis,
    /// DCS (or DTC) after our DIS/DTC.
    Dcs,
    /// The TCF after DCS.
    Training,
    /// CFR or FTT after DCS and TCF.
    Cfr,
    /// Page data, ECM frames, or the post-page command.
    Page,
    /// MCF, RTP or RTN after a post-page command.
    PageResponse,
    /// MCF, PPR or RNR after PPS or RR (ECM).
    EcmResponse,
    /// CTR after CTC.
    Ctr,
    /// ERR after EOR.
    Err,
    /// DCN after the last page.
    Dcn,
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Waiting::Dis => "DIS",
            Waiting::Dcs => "DCS",
            Waiting::Training => "TCF",
            Waiting::Cfr => "CFR",
            Waiting::Page => "page",
            Waiting::PageResponse => "response to the post-page command",
            Waiting::EcmResponse => "ECM response",
            Waiting::Ctr => "CTR",
            Waiting::Err => "ERR",
            Waiting::Dcn => "DCN",
        })
    }
}

impl Completion {
    /// True for [`Completion::Ok`].
    pub fn is_ok(self) -> bool {
        self == Completion::Ok
    }
}

impl fmt::Display for Completion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Completion::Ok => "completed",
            Completion::NoDis => "no DIS received (remote is not a fax machine or not answering)",
            Completion::NoDcs => "no DCS received after our DIS",
            Completion::TrainingFailed => "training failed at the lowest rate",
            Completion::Incompatible => "no mode in common with the remote",
            Completion::PasswordRejected => "the remote did not give the expected password",
            Completion::InvalidDcs(e) => return write!(f, "invalid DCS from the remote: {e}"),
            Completion::NothingToPoll => "polling with no document to send",
            Completion::NoResponse(w) => return write!(f, "no {w} after 3 tries"),
            Completion::NoCommand(w) => return write!(f, "no {w} from the remote within T2"),
            Completion::PageRejected => "page rejected (RTN) at the lowest rate",
            Completion::RnrTimeout => "receiver not ready for longer than T5",
            Completion::ProcedureInterrupt => "procedure interrupt (operator) requested",
            Completion::BadPageData => "page data unusable",
            Completion::UnexpectedDcn(w) => {
                return write!(f, "remote disconnected while we waited for {w}")
            }
            Completion::CallTimeout => "call timer expired",
            Completion::Aborted => "aborted by the application",
        };
        f.write_str(s)
    }
}

/// The result of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub completion: Completion,
    /// Pages confirmed by the receiver (sending side).
    pub pages_sent: u32,
    /// Pages delivered to the sink (receiving side).
    pub pages_received: u32,
    /// The last negotiated mode, if phase B completed.
    pub mode: Option<Mode>,
    /// Damaged rows over all received pages (non-ECM), or rows of pages completed after EOR.
    pub bad_rows: u32,
    /// ECM frames retransmitted after PPR (sending side) or requested (receiving side).
    pub ecm_retransmissions: u32,
    /// FTT and RTN step-downs.
    pub retrains: u32,
    /// ECM blocks the sender gave up on (EOR answered by ERR): their pages are incomplete.
    pub blocks_given_up: u32,
    /// The remote's identity (CSI, TSI or CIG); redacted in `Debug`.
    pub remote: Identity,
    /// The subaddress (SUB) the sender gave, or the selective polling address (SEP) a poller
    /// gave, for routing; empty if none. Redacted.
    pub subaddress: Identity,
}
