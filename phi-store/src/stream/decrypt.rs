//! Decryption: the streaming [`BodyReader`], whole-body [`decrypt_into`] and ranged
//! [`decrypt_range`]. Every byte handed out has been authenticated (per segment).

use super::{
    body_geometry, copy_chunked, plaintext_start, seg_index, segment_of, segment_range,
    SegmentCipher, BODY_HEADER_LEN, SEGMENT_SIZE, TAG_LEN,
};
use crate::error::{Result, StoreError};
use crate::keys::DataKey;
use std::io::{self, Read, Write};

/// Streaming decryptor over a body reader; every byte it returns has been authenticated
/// (per segment). A truncated or extended body fails at its end, never silently. Segments are
/// opened in place and handed out from the read buffer (no plaintext copy).
pub struct BodyReader<R: Read> {
    inner: R,
    cipher: SegmentCipher,
    buf: Vec<u8>,
    /// The byte read ahead past the last segment to learn that it was not the last.
    carry: Option<u8>,
    /// Plaintext of the current segment is `buf[pos..end]`.
    pos: usize,
    end: usize,
    index: u64,
    done: bool,
}

impl<R: Read> BodyReader<R> {
    /// Reads the body header and derives the segment key.
    ///
    /// # Errors
    /// [`StoreError::Integrity`] if the header is short or invalid; [`StoreError::Backend`]
    /// on read errors.
    pub fn new(dek: &DataKey, aad: &[u8], mut inner: R) -> Result<BodyReader<R>> {
        let mut header = [0u8; BODY_HEADER_LEN];
        if read_full(&mut inner, &mut header)? != BODY_HEADER_LEN {
            return Err(StoreError::Integrity);
        }
        let cipher = SegmentCipher::from_header(dek, &header, aad)?;
        Ok(BodyReader {
            inner,
            cipher,
            buf: Vec::with_capacity(SEGMENT_SIZE + 1),
            carry: None,
            pos: 0,
            end: 0,
            index: 0,
            done: false,
        })
    }

    fn next_segment(&mut self) -> Result<()> {
        let full = if self.index == 0 {
            SEGMENT_SIZE - BODY_HEADER_LEN
        } else {
            SEGMENT_SIZE
        };
        // Read one byte beyond the segment to learn whether it is the last one.
        self.buf.resize(full + 1, 0);
        let mut have = 0;
        if let Some(b) = self.carry.take() {
            self.buf[0] = b;
            have = 1;
        }
        let got = have + read_full(&mut self.inner, &mut self.buf[have..])?;
        let last = got <= full;
        let seg_len = if last { got } else { full };
        if seg_len < TAG_LEN {
            return Err(StoreError::Integrity);
        }
        let i = seg_index(self.index)?;
        let plain_len = self.cipher.open(i, last, &mut self.buf[..seg_len])?.len();
        if last {
            self.done = true;
        } else {
            self.carry = Some(self.buf[full]);
        }
        self.pos = 0;
        self.end = plain_len;
        self.index += 1;
        Ok(())
    }

    /// Reads and authenticates the whole remaining body into `out`.
    ///
    /// # Errors
    /// [`StoreError::Integrity`] on any authentication failure (output written so far must
    /// then be discarded); [`StoreError::Backend`] on I/O errors.
    pub fn copy_to<W: Write + ?Sized>(mut self, out: &mut W) -> Result<u64> {
        let mut total = 0u64;
        loop {
            if self.pos < self.end {
                out.write_all(&self.buf[self.pos..self.end])?;
                total += (self.end - self.pos) as u64;
                self.pos = self.end;
            }
            if self.done {
                return Ok(total);
            }
            self.next_segment()?;
        }
    }
}

