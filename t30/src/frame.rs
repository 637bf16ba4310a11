//! HDLC frames of T.30: address, control (with the final bit), FCF and FIF.

use crate::error::FrameError;
use crate::fcf::Fcf;
use core::fmt;

/// The HDLC address octet of every T.30 frame.
pub const ADDRESS: u8 = 0xFF;
/// Control octet of a non-final frame, T.30 notation (`0x03` as stored LSB first).
pub const CONTROL: u8 = 0xC0;
/// Control octet of the last frame of a group, T.30 notation (`0x13` LSB first).
pub const CONTROL_FINAL: u8 = 0xC8;
/// Longest frame accepted: an ECM frame (address, control, FCD, frame number, 256 octets)
/// with room for a long FIF. Anything longer is malformed.
pub const MAX_FRAME: usize = 2 + 1 + 1 + 256 + 4;

/// The octet order of frame bytes at an interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BitOrder {
    /// T.30 notation: the first bit on the line is the most significant bit. This is how
    /// T.38 `hdlc-data` carries frames (DIS is `0x01`, the final control octet `0xC8`).
    #[default]
    T30,
    /// As an HDLC receiver stores octets, least significant bit first (spandsp's
    /// convention: DIS is `0x80`, the final control octet `0x13`).
    Lsb,
}

impl BitOrder {
    fn map(self, b: u8) -> u8 {
        match self {
            BitOrder::T30 => b,
            BitOrder::Lsb => b.reverse_bits(),
        }
    }
}

/// One T.30 HDLC frame without its FCS (the front end checks and reports it).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The final bit (P/F) of the control field: the last frame of a group.
    pub last: bool,
    /// The control code, X bit included.
    pub fcf: Fcf,
    /// The information field, in T.30 notation (bit 1 of octet 1 is its MSB).
    pub fif: Vec<u8>,
}

impl Frame {
    /// A frame from its parts.
    pub fn new(fcf: Fcf, fif: Vec<u8>, last: bool) -> Frame {
        Frame { last, fcf, fif }
    }

    /// Parses frame bytes (address, control, FCF, FIF) in the given octet order.
    ///
    /// # Errors
    /// [`FrameError`] for a frame shorter than 3 octets, longer than [`MAX_FRAME`], or with
    /// a wrong address or control octet.
    pub fn parse(bytes: &[u8], order: BitOrder) -> Result<Frame, FrameError> {
        if bytes.len() > MAX_FRAME {
            return Err(FrameError::TooLong(bytes.len()));
        }
        let [address, control, fcf, fif @ ..] = bytes else {
            return Err(FrameError::TooShort(bytes.len()));
        };
        if order.map(*address) != ADDRESS {
            return Err(FrameError::BadAddress(*address));
        }
        let last = match order.map(*control) {
            CONTROL => false,
            CONTROL_FINAL => true,
            _ => return Err(FrameError::BadControl(*control)),
        };
        Ok(Frame {
            last,
            fcf: Fcf(order.map(*fcf)),
            fif: fif.iter().map(|&b| order.map(b)).collect(),
        })
    }

    /// The frame's bytes (address, control, FCF, FIF) in the given octet order.
    pub fn to_bytes(&self, order: BitOrder) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + self.fif.len());
        out.push(order.map(ADDRESS));
        out.push(order.map(if self.last { CONTROL_FINAL } else { CONTROL }));
        out.push(order.map(self.fcf.0));
        out.extend(self.fif.iter().map(|&b| order.map(b)));
        out
    }

    /// Length in octets on the line, without flags and FCS.
    pub fn len(&self) -> usize {
        3 + self.fif.len()
    }

    /// Never true: a frame has at least its address, control and FCF.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Frames print their name and FIF length only: FIFs may hold identities and image data.
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{} [{} octets]",
            self.fcf,
            if self.last { "" } else { " (more)" },
            self.fif.len()
        )
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn measured_spandsp_dcs_parses() {
        // spandsp DCS as stored (LSB first), reference section 2.4.
        let bytes = [0xff, 0x13, 0x83, 0x00, 0x62, 0xf8, 0x44];
        let f = Frame::parse(&bytes, BitOrder::Lsb).expect("valid");
        assert!(f.last);
        assert_eq!(f.fcf.base(), Fcf::DCS);
        assert_eq!(f.fcf, Fcf(0xC1), "X bit set");
        assert_eq!(f.fif, [0x00, 0x46, 0x1f, 0x22]);
        assert_eq!(f.to_bytes(BitOrder::Lsb), bytes);
    }

    #[test]
    fn measured_csi_in_t38_order() {
        // spandsp's CSI `ff 03 40 58` travels in T.38 hdlc-data as `ff c0 02 1a`.
        let f = Frame::parse(&[0xff, 0xc0, 0x02, 0x1a], BitOrder::T30).expect("valid");
        assert_eq!((f.last, f.fcf), (false, Fcf::CSI));
        assert_eq!(f.to_bytes(BitOrder::Lsb), [0xff, 0x03, 0x40, 0x58]);
    }

    #[test]
    fn malformed_frames_are_errors() {
        assert_eq!(
            Frame::parse(&[0xff, 0xc8], BitOrder::T30),
            Err(FrameError::TooShort(2))
        );
        assert_eq!(
            Frame::parse(&[0xfe, 0xc8, 0x01], BitOrder::T30),
            Err(FrameError::BadAddress(0xfe))
        );
        assert_eq!(
            Frame::parse(&[0xff, 0x13, 0x01], BitOrder::T30),
            Err(FrameError::BadControl(0x13))
        );
        assert!(Frame::parse(&[0xff; 400], BitOrder::T30).is_err());
    }

    proptest! {
        #[test]
        fn round_trip(last: bool, fcf: u8, fif in proptest::collection::vec(any::<u8>(), 0..64), lsb: bool) {
            let order = if lsb { BitOrder::Lsb } else { BitOrder::T30 };
            let f = Frame::new(Fcf(fcf), fif, last);
            prop_assert_eq!(Frame::parse(&f.to_bytes(order), order), Ok(f));
        }
    }
}
