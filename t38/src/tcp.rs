//! IFP packets over TCP: TPKT framing (RFC 1006: `03 00 <length incl. 4-octet header>`) or
//! the raw stream, where each IFP delimits itself (spandsp `t38_core_rx_ifp_stream`).
//!
//! [`StreamDecoder`] is push-style: give it whatever the socket returned, in pieces of any
//! size, and it hands back whole IFPs; the frames are the same however the input is split.
//! After an error it refuses further input (the stream has lost its framing).
//!
//! ```
//! use t38::tcp::{write_tpkt, Framing, StreamDecoder};
//!
//! let mut stream = Vec::new();
//! write_tpkt(&[0x06], &mut stream)?; // v21-preamble indicator
//! write_tpkt(&[0xC0, 0x01, 0x80, 0x00, 0x00, 0xFF], &mut stream)?; // one HDLC octet
//! assert_eq!(&stream[..5], [0x03, 0x00, 0x00, 0x05, 0x06]);
//!
//! // Whatever the socket returns, in any pieces: here three octets at a time.
//! let mut dec = StreamDecoder::new(Framing::Tpkt);
//! let mut ifps = Vec::new();
//! for mut piece in stream.chunks(3) {
//!     while !piece.is_empty() {
//!         let (used, ifp) = dec.update(piece)?;
//!         if let Some(ifp) = ifp {
//!             ifps.push(ifp.to_vec());
//!         }
//!         piece = &piece[used..];
//!     }
//! }
//! assert_eq!(ifps, [vec![0x06], vec![0xC0, 0x01, 0x80, 0x00, 0x00, 0xFF]]);
//! # Ok::<(), t38::StreamError>(())
//! ```

use crate::error::StreamError;
use crate::ifp::{Ifp, Packing};
use crate::IfpError;

/// The TPKT version octet.
const TPKT_VERSION: u8 = 3;
/// Largest IFP a TPKT header can frame.
pub const MAX_TPKT_IFP: usize = 65_535 - 4;
/// Default largest IFP [`StreamDecoder`] accepts: 8 KiB, far above the 1400 octets UDPTL
/// allows and what any terminal sends.
pub const DEFAULT_MAX_FRAME: usize = 8192;

/// Appends `ifp` with a TPKT header; returns the octets written.
///
/// # Errors
/// [`StreamError::IfpTooLong`] above [`MAX_TPKT_IFP`].
pub fn write_tpkt(ifp: &[u8], out: &mut Vec<u8>) -> Result<usize, StreamError> {
    let total = u16::try_from(ifp.len() + 4).map_err(|_| StreamError::IfpTooLong(ifp.len()))?;
    out.extend_from_slice(&[TPKT_VERSION, 0]);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(ifp);
    Ok(ifp.len() + 4)
}

/// How IFPs are delimited on the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Framing {
    /// TPKT headers (RFC 1006).
    Tpkt,
    /// No header: each IFP is parsed to find its end (needs the packing).
    Raw(Packing),
}

/// Push-style decoder for an IFP stream.
#[derive(Debug)]
pub struct StreamDecoder {
    framing: Framing,
    max_frame: usize,
    buf: Vec<u8>,
    /// The last call returned a frame from `buf`; clear it first.
    emitted: bool,
    poisoned: bool,
}

impl StreamDecoder {
    /// A decoder for `framing` accepting IFPs up to [`DEFAULT_MAX_FRAME`] octets.
    pub fn new(framing: Framing) -> Self {
        Self::with_max_frame(framing, DEFAULT_MAX_FRAME)
    }

    /// A decoder accepting IFPs up to `max_frame` octets.
    pub fn with_max_frame(framing: Framing, max_frame: usize) -> Self {
        StreamDecoder {
            framing,
            max_frame,
            buf: Vec::new(),
            emitted: false,
            poisoned: false,
        }
    }

