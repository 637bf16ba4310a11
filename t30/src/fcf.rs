//! Facsimile control field codes (T.30 Table 5), in T.30 notation.
//!
//! T.30 prints each FCF with its first transmitted bit on the left; we keep that order, so
//! the first bit (the "X" bit of most codes) is the most significant bit of the octet. This is
//! also the octet order T.38 `hdlc-data` carries. Code that stores octets as received from an
//! HDLC receiver (LSB first, spandsp's convention) converts once with [`crate::BitOrder`].

use core::fmt;

/// A facsimile control field. Unknown codes survive a round trip unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fcf(pub u8);

/// The X bit: set in frames sent by the station that received a valid DIS.
pub const X_BIT: u8 = 0x80;

macro_rules! fcf_table {
    ($( $(#[$doc:meta])* $name:ident = $value:expr, $text:expr; )*) => {
        impl Fcf {
            $( $(#[$doc])* pub const $name: Fcf = Fcf($value); )*

            /// The frame's T.30 name (ignoring the X bit where it applies), if known.
            pub fn name(self) -> Option<&'static str> {
                // Codes whose first bit is part of the code are matched first.
                match self.0 {
                    $( v if v == $value => return Some($text), )*
                    _ => {}
                }
                let base = self.0 & !X_BIT;
                if !Fcf(base).uses_x_bit() {
                    return None;
                }
                match base {
                    $( v if v == $value => Some($text), )*
                    _ => None,
                }
            }
        }
    };
}

fcf_table! {
    /// Digital identification signal.
    DIS = 0x01, "DIS";
    /// Called subscriber identification.
    CSI = 0x02, "CSI";
    /// Non-standard facilities.
    NSF = 0x04, "NSF";
    /// Digital transmit command (polling).
    DTC = 0x81, "DTC";
    /// Calling subscriber identification.
    CIG = 0x82, "CIG";
    /// Non-standard facilities command.
    NSC = 0x84, "NSC";
    /// Password (sent with DTC when polling; a sender uses [`Fcf::SID`]).
    PWD = 0x83, "PWD";
    /// Selective polling.
    SEP = 0x85, "SEP";
    /// Polled subaddress.
    PSA = 0x86, "PSA";
    /// Calling subscriber internet address.
    CIA = 0x87, "CIA";
    /// Internet selective polling address.
    ISP = 0x88, "ISP";
    /// Digital command signal.
    DCS = 0x41, "DCS";
    /// Transmitting subscriber identification.
    TSI = 0x42, "TSI";
    /// Non-standard facilities set-up.
    NSS = 0x44, "NSS";
    /// Subaddress.
    SUB = 0x43, "SUB";
    /// Sender identification (the password of a sending station).
    SID = 0x45, "SID";
    /// Transmitting subscriber internet address.
    TSA = 0x46, "TSA";
    /// Internet routing address.
    IRA = 0x47, "IRA";
    /// Continue to correct (ECM).
    CTC = 0x48, "CTC";
    /// Confirmation to receive.
    CFR = 0x21, "CFR";
    /// Failure to train.
    FTT = 0x22, "FTT";
    /// Response for continue to correct.
    CTR = 0x23, "CTR";
    /// Called subscriber internet address.
    CSA = 0x24, "CSA";
    /// End of message.
    EOM = 0x71, "EOM";
    /// Multipage signal.
    MPS = 0x72, "MPS";
    /// End of retransmission (ECM).
    EOR = 0x73, "EOR";
    /// End of procedure.
    EOP = 0x74, "EOP";
    /// Receiver ready (ECM).
    RR = 0x76, "RR";
    /// End of selection.
    EOS = 0x78, "EOS";
    /// Procedure interrupt, end of message.
    PRI_EOM = 0x79, "PRI-EOM";
    /// Procedure interrupt, multipage.
    PRI_MPS = 0x7A, "PRI-MPS";
    /// Procedure interrupt, end of procedure.
    PRI_EOP = 0x7C, "PRI-EOP";
    /// Partial page signal (ECM).
    PPS = 0x7D, "PPS";
    /// Message confirmation.
    MCF = 0x31, "MCF";
    /// Retrain negative.
    RTN = 0x32, "RTN";
    /// Retrain positive.
    RTP = 0x33, "RTP";
    /// Procedure interrupt negative.
    PIN = 0x34, "PIN";
    /// Procedure interrupt positive.
    PIP = 0x35, "PIP";
    /// Receive not ready (ECM).
    RNR = 0x37, "RNR";
    /// Response for end of retransmission (ECM).
    ERR = 0x38, "ERR";
    /// Partial page request (ECM).
    PPR = 0x3D, "PPR";
    /// Field not valid.
    FNV = 0x53, "FNV";
    /// Command repeat.
    CRP = 0x58, "CRP";
    /// Disconnect.
    DCN = 0x5F, "DCN";
    /// Facsimile coded data (ECM phase C).
    FCD = 0x60, "FCD";
    /// Return to control for partial page (ECM phase C).
    RCP = 0x61, "RCP";
    /// Character coded data.
    CCD = 0x62, "CCD";
    /// The "null" second FCF of PPS and EOR: more blocks of this page follow.
    NULL = 0x00, "NULL";
}

impl Fcf {
    /// True for the codes whose first bit is the X bit (everything except the DIS/DTC
    /// family, the polling frames and the phase C frames).
    pub fn uses_x_bit(self) -> bool {
        let v = self.0 & !X_BIT;
        // Initial identification frames (DIS, CSI, NSF and their DTC/CIG/NSC twins and the
        // polling address frames) have a fixed first bit.
        let initial = matches!(v, 0x01..=0x08);
        let phase_c = matches!(self.0, 0x60..=0x62);
        !(initial || phase_c || self.0 == 0)
    }

    /// This code with the X bit cleared where it applies (compare against the constants).
    pub fn base(self) -> Fcf {
        if self.uses_x_bit() {
            Fcf(self.0 & !X_BIT)
        } else {
            self
        }
    }

    /// This code with the X bit set to `x` where it applies.
    pub fn with_x(self, x: bool) -> Fcf {
        if self.uses_x_bit() {
            Fcf((self.0 & !X_BIT) | if x { X_BIT } else { 0 })
        } else {
            self
        }
    }

    /// True for the post-message commands that end a page (MPS, EOM, EOP and PRI- forms).
    pub fn is_post_page(self) -> bool {
        matches!(
            self.base(),
            Fcf::MPS | Fcf::EOM | Fcf::EOP | Fcf::PRI_MPS | Fcf::PRI_EOM | Fcf::PRI_EOP
        )
    }

    /// MPS, EOM or EOP for their PRI- forms; other codes unchanged.
    pub fn without_pri(self) -> Fcf {
        match self.base() {
            Fcf::PRI_MPS => Fcf::MPS,
            Fcf::PRI_EOM => Fcf::EOM,
            Fcf::PRI_EOP => Fcf::EOP,
            b => b,
        }
    }
}

impl fmt::Display for Fcf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "FCF(0x{:02x})", self.0),
        }
    }
}

