//! DCS: the negotiated mode, checked against the DIS it answers.

use super::page::{scan_dcs_bits, scan_from_dcs_bits, RESOLUTION_BITS};
use super::*;
use crate::bits::Bits;
use crate::error::DcsError;
use core::fmt;

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
