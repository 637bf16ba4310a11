//! Encryption: the streaming [`BodyWriter`], whole-slice [`encrypt_into`], and
//! [`encrypt_in_place`] for a plaintext buffer the caller gives up.
//!
//! `ring` seals only in place, so a plaintext the caller still owns must be copied once. Where
//! that copy lands decides the cost: the writer copies into one segment buffer that it reuses
//! for the whole body (it stays in the L2 cache, and the sealed segment is handed to the sink
//! from there), while [`encrypt_into`] copies into the caller's output, which for large bodies
//! does not fit in cache next to the plaintext. [`encrypt_in_place`] copies nothing across
//! buffers: it moves each segment forward by the header and the tags before it and seals it
//! where it lands.

use super::{
    ciphertext_len, copy_chunked, seg_index, segments_for_plaintext, SegmentCipher,
    BODY_HEADER_LEN, BODY_HEADER_LEN_BYTE, COPY_PIECE, FIRST_PLAINTEXT_SEGMENT, PLAINTEXT_SEGMENT,
    SEGMENT_SIZE, TAG_LEN,
};
use crate::error::{Result, StoreError};
use crate::keys::DataKey;
use ring::rand::{SecureRandom, SystemRandom};
use std::io::{self, Read, Write};

/// Salt and nonce prefix of one body (the body header without its length byte).
pub(crate) type BodyRandom = [u8; BODY_HEADER_LEN - 1];

fn draw_random() -> Result<BodyRandom> {
    let mut random = [0u8; BODY_HEADER_LEN - 1];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| StoreError::Backend(io::Error::other("system random failed")))?;
    Ok(random)
}

fn body_header(random: &BodyRandom) -> [u8; BODY_HEADER_LEN] {
    let mut header = [0u8; BODY_HEADER_LEN];
    header[0] = BODY_HEADER_LEN_BYTE;
    header[1..].copy_from_slice(random);
    header
}

/// Plaintext bytes that fill a segment buffer: header (first segment) and plaintext fill all
/// of a ciphertext segment but the tag.
const FULL: usize = SEGMENT_SIZE - TAG_LEN;

/// Streaming encryptor: write plaintext (or let it read from a source), call
/// [`BodyWriter::finish`].
///
/// Plaintext lands once, in a segment buffer allocated once per writer: [`BodyWriter::update`]
/// copies into it, [`BodyWriter::update_from`] reads straight into it. Each full segment is
/// sealed in place there and handed to `W` with one `write_all`; the buffer is reused and
/// never zeroed again. The body header travels in the first segment's write, so every write
/// but the last is exactly one 64 KiB ciphertext segment. A full segment is held back until
/// more plaintext arrives or `finish` says it is the last one (the last segment has its own
/// nonce).
pub struct BodyWriter<W: Write> {
    out: W,
    cipher: SegmentCipher,
    seg: Segment,
    index: u64,
    written: u64,
}

/// The segment buffer: `buf[..start]` is the body header (first segment only),
/// `buf[start..fill]` plaintext; bytes past `fill` are stale (kept initialized so the buffer
/// is never zeroed twice). Plaintext not yet sealed is zeroed if the writer is dropped
/// without finishing (an error midway), so no PHI is left in freed memory.
struct Segment {
    buf: Vec<u8>,
    start: usize,
    fill: usize,
}

impl Drop for Segment {
    fn drop(&mut self) {
        let end = self.fill.min(self.buf.len());
        zeroize::Zeroize::zeroize(&mut self.buf[..end]);
    }
}

impl<W: Write> BodyWriter<W> {
    /// Starts a body: draws salt and nonce prefix and derives the segment key.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the system generator fails.
    pub fn new(dek: &DataKey, aad: &[u8], out: W) -> Result<BodyWriter<W>> {
        Self::with_random(dek, aad, &draw_random()?, out, None)
    }

    /// Like [`BodyWriter::new`], for a plaintext expected to be `len` bytes long: the segment
    /// buffer is sized for it (a small object does not allocate a whole segment). Writing a
    /// different length is still correct.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the system generator fails.
    pub fn with_expected_len(dek: &DataKey, aad: &[u8], out: W, len: u64) -> Result<BodyWriter<W>> {
        Self::with_random(dek, aad, &draw_random()?, out, Some(len))
    }

