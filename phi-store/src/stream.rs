//! The object body: exactly a Tink `AesGcmHkdfStreaming` ciphertext (AES-256-GCM, HKDF-SHA256,
//! 32-byte derived key, 64 KiB ciphertext segments, no ciphertext offset).
//!
//! Layout (sizes in bytes):
//!
//! ```text
//! body    = header(40) || seg_0 || seg_1 || ... || seg_{n-1}
//! header  = 0x28 (header length 40) || salt(32) || nonce_prefix(7)
//! seg_i   = AES-256-GCM(derived_key, nonce_i, aad = empty, m_i) (ciphertext || 16-byte tag)
//! nonce_i = nonce_prefix || BE32(i) || (1 if i == n-1 else 0)
//! derived_key = HKDF-SHA256(ikm = data key, salt = salt, info = associated data, L = 32)
//! |m_0| <= 65536 - 40 - 16 = 65480, |m_i| <= 65520, all segments but the last are full
//! ```
//!
//! The last-segment flag in the nonce makes truncation and extension detectable; the segment
//! counter makes reordering detectable; the associated data (our header hash) goes into the key
//! derivation, so a body moved under another header cannot be opened. Because every segment
//! stands alone, a range of plaintext is read by opening only the segments that cover it.

use crate::error::{Result, StoreError};
use crate::keys::DataKey;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use std::io::{self, Read, Write};

/// Ciphertext segment size (Tink `ciphertext_segment_size`).
pub const SEGMENT_SIZE: usize = 65536;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Salt length (= derived key size).
pub const SALT_LEN: usize = 32;
/// Nonce prefix length.
pub const NONCE_PREFIX_LEN: usize = 7;
/// Length of the body header: length byte, salt, nonce prefix.
pub const BODY_HEADER_LEN: usize = 1 + SALT_LEN + NONCE_PREFIX_LEN;
/// The header length as its first byte.
const BODY_HEADER_LEN_BYTE: u8 = 40;
const _: () = assert!(BODY_HEADER_LEN_BYTE as usize == BODY_HEADER_LEN);
/// Plaintext bytes in the first segment.
pub const FIRST_PLAINTEXT_SEGMENT: usize = SEGMENT_SIZE - BODY_HEADER_LEN - TAG_LEN;
/// Plaintext bytes in every later full segment.
pub const PLAINTEXT_SEGMENT: usize = SEGMENT_SIZE - TAG_LEN;

/// Number of segments Tink writes for a plaintext of `len` bytes.
fn segments_for_plaintext(len: u64) -> u64 {
    let first = FIRST_PLAINTEXT_SEGMENT as u64;
    if len <= first {
        1
    } else {
        1 + (len - first).div_ceil(PLAINTEXT_SEGMENT as u64)
    }
}

/// Body length for a plaintext of `len` bytes.
pub fn ciphertext_len(len: u64) -> u64 {
    BODY_HEADER_LEN as u64 + len + TAG_LEN as u64 * segments_for_plaintext(len)
}

/// Segment count and plaintext length of a body of `body_len` bytes, by Tink's rule for
/// seekable decryption; `None` if no valid body has this length.
pub fn body_geometry(body_len: u64) -> Option<(u64, u64)> {
    let seg = SEGMENT_SIZE as u64;
    let mut n = body_len / seg;
    let mut last = body_len % seg;
    if last > 0 {
        n += 1;
    } else {
        last = seg;
    }
    let min_last = TAG_LEN as u64 + if n == 1 { BODY_HEADER_LEN as u64 } else { 0 };
    if n == 0 || last < min_last || n > u64::from(u32::MAX) {
        return None;
    }
    let plain = body_len - BODY_HEADER_LEN as u64 - n * TAG_LEN as u64;
    Some((n, plain))
}

/// Ciphertext byte range (within the body) of segment `i` of a body of `body_len` bytes.
fn segment_range(i: u64, body_len: u64) -> (u64, u64) {
    let seg = SEGMENT_SIZE as u64;
    let start = if i == 0 {
        BODY_HEADER_LEN as u64
    } else {
        i * seg
    };
    let end = ((i + 1) * seg).min(body_len);
    (start, end)
}

/// Plaintext offset where segment `i` starts.
fn plaintext_start(i: u64) -> u64 {
    if i == 0 {
        0
    } else {
        FIRST_PLAINTEXT_SEGMENT as u64 + (i - 1) * PLAINTEXT_SEGMENT as u64
    }
}