impl<R: Read> Read for BodyReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.end {
            if self.done {
                return Ok(0);
            }
            self.next_segment()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        let n = (self.end - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        // Reads of at most 2 KiB: see `copy_chunked` (the source's offsets are unknown).
        let end = (n + 2048).min(buf.len());
        match r.read(&mut buf[n..end]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

/// Decrypts a whole body held in memory.
///
/// # Errors
/// [`StoreError::Integrity`] if anything fails to authenticate; no plaintext is returned.
pub fn decrypt(dek: &DataKey, aad: &[u8], body: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decrypt_into(dek, aad, body, &mut out)?;
    Ok(out)
}

/// Appends the plaintext of a whole body to `out`, opening each segment in place in `out`
/// (one copy of the ciphertext). On error `out` is restored to its old length and the
/// partial plaintext is zeroed.
///
/// # Errors
/// [`StoreError::Integrity`] if anything fails to authenticate.
pub fn decrypt_into(dek: &DataKey, aad: &[u8], body: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let (n, plain_len) = body_geometry(body.len() as u64).ok_or(StoreError::Integrity)?;
    let cipher = SegmentCipher::from_header(dek, &body[..BODY_HEADER_LEN], aad)?;
    let base = out.len();
    out.reserve(
        usize::try_from(plain_len).map_err(|_| StoreError::Limit("body larger than memory"))?
            + TAG_LEN,
    );
    for i in 0..n {
        let (s, e) = segment_range(i, body.len() as u64);
        let seg = body
            .get(
                usize::try_from(s).map_err(|_| StoreError::Integrity)?
                    ..usize::try_from(e).map_err(|_| StoreError::Integrity)?,
            )
            .ok_or(StoreError::Integrity)?;
        let start = out.len();
        copy_chunked(out, seg);
        let opened = seg_index(i).and_then(|idx| {
            cipher
                .open(idx, i == n - 1, &mut out[start..])
                .map(|p| p.len())
        });
        match opened {
            Ok(len) => out.truncate(start + len),
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut out[base..]);
                out.truncate(base);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Random access to a stored body: `read_at(offset, buf)` fills `buf` from `offset`.
pub trait ReadAt {
    /// Fills `buf` with body bytes starting at `offset`.
    ///
    /// # Errors
    /// Any I/O error of the underlying storage.
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()>;
}

impl ReadAt for &[u8] {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let start = usize::try_from(offset).map_err(|_| StoreError::Integrity)?;
        let src = self
            .get(start..start + buf.len())
            .ok_or(StoreError::Integrity)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// Decrypts plaintext bytes `offset..offset + len` of a body of `body_len` bytes, opening
/// only the segments that cover the range (page N of a large fax without the pages before).
///
/// # Errors
/// [`StoreError::Invalid`] if the range is outside the plaintext; [`StoreError::Integrity`]
/// if a needed segment fails to authenticate.
pub fn decrypt_range<R: ReadAt>(
    dek: &DataKey,
    aad: &[u8],
    body_len: u64,
    src: &mut R,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>> {
    let (n, plain_len) = body_geometry(body_len).ok_or(StoreError::Integrity)?;
    let end = offset
        .checked_add(len)
        .filter(|&e| e <= plain_len)
        .ok_or(StoreError::Invalid("range outside the object"))?;
    let mut out = Vec::with_capacity(usize::try_from(len).map_err(|_| StoreError::Limit("range"))?);
    if len == 0 {
        return Ok(out);
    }
    let mut header = [0u8; BODY_HEADER_LEN];
    src.read_at(0, &mut header)?;
    let cipher = SegmentCipher::from_header(dek, &header, aad)?;
    let mut buf = Vec::with_capacity(SEGMENT_SIZE);
    for i in segment_of(offset)..=segment_of(end - 1) {
        let (s, e) = segment_range(i, body_len);
        buf.resize(
            usize::try_from(e - s).map_err(|_| StoreError::Integrity)?,
            0,
        );
        src.read_at(s, &mut buf)?;
        let plain = cipher.open(seg_index(i)?, i == n - 1, &mut buf)?;
        let p0 = plaintext_start(i);
        let from = usize::try_from(offset.saturating_sub(p0)).map_err(|_| StoreError::Integrity)?;
        let to = usize::try_from((end - p0).min(plain.len() as u64))
            .map_err(|_| StoreError::Integrity)?;
        out.extend_from_slice(plain.get(from..to).ok_or(StoreError::Integrity)?);
    }
    Ok(out)
}
