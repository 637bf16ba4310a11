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

/// Reads frames from a stream through one reusable buffer, so a 64 MiB segment is
/// verified without a 64 MiB allocation (and its page faults). Stops exactly where
/// [`scan`] stops, with the same [`Stop`]; frame offsets are absolute in the stream.
pub struct FrameReader<R> {
    src: R,
    buf: Vec<u8>,
    /// `buf[start..end]` holds unread bytes; `base` is the stream offset of `buf[start]`.
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
    stop: Option<Stop>,
}

/// Buffer size: at least one largest frame plus its 8-byte head.
const READ_BUF: usize = 2 * (MAX_FRAME as usize) + 8;

impl<R: std::io::Read> FrameReader<R> {
    /// A reader over `src`.
    pub fn new(src: R) -> Self {
        FrameReader {
            src,
            buf: vec![0; READ_BUF],
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            stop: None,
        }
    }

    /// The next valid frame, or `None` at the end of the data or at the first invalid
    /// frame (see [`FrameReader::stop`]).
    ///
    /// # Errors
    /// A read error of the underlying stream.
    pub fn next_frame(&mut self) -> std::io::Result<Option<Frame<'_>>> {
        if self.stop.is_some() {
            return Ok(None);
        }
        let (from, to) = loop {
            let avail = &self.buf[self.start..self.end];
            if let Some(head) = avail.get(..8) {
                let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
                let crc = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                if len == 0 || len > MAX_FRAME {
                    self.stop = Some(Stop::BadLength);
                    return Ok(None);
                }
                if let Some(payload) = avail.get(8..8 + len as usize) {
                    if crc32fast::hash(payload) != crc {
                        self.stop = Some(Stop::BadCrc);
                        return Ok(None);
                    }
                    break (self.start + 8, self.start + 8 + len as usize);
                }
            }
            if self.eof {
                self.stop = Some(if avail.is_empty() {
                    Stop::End
                } else {
                    Stop::BadLength
                });
                return Ok(None);
            }
            self.fill()?;
        };
        let offset = usize::try_from(self.base).unwrap_or(usize::MAX);
        let consumed = to - self.start;
        self.base += consumed as u64;
        self.start = to;
        Ok(Some(Frame {
            offset,
            end: offset.saturating_add(consumed),
            payload: &self.buf[from..to],
        }))
    }

    fn fill(&mut self) -> std::io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Why reading stopped (`None` while frames remain).
    pub fn stop(&self) -> Option<Stop> {
        self.stop
    }

    /// Offset just past the last frame returned.
    pub fn position(&self) -> u64 {
        self.base
    }

    /// Reads what is left and returns the stream's total length.
    ///
    /// # Errors
    /// A read error of the underlying stream.
    pub fn total_len(&mut self) -> std::io::Result<u64> {
        let mut len = self.base + (self.end - self.start) as u64;
        while !self.eof {
            self.start = 0;
            self.end = 0;
            self.fill()?;
            len += self.end as u64;
        }
        self.start = self.end;
        Ok(len)
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