/// Segment index holding plaintext byte `off`.
fn segment_of(off: u64) -> u64 {
    let first = FIRST_PLAINTEXT_SEGMENT as u64;
    if off < first {
        0
    } else {
        1 + (off - first) / PLAINTEXT_SEGMENT as u64
    }
}

struct KeyLen;
impl hkdf::KeyType for KeyLen {
    fn len(&self) -> usize {
        32
    }
}

/// The per-body AES-GCM key and nonce prefix. Each segment index is sealed at most once per
/// writer, so nonces never repeat under one derived key.
pub(crate) struct SegmentCipher {
    key: LessSafeKey,
    prefix: [u8; NONCE_PREFIX_LEN],
}

impl SegmentCipher {
    /// Derives the segment key from a body header (length byte, salt, nonce prefix).
    pub(crate) fn from_header(dek: &DataKey, header: &[u8], aad: &[u8]) -> Result<SegmentCipher> {
        if header.len() != BODY_HEADER_LEN || usize::from(header[0]) != BODY_HEADER_LEN {
            return Err(StoreError::Integrity);
        }
        let salt = &header[1..1 + SALT_LEN];
        let mut prefix = [0u8; NONCE_PREFIX_LEN];
        prefix.copy_from_slice(&header[1 + SALT_LEN..]);
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(dek.dangerous_as_bytes());
        let info = [aad];
        let okm = prk
            .expand(&info, KeyLen)
            .map_err(|_| StoreError::Integrity)?;
        let mut raw = zeroize::Zeroizing::new([0u8; 32]);
        okm.fill(&mut raw[..]).map_err(|_| StoreError::Integrity)?;
        let unbound = UnboundKey::new(&AES_256_GCM, &raw[..]).map_err(|_| StoreError::Integrity)?;
        Ok(SegmentCipher {
            key: LessSafeKey::new(unbound),
            prefix,
        })
    }

    fn nonce(&self, i: u32, last: bool) -> Nonce {
        let mut n = [0u8; aead::NONCE_LEN];
        n[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
        n[NONCE_PREFIX_LEN..NONCE_PREFIX_LEN + 4].copy_from_slice(&i.to_be_bytes());
        n[11] = u8::from(last);
        Nonce::assume_unique_for_key(n)
    }

    /// Seals `buf` in place and appends the tag.
    fn seal(&self, i: u32, last: bool, buf: &mut Vec<u8>) -> Result<()> {
        let tag = self
            .key
            .seal_in_place_separate_tag(self.nonce(i, last), Aad::empty(), buf)
            .map_err(|_| StoreError::Limit("segment too large"))?;
        buf.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Opens one segment (ciphertext || tag) in place; returns the plaintext.
    fn open<'a>(&self, i: u32, last: bool, buf: &'a mut [u8]) -> Result<&'a mut [u8]> {
        self.key
            .open_in_place(self.nonce(i, last), Aad::empty(), buf)
            .map_err(|_| StoreError::Integrity)
    }
}

/// Appends `src` to `dst` in 2 KiB pieces. A plaintext segment lands at a different offset
/// modulo the page size in every segment (each tag shifts it by 16 bytes); one large `memcpy`
/// then hits glibc's `rep movsb` slow path on some CPUs (measured 2.3 GiB/s on the reference
/// machine against about 40 GiB/s), while pieces below the `rep movsb` threshold are copied
/// with vector loops at full speed whatever the alignment.
fn append_chunked(dst: &mut Vec<u8>, src: &[u8]) {
    dst.reserve(src.len());
    for piece in src.chunks(2048) {
        dst.extend_from_slice(piece);
    }
}

fn seg_index(i: u64) -> Result<u32> {
    u32::try_from(i).map_err(|_| StoreError::Limit("more than 2^32 segments"))
}

/// Streaming encryptor: write plaintext, call [`BodyWriter::finish`]. Output goes to `W` one
/// segment at a time; a segment is held back until the next byte arrives or `finish` says it
/// is the last one.
pub struct BodyWriter<W: Write> {
    out: W,
    cipher: SegmentCipher,
    buf: Vec<u8>,
    index: u64,
    written: u64,
}

