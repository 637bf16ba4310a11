//! Segment files: `segments/<segment>-<first seq>.seg`, a sequence of frames
//! `[u32 length][u32 CRC-32][payload]` (big-endian; the CRC is CRC-32/ISO-HDLC over the
//! payload). The first frame is the header (origin, segment number, first seq, the segment
//! key's certificate); then event frames (tag 1 + canonical record) and, after every
//! committed batch, a checkpoint frame (tag 2 + signed note) written in the same `write`.
//!
//! A batch is acknowledged only after its checkpoint frame is durable, so recovery keeps
//! exactly the frames up to the last valid checkpoint frame and cuts the rest.

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::keys::KeyCert;

/// Magic at the start of the header payload.
pub const MAGIC: &[u8; 8] = b"PHIAUDS\x01";
/// Largest frame payload accepted.
pub const MAX_FRAME: u32 = 1 << 20;
/// Frame tag of an event record.
pub const TAG_EVENT: u8 = 1;
/// Frame tag of a checkpoint note.
pub const TAG_CHECKPOINT: u8 = 2;

/// The segment header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The log's origin (checkpoint origin line).
    pub origin: String,
    /// The segment key's certificate (also names the segment number and first seq).
    pub cert: KeyCert,
}

impl Header {
    /// The header payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        w.raw(MAGIC);
        w.str(&self.origin);
        w.raw(&self.cert.encode());
        w.buf
    }

    /// Decodes a header payload.
    ///
    /// # Errors
    /// [`DecodeError::BadMagic`] or any structural error.
    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b, 1024);
        if r.array::<8>()? != *MAGIC {
            return Err(DecodeError::BadMagic);
        }
        let origin = r.str()?;
        let cert = KeyCert::read(&mut r)?;
        r.finish()?;
        Ok(Header { origin, cert })
    }
}

/// Frames one payload.
pub fn frame(payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_be_bytes());
    out.extend_from_slice(payload);
}

/// One frame found by [`scan`].
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Offset of the frame's length field.
    pub offset: usize,
    /// Offset just past the frame.
    pub end: usize,
    /// The payload.
    pub payload: &'a [u8],
}

/// Why a scan stopped before the end of the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Clean end of data.
    End,
    /// A length field of zero, too large, or pointing past the end (a torn or zeroed tail).
    BadLength,
    /// The CRC does not match (a torn or altered frame).
    BadCrc,
}

/// Splits `data` into frames up to the first invalid one.
pub fn scan(data: &[u8]) -> (Vec<Frame<'_>>, Stop) {
    let mut frames = Vec::new();
    let mut pos = 0usize;
    loop {
        if pos == data.len() {
            return (frames, Stop::End);
        }
        let Some(head) = data.get(pos..pos + 8) else {
            return (frames, Stop::BadLength);
        };
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        if len == 0 || len > MAX_FRAME {
            return (frames, Stop::BadLength);
        }
        let start = pos + 8;
        let Some(payload) = data.get(start..start + len as usize) else {
            return (frames, Stop::BadLength);
        };
        if crc32fast::hash(payload) != crc {
            return (frames, Stop::BadCrc);
        }
        let end = start + len as usize;
        frames.push(Frame {
            offset: pos,
            end,
            payload,
        });
        pos = end;
    }
}

/// The file name of segment number `segment` starting at `first_seq`
/// (`<segment, 10 digits>-<first seq, 20 digits>.seg`, so names sort in log order and two
/// segments never share a name even when one of them holds no events).
pub fn file_name(segment: u64, first_seq: u64) -> String {
    format!("{segment:010}-{first_seq:020}.seg")
}

/// The segment number and first seq named by a segment file name.
pub fn parse_file_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".seg")?;
    let (a, b) = stem.split_once('-')?;
    if a.len() != 10 || b.len() != 20 || !a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}