impl fmt::Debug for Fcf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self} (0x{:02x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spandsp column of the reference table: the same codes stored LSB first with the
    /// X bit as 0x01 (`t30_fcf.h`), an independent statement of every value.
    #[test]
    fn constants_match_spandsp_lsb_first_values() {
        let table = [
            (Fcf::DIS, 0x80),
            (Fcf::CSI, 0x40),
            (Fcf::NSF, 0x20),
            (Fcf::DTC, 0x81),
            (Fcf::CIG, 0x41),
            (Fcf::NSC, 0x21),
            (Fcf::PWD, 0xC1),
            (Fcf::SEP, 0xA1),
            (Fcf::PSA, 0x61),
            (Fcf::CIA, 0xE1),
            (Fcf::ISP, 0x11),
            (Fcf::DCS, 0x82),
            (Fcf::TSI, 0x42),
            (Fcf::NSS, 0x22),
            (Fcf::SUB, 0xC2),
            (Fcf::SID, 0xA2),
            (Fcf::CTC, 0x12),
            (Fcf::TSA, 0x62),
            (Fcf::IRA, 0xE2),
            (Fcf::CFR, 0x84),
            (Fcf::FTT, 0x44),
            (Fcf::CTR, 0xC4),
            (Fcf::CSA, 0x24),
            (Fcf::EOM, 0x8E),
            (Fcf::MPS, 0x4E),
            (Fcf::EOP, 0x2E),
            (Fcf::PRI_EOM, 0x9E),
            (Fcf::PRI_MPS, 0x5E),
            (Fcf::PRI_EOP, 0x3E),
            (Fcf::EOS, 0x1E),
            (Fcf::PPS, 0xBE),
            (Fcf::EOR, 0xCE),
            (Fcf::RR, 0x6E),
            (Fcf::MCF, 0x8C),
            (Fcf::RTP, 0xCC),
            (Fcf::RTN, 0x4C),
            (Fcf::PIP, 0xAC),
            (Fcf::PIN, 0x2C),
            (Fcf::PPR, 0xBC),
            (Fcf::RNR, 0xEC),
            (Fcf::ERR, 0x1C),
            (Fcf::DCN, 0xFA),
            (Fcf::CRP, 0x1A),
            (Fcf::FNV, 0xCA),
            (Fcf::FCD, 0x06),
            (Fcf::CCD, 0x46),
            (Fcf::RCP, 0x86),
        ];
        for (fcf, spandsp) in table {
            assert_eq!(fcf.0.reverse_bits(), spandsp, "{fcf}");
        }
    }

    #[test]
    fn x_bit_is_ignored_in_names_and_base() {
        assert_eq!(Fcf(0xC1).base(), Fcf::DCS);
        assert_eq!(Fcf(0xC1).to_string(), "DCS");
        assert_eq!(Fcf::DCS.with_x(true), Fcf(0xC1));
        // DTC is not DIS with an X bit.
        assert_eq!(Fcf::DTC.base(), Fcf::DTC);
        assert_eq!(Fcf::DIS.with_x(true), Fcf::DIS);
        assert_eq!(Fcf(0xE9).to_string(), "FCF(0xe9)");
        assert!(Fcf(0xF4).is_post_page());
        assert_eq!(Fcf(0xFC).without_pri(), Fcf::EOP);
    }
}