    /// Consumes a prefix of `input`; returns how many octets it took and the IFP completed by
    /// them, if any. Call again with the rest of `input` until it is empty.
    ///
    /// # Errors
    /// A bad TPKT header, a frame above the maximum, or (raw framing) a malformed IFP. The
    /// decoder then refuses further input with [`StreamError::Poisoned`].
    pub fn update(&mut self, input: &[u8]) -> Result<(usize, Option<&[u8]>), StreamError> {
        if self.poisoned {
            return Err(StreamError::Poisoned);
        }
        if self.emitted {
            self.buf.clear();
            self.emitted = false;
        }
        let r = match self.framing {
            Framing::Tpkt => self.update_tpkt(input),
            Framing::Raw(p) => self.update_raw(input, p),
        };
        match r {
            Ok((n, true)) => {
                self.emitted = true;
                let frame = match self.framing {
                    Framing::Tpkt => &self.buf[4..],
                    Framing::Raw(_) => &self.buf[..],
                };
                Ok((n, Some(frame)))
            }
            Ok((n, false)) => Ok((n, None)),
            Err(e) => {
                self.poisoned = true;
                Err(e)
            }
        }
    }

    /// Octets buffered towards an incomplete frame.
    pub fn buffered(&self) -> usize {
        if self.emitted {
            0
        } else {
            self.buf.len()
        }
    }

    fn update_tpkt(&mut self, input: &[u8]) -> Result<(usize, bool), StreamError> {
        let mut used = 0;
        if self.buf.len() < 4 {
            used = (4 - self.buf.len()).min(input.len());
            self.buf.extend_from_slice(&input[..used]);
            if self.buf.len() < 4 {
                return Ok((used, false));
            }
            if self.buf[0] != TPKT_VERSION {
                return Err(StreamError::BadVersion(self.buf[0]));
            }
            let total = u16::from_be_bytes([self.buf[2], self.buf[3]]);
            if total < 5 {
                return Err(StreamError::BadLength(total));
            }
            let ifp = usize::from(total) - 4;
            if ifp > self.max_frame {
                return Err(StreamError::TooLarge {
                    len: ifp,
                    max: self.max_frame,
                });
            }
            self.buf.reserve_exact(ifp);
        }
        let total = usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
        let take = (total - self.buf.len()).min(input.len() - used);
        self.buf.extend_from_slice(&input[used..used + take]);
        Ok((used + take, self.buf.len() == total))
    }