    /// The writer with the salt and nonce prefix drawn by the caller (the store draws them
    /// together with the object id and data key in one system call).
    pub(crate) fn with_random(
        dek: &DataKey,
        aad: &[u8],
        random: &BodyRandom,
        out: W,
        expected_len: Option<u64>,
    ) -> Result<BodyWriter<W>> {
        let header = body_header(random);
        let cipher = SegmentCipher::from_header(dek, &header, aad)?;
        // One segment at most (and no overflow for an absurd declared length).
        let first = match expected_len {
            Some(len) if len < FIRST_PLAINTEXT_SEGMENT as u64 => {
                usize::try_from(ciphertext_len(len)).unwrap_or(SEGMENT_SIZE)
            }
            _ => SEGMENT_SIZE,
        };
        let mut buf = Vec::with_capacity(first);
        buf.extend_from_slice(&header);
        Ok(BodyWriter {
            out,
            cipher,
            seg: Segment {
                buf,
                start: BODY_HEADER_LEN,
                fill: BODY_HEADER_LEN,
            },
            index: 0,
            written: 0,
        })
    }

    /// Makes room for `end` bytes: a buffer sized for a small expected length that turns out
    /// too small grows once, straight to a whole segment.
    fn reserve_for(&mut self, end: usize) {
        if self.seg.buf.capacity() < end {
            self.seg
                .buf
                .reserve_exact(SEGMENT_SIZE.max(end) - self.seg.buf.len());
        }
    }

    /// Makes `buf[..end]` initialized; zeroes only bytes never used before.
    fn ensure_len(&mut self, end: usize) {
        if self.seg.buf.len() < end {
            self.reserve_for(end);
            self.seg.buf.resize(end, 0);
        }
    }

    fn flush_segment(&mut self, last: bool) -> Result<()> {
        let i = seg_index(self.index)?;
        let tag = self
            .cipher
            .seal(i, last, &mut self.seg.buf[self.seg.start..self.seg.fill])?;
        let end = self.seg.fill + TAG_LEN;
        self.ensure_len(end);
        self.seg.buf[self.seg.fill..end].copy_from_slice(tag.as_ref());
        self.out.write_all(&self.seg.buf[..end])?;
        self.written += end as u64;
        self.seg.start = 0;
        self.seg.fill = 0;
        self.index += 1;
        Ok(())
    }

    /// Room for more plaintext in the current segment, sealing and handing out the full one
    /// first. Only called when more plaintext is certain to follow.
    fn room(&mut self) -> Result<usize> {
        if self.seg.fill == FULL {
            self.flush_segment(false)?;
        }
        Ok(FULL - self.seg.fill)
    }