impl<W: Write> BodyWriter<W> {
    /// Starts a body: draws salt and nonce prefix, derives the key, writes the body header.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if writing fails or the system generator fails.
    pub fn new(dek: &DataKey, aad: &[u8], mut out: W) -> Result<BodyWriter<W>> {
        let mut header = [0u8; BODY_HEADER_LEN];
        header[0] = BODY_HEADER_LEN_BYTE;
        SystemRandom::new()
            .fill(&mut header[1..])
            .map_err(|_| StoreError::Backend(io::Error::other("system random failed")))?;
        let cipher = SegmentCipher::from_header(dek, &header, aad)?;
        out.write_all(&header)?;
        Ok(BodyWriter {
            out,
            cipher,
            buf: Vec::with_capacity(SEGMENT_SIZE),
            index: 0,
            written: BODY_HEADER_LEN as u64,
        })
    }

    fn capacity(&self) -> usize {
        if self.index == 0 {
            FIRST_PLAINTEXT_SEGMENT
        } else {
            PLAINTEXT_SEGMENT
        }
    }

    fn flush_segment(&mut self, last: bool) -> Result<()> {
        self.cipher
            .seal(seg_index(self.index)?, last, &mut self.buf)?;
        self.out.write_all(&self.buf)?;
        self.written += self.buf.len() as u64;
        self.buf.clear();
        self.index += 1;
        Ok(())
    }

    /// Encrypts more plaintext.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the output fails; [`StoreError::Limit`] past 2^32 segments.
    pub fn update(&mut self, mut data: &[u8]) -> Result<()> {
        while !data.is_empty() {
            if self.buf.len() == self.capacity() {
                self.flush_segment(false)?;
            }
            let take = (self.capacity() - self.buf.len()).min(data.len());
            append_chunked(&mut self.buf, &data[..take]);
            data = &data[take..];
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

/// Encrypts a whole plaintext into a body.
///
/// # Errors
/// [`StoreError::Backend`] if the system generator fails.
pub fn encrypt(dek: &DataKey, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encrypt_into(dek, aad, plaintext, &mut out)?;
    Ok(out)
}

/// Appends the body of `plaintext` to `out`, sealing each segment in place in `out` (one
/// copy of the plaintext, no staging buffer). Used for whole-slice puts.
///
/// # Errors
/// [`StoreError::Backend`] if the system generator fails; [`StoreError::Limit`] past 2^32
/// segments.
pub fn encrypt_into(dek: &DataKey, aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let mut random = [0u8; BODY_HEADER_LEN - 1];
    SystemRandom::new()
        .fill(&mut random)
        .map_err(|_| StoreError::Backend(io::Error::other("system random failed")))?;
    encrypt_into_with(dek, aad, &random, plaintext, out)
}

/// [`encrypt_into`] with the salt and nonce prefix drawn by the caller (the store draws them
/// together with the object id and data key in one system call).
pub(crate) fn encrypt_into_with(
    dek: &DataKey,
    aad: &[u8],
    random: &[u8; BODY_HEADER_LEN - 1],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let total = usize::try_from(ciphertext_len(plaintext.len() as u64))
        .map_err(|_| StoreError::Limit("body larger than memory"))?;
    out.reserve(total);
    let mut header = [0u8; BODY_HEADER_LEN];
    header[0] = BODY_HEADER_LEN_BYTE;
    header[1..].copy_from_slice(random);
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
        append_chunked(out, seg);
        let tag = cipher
            .key
            .seal_in_place_separate_tag(
                cipher.nonce(seg_index(i)?, i == n - 1),
                Aad::empty(),
                &mut out[start..],
            )
            .map_err(|_| StoreError::Limit("segment too large"))?;
        out.extend_from_slice(tag.as_ref());
    }
    Ok(())
}

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
        // Reads of at most 2 KiB: see `append_chunked` (the source's offsets are unknown).
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
        append_chunked(out, seg);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_matches_tink_sizes() {
        // Section 4.3 of the reference: Python tink made a 200,108-byte body from 200,004 bytes.
        assert_eq!(ciphertext_len(200_004), 200_108);
        assert_eq!(body_geometry(200_108), Some((4, 200_004)));
        assert_eq!(ciphertext_len(0), 56);
        assert_eq!(body_geometry(56), Some((1, 0)));
        assert_eq!(body_geometry(55), None);
        assert_eq!(
            ciphertext_len(FIRST_PLAINTEXT_SEGMENT as u64),
            SEGMENT_SIZE as u64
        );
    }
}