    fn update_raw(&mut self, input: &[u8], packing: Packing) -> Result<(usize, bool), StreamError> {
        let old = self.buf.len();
        // Look at no more than one maximal frame (plus one octet to tell "too large").
        let take = (self.max_frame + 1).saturating_sub(old).min(input.len());
        self.buf.extend_from_slice(&input[..take]);
        match Ifp::decode_prefix(&self.buf, packing) {
            Ok((_, n)) if n <= self.max_frame => {
                self.buf.truncate(n);
                Ok((n - old, true))
            }
            Ok((_, n)) => Err(StreamError::TooLarge {
                len: n,
                max: self.max_frame,
            }),
            Err(IfpError::Truncated) if self.buf.len() > self.max_frame => {
                Err(StreamError::TooLarge {
                    len: self.buf.len(),
                    max: self.max_frame,
                })
            }
            Err(IfpError::Truncated) => Ok((take, false)),
            Err(e) => Err(StreamError::Ifp(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifp::{Field, Message};
    use crate::{DataType, FieldType, Indicator};
    use proptest::prelude::*;

    fn all_frames(d: &mut StreamDecoder, mut input: &[u8]) -> Result<Vec<Vec<u8>>, StreamError> {
        let mut frames = Vec::new();
        while !input.is_empty() {
            let (n, f) = d.update(input)?;
            if let Some(f) = f {
                frames.push(f.to_vec());
            }
            assert!(n > 0 || !frames.is_empty());
            input = &input[n..];
        }
        Ok(frames)
    }

    #[test]
    fn tpkt_wire_form() {
        // RFC 1006: version 3, reserved 0, length including the 4-octet header.
        let mut out = Vec::new();
        assert_eq!(write_tpkt(&[0x06], &mut out), Ok(5));
        assert_eq!(out, [0x03, 0x00, 0x00, 0x05, 0x06]);
        let mut d = StreamDecoder::new(Framing::Tpkt);
        assert_eq!(all_frames(&mut d, &out), Ok(vec![vec![0x06]]));
    }

    #[test]
    fn tpkt_errors_poison() {
        let mut d = StreamDecoder::new(Framing::Tpkt);
        assert_eq!(d.update(&[0x06, 0, 0, 5]), Err(StreamError::BadVersion(6)));
        assert_eq!(d.update(&[3]), Err(StreamError::Poisoned));
        let mut d = StreamDecoder::new(Framing::Tpkt);
        assert_eq!(d.update(&[3, 0, 0, 4]), Err(StreamError::BadLength(4)));
        let mut d = StreamDecoder::with_max_frame(Framing::Tpkt, 10);
        assert_eq!(
            d.update(&[3, 0, 0, 15]),
            Err(StreamError::TooLarge { len: 11, max: 10 })
        );
        let mut d = StreamDecoder::new(Framing::Raw(Packing::V2002));
        assert_eq!(
            d.update(&[0x52]),
            Err(StreamError::Ifp(IfpError::UnknownRootValue {
                what: "data type",
                value: 9
            }))
        );
        // A raw frame that never ends within the maximum.
        let mut d = StreamDecoder::with_max_frame(Framing::Raw(Packing::V2002), 8);
        assert!(matches!(
            d.update(&[0xC0, 0x01, 0x80, 0x00, 0x20, 0, 0, 0, 0, 0]),
            Err(StreamError::TooLarge { .. })
        ));
    }

    fn sample_ifps(p: Packing) -> Vec<Vec<u8>> {
        let data = [0x5Au8; 40];
        let a = [
            Field::new(FieldType::HDLC_DATA, &[0xFF, 0x13]),
            Field::bare(FieldType::HDLC_FCS_OK_SIG_END),
        ];
        let b = [Field::new(FieldType::T4_NON_ECM_DATA, &data)];
        let c = [
            Field::bare(FieldType::HDLC_FCS_OK),
            Field::bare(FieldType::HDLC_SIG_END),
        ];
        [
            Ifp::indicator(Indicator::CNG),
            Ifp::new(Message::Data(DataType::V21), &a),
            Ifp::new(Message::Data(DataType::V17_14400), &b),
            Ifp::indicator(Indicator::V17_14400_LONG_TRAINING),
            Ifp::new(Message::Data(DataType::V21), &c),
        ]
        .iter()
        .map(|i| {
            let mut v = Vec::new();
            i.encode(p, &mut v).expect("encodes");
            v
        })
        .collect()
    }

    proptest! {
        #[test]
        fn split_anywhere_same_frames(cuts in prop::collection::vec(0usize..200, 0..20), v2 in any::<bool>(), tpkt in any::<bool>()) {
            let p = if v2 { Packing::V2002 } else { Packing::V1998 };
            let ifps = sample_ifps(p);
            let mut stream = Vec::new();
            for i in &ifps {
                if tpkt { write_tpkt(i, &mut stream).expect("fits"); } else { stream.extend_from_slice(i); }
            }
            let framing = if tpkt { Framing::Tpkt } else { Framing::Raw(p) };
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
            cuts.push(0);
            cuts.push(stream.len());
            cuts.sort_unstable();
            let mut d = StreamDecoder::new(framing);
            let mut frames = Vec::new();
            for w in cuts.windows(2) {
                frames.extend(all_frames(&mut d, &stream[w[0]..w[1]]).expect("well-formed"));
            }
            prop_assert_eq!(frames, ifps);
            prop_assert_eq!(d.buffered(), 0);
        }
    }
}