    /// Encrypts more plaintext.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the output fails; [`StoreError::Limit`] past 2^32 segments.
    pub fn update(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            let take = self.room()?.min(data.len());
            let (now, rest) = data.split_at(take);
            // Overwrite stale bytes first, then append past them.
            let stale = (self.seg.buf.len() - self.seg.fill).min(take);
            let (over, append) = now.split_at(stale);
            for (dst, src) in self.seg.buf[self.seg.fill..self.seg.fill + stale]
                .chunks_mut(COPY_PIECE)
                .zip(over.chunks(COPY_PIECE))
            {
                dst.copy_from_slice(src);
            }
            if !append.is_empty() {
                self.reserve_for(self.seg.fill + take + TAG_LEN);
                copy_chunked(&mut self.seg.buf, append);
            }
            self.seg.fill += take;
            data = rest;
        }
        Ok(())
    }

    /// Encrypts exactly `len` bytes of plaintext read from `src`, reading straight into the
    /// segment buffer (no copy of the plaintext in user space).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] if `src` ends before `len` bytes (segments handed to the sink
    /// so far are then not a whole body: discard them); [`StoreError::Backend`] if reading or
    /// the output fails; [`StoreError::Limit`] past 2^32 segments.
    pub fn update_from<R: Read + ?Sized>(&mut self, src: &mut R, len: u64) -> Result<()> {
        let mut left = len;
        while left > 0 {
            let room = self.room()?;
            let want = usize::try_from(left).map_or(room, |l| l.min(room));
            let end = self.seg.fill + want;
            self.ensure_len(end);
            match src.read(&mut self.seg.buf[self.seg.fill..end]) {
                Ok(0) => return Err(StoreError::Invalid("content shorter than declared")),
                Ok(n) => {
                    self.seg.fill += n;
                    left -= n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Seals the last segment and returns the output and the body length.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the output fails.
    pub fn finish(mut self) -> Result<(W, u64)> {
        self.flush_segment(true)?;
        self.out.flush()?;
        Ok((self.out, self.written))
    }
}

/// Encrypts a whole plaintext into a new body.
///
/// # Errors
/// [`StoreError::Backend`] if the system generator fails.
pub fn encrypt(dek: &DataKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encrypt_into(dek, aad, plaintext, &mut out)?;
    Ok(out)
}

/// Appends the body of `plaintext` to `out`, sealing each segment in place in `out` (one
/// copy of the plaintext, straight into `out`).
///
/// For plaintexts larger than about half the CPU's L2 cache this is slower than
/// [`BodyWriter`] into a sink, or [`encrypt_in_place`]: the copy writes a buffer that is not
/// in cache.
///
/// # Errors
/// [`StoreError::Backend`] if the system generator fails; [`StoreError::Limit`] past 2^32
/// segments or if the body would not fit in memory.
pub fn encrypt_into(dek: &DataKey, aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let header = body_header(&draw_random()?);
    let total = usize::try_from(ciphertext_len(plaintext.len() as u64))
        .map_err(|_| StoreError::Limit("body larger than memory"))?;
    out.reserve(total);
    let cipher = SegmentCipher::from_header(dek, &header, aad)?;
    out.extend_from_slice(&header);
    let n = segments_for_plaintext(plaintext.len() as u64);
    let mut rest = plaintext;
    for i in 0..n {
        let cap = if i == 0 {
            FIRST_PLAINTEXT_SEGMENT
        } else {
            PLAINTEXT_SEGMENT
        };
        let (seg, tail) = rest.split_at(cap.min(rest.len()));
        rest = tail;
        let start = out.len();
        copy_chunked(out, seg);
        let tag = cipher.seal(seg_index(i)?, i == n - 1, &mut out[start..])?;
        out.extend_from_slice(tag.as_ref());
    }
    Ok(())
}

/// Turns the plaintext in `buf` into its body, in the same allocation: no second buffer and
/// no copy across buffers, the way raw `ring` seals. Segments are moved forward, last first,
/// by the body header and the tags in front of them, and sealed where they land. Give `buf`
/// spare capacity of `ciphertext_len(len) - len` bytes to avoid a reallocation.
///
/// Errors are found before anything changes (`buf` then still holds the plaintext); should
/// sealing fail midway anyway, `buf` is zeroed and emptied (never a partial body or leftover
/// plaintext).
///
/// # Errors
/// [`StoreError::Backend`] if the system generator fails; [`StoreError::Limit`] past 2^32
/// segments or if the body would not fit in memory.
pub fn encrypt_in_place(dek: &DataKey, aad: &[u8], buf: &mut Vec<u8>) -> Result<()> {
    let header = body_header(&draw_random()?);
    let cipher = SegmentCipher::from_header(dek, &header, aad)?;
    let len = buf.len();
    let total = usize::try_from(ciphertext_len(len as u64))
        .map_err(|_| StoreError::Limit("body larger than memory"))?;
    let last = seg_index(segments_for_plaintext(len as u64) - 1)?;
    buf.resize(total, 0);
    let sealed = seal_segments_in_place(&cipher, buf, len, last);
    if sealed.is_err() {
        zeroize::Zeroize::zeroize(buf);
        buf.clear();
        return sealed;
    }
    buf[..BODY_HEADER_LEN].copy_from_slice(&header);
    Ok(())
}

/// Moves and seals segments `last..=0` of a plaintext of `len` bytes at the front of `buf`
/// (already grown to the body length).
fn seal_segments_in_place(
    cipher: &SegmentCipher,
    buf: &mut [u8],
    len: usize,
    last: u32,
) -> Result<()> {
    // Segment i's plaintext starts at `from` in the plaintext and at `to` in the body; both
    // run backwards from the last segment, so a move never overwrites plaintext not yet moved.
    for i in (0..=last).rev() {
        let (from, to) = if i == 0 {
            (0, BODY_HEADER_LEN)
        } else {
            let k = i as usize;
            (
                FIRST_PLAINTEXT_SEGMENT + (k - 1) * PLAINTEXT_SEGMENT,
                k * SEGMENT_SIZE,
            )
        };
        let end = if i == 0 {
            FIRST_PLAINTEXT_SEGMENT
        } else {
            from + PLAINTEXT_SEGMENT
        }
        .min(len);
        buf.copy_within(from..end, to);
        let seg_end = to + (end - from);
        let tag = cipher.seal(i, i == last, &mut buf[to..seg_end])?;
        buf[seg_end..seg_end + TAG_LEN].copy_from_slice(tag.as_ref());
    }
    Ok(())
}
