//! The UDPTL datagram (T.38 §9.1 `UDPTLPacket`): codec only, no state.
//!
//! ```text
//! seq-number (2 octets, big-endian)
//! len-det + primary IFP                        (an open type: the IFP's own octets)
//! 0x00  len-det(count) { len-det + IFP }*      secondary IFPs, newest (seq-1) first
//! 0x80  01 <span>  len-det(entries) { len-det + parity }*   FEC
//! ```
//! Every count and length is checked against [`Limits`] before it is used; fragmented
//! lengths (`11xxxxxx`) are rejected, as Asterisk and spandsp do.

use super::Limits;
use crate::error::{UdptlError, UdptlLimit};
use crate::per::{split_len_det, write_len_det, LenDet, MAX_LENGTH_DETERMINANT};

/// A decoded UDPTL datagram (a view of the received bytes) or one to encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Sequence number of the primary IFP.
    pub seq: u16,
    /// The primary IFP, still encoded (decode it with [`crate::Ifp::decode`]).
    pub primary: &'a [u8],
    /// Error-recovery data.
    pub recovery: Recovery<'a>,
}

/// The `error-recovery` CHOICE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery<'a> {
    /// Secondary IFPs: `seq - 1`, `seq - 2`, ... (newest first). Empty = no error recovery.
    Redundancy(IfpList<'a>),
    /// FEC parity entries.
    Fec {
        /// `fec-npackets`: how many IFPs each parity entry covers.
        span: u8,
        /// The parity entries; entry `m` covers `seq + m - span*entries + j*entries`,
        /// `j = 0..span`.
        entries: IfpList<'a>,
    },
}

/// A list of octet strings (secondary IFPs or FEC parity entries).
#[derive(Clone, Copy)]
pub struct IfpList<'a> {
    repr: ListRepr<'a>,
}

#[derive(Clone, Copy)]
enum ListRepr<'a> {
    Slice(&'a [&'a [u8]]),
    /// Validated encoded items (each `len-det + octets`).
    Wire {
        bytes: &'a [u8],
        count: usize,
    },
}

impl<'a> IfpList<'a> {
    /// A list from slices (for encoding).
    pub fn new(items: &'a [&'a [u8]]) -> Self {
        IfpList {
            repr: ListRepr::Slice(items),
        }
    }

    /// No items.
    pub fn empty() -> Self {
        IfpList {
            repr: ListRepr::Slice(&[]),
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        match self.repr {
            ListRepr::Slice(s) => s.len(),
            ListRepr::Wire { count, .. } => count,
        }
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items in wire order.
    pub fn iter(&self) -> ListIter<'a> {
        ListIter {
            repr: self.repr,
            index: 0,
            offset: 0,
        }
    }

    /// Item `i`, if present.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        match self.repr {
            ListRepr::Slice(s) => s.get(i).copied(),
            ListRepr::Wire { .. } => self.iter().nth(i),
        }
    }
}

impl PartialEq for IfpList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for IfpList<'_> {}

impl core::fmt::Debug for IfpList<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Lengths only: contents are fax data.
        f.debug_list()
            .entries(self.iter().map(<[u8]>::len))
            .finish()
    }
}

/// Iterator over an [`IfpList`].
#[derive(Clone, Debug)]
pub struct ListIter<'a> {
    repr: ListRepr<'a>,
    index: usize,
    offset: usize,
}

impl core::fmt::Debug for ListRepr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ListRepr")
    }
}

impl<'a> Iterator for ListIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self.repr {
            ListRepr::Slice(s) => {
                let item = s.get(self.index).copied();
                self.index += 1;
                item
            }
            ListRepr::Wire { bytes, count } => {
                if self.index >= count {
                    return None;
                }
                self.index += 1;
                let rest = bytes.get(self.offset..)?;
                let (LenDet::Len(n), hdr) = split_len_det(rest).ok()? else {
                    return None;
                };
                let item = rest.get(hdr..hdr + n)?;
                self.offset += hdr + n;
                Some(item)
            }
        }
    }
}

impl<'a> IntoIterator for IfpList<'a> {
    type Item = &'a [u8];
    type IntoIter = ListIter<'a>;
    fn into_iter(self) -> ListIter<'a> {
        self.iter()
    }
}

/// A small cursor over the datagram octets.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn u8(&mut self) -> Result<u8, UdptlError> {
        let b = *self.buf.get(self.pos).ok_or(UdptlError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn len_det(&mut self) -> Result<usize, UdptlError> {
        let rest = self.buf.get(self.pos..).ok_or(UdptlError::Truncated)?;
        match split_len_det(rest).map_err(|_| UdptlError::Truncated)? {
            (LenDet::Len(n), used) => {
                self.pos += used;
                Ok(n)
            }
            (LenDet::Fragment, _) => Err(UdptlError::Fragmented),
        }
    }

    fn octets(&mut self, n: usize) -> Result<&'a [u8], UdptlError> {
        let end = self.pos.checked_add(n).ok_or(UdptlError::Truncated)?;
        let s = self.buf.get(self.pos..end).ok_or(UdptlError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    /// Reads `count` items of `len-det + octets`, each at most `max_item` long and (if
    /// `non_empty`) at least one octet; returns the region they occupy.
    fn list(
        &mut self,
        count: usize,
        max_item: usize,
        non_empty: bool,
    ) -> Result<&'a [u8], UdptlError> {
        let start = self.pos;
        for _ in 0..count {
            let n = self.len_det()?;
            if non_empty && n == 0 {
                return Err(UdptlError::EmptyIfp);
            }
            check(UdptlLimit::Ifp, n, max_item)?;
            self.octets(n)?;
        }
        Ok(&self.buf[start..self.pos])
    }
}

fn check(limit: UdptlLimit, value: usize, max: usize) -> Result<(), UdptlError> {
    if value > max {
        Err(UdptlError::Limit { limit, value, max })
    } else {
        Ok(())
    }
}

impl<'a> Datagram<'a> {
    /// Decodes a datagram, checking every count and length against `limits`.
    ///
    /// # Errors
    /// [`UdptlError`]: truncation, trailing octets, fragments, empty IFPs, unknown recovery
    /// choice, or a [`UdptlError::Limit`] naming the cap that was exceeded.
    pub fn decode(buf: &'a [u8], limits: &Limits) -> Result<Datagram<'a>, UdptlError> {
        check(UdptlLimit::Datagram, buf.len(), limits.max_datagram)?;
        let mut c = Cursor { buf, pos: 0 };
        let seq = u16::from_be_bytes([c.u8()?, c.u8()?]);
        let n = c.len_det()?;
        if n == 0 {
            return Err(UdptlError::EmptyIfp);
        }
        check(UdptlLimit::Ifp, n, limits.max_ifp)?;
        let primary = c.octets(n)?;
        let recovery = match c.u8()? {
            0x00 => {
                let count = c.len_det()?;
                check(UdptlLimit::Secondaries, count, limits.max_secondaries)?;
                let bytes = c.list(count, limits.max_ifp, true)?;
                Recovery::Redundancy(IfpList {
                    repr: ListRepr::Wire { bytes, count },
                })
            }
            0x80 => {
                // fec-npackets: unconstrained INTEGER = length octet + two's complement.
                let span = match c.len_det()? {
                    1 => usize::from(c.u8()?),
                    2 => usize::from(u16::from_be_bytes([c.u8()?, c.u8()?])),
                    _ => return Err(UdptlError::BadFecSpan),
                };
                if span > 0x7FFF {
                    return Err(UdptlError::BadFecSpan);
                }
                check(UdptlLimit::FecSpan, span, limits.max_fec_span)?;
                let count = c.len_det()?;
                check(UdptlLimit::FecEntries, count, limits.max_fec_entries)?;
                let bytes = c.list(count, limits.max_ifp, false)?;
                Recovery::Fec {
                    span: u8::try_from(span).map_err(|_| UdptlError::BadFecSpan)?,
                    entries: IfpList {
                        repr: ListRepr::Wire { bytes, count },
                    },
                }
            }
            other => return Err(UdptlError::BadRecoveryChoice(other)),
        };
        if c.pos != buf.len() {
            return Err(UdptlError::TrailingBytes {
                extra: buf.len() - c.pos,
            });
        }
        Ok(Datagram {
            seq,
            primary,
            recovery,
        })
    }

    /// Appends the encoding to `out`; returns the octets written.
    ///
    /// # Errors
    /// An empty primary or secondary IFP, or an item or count above what one length
    /// determinant holds (16,383). Caps are the sender's business ([`super::Sender`]).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, UdptlError> {
        let start = out.len();
        let r = self.encode_inner(out);
        if r.is_err() {
            out.truncate(start);
        }
        r.map(|()| out.len() - start)
    }

    fn encode_inner(&self, out: &mut Vec<u8>) -> Result<(), UdptlError> {
        write_header(self.seq, self.primary, out)?;
        match self.recovery {
            Recovery::Redundancy(list) => {
                out.push(0x00);
                write_count(list.len(), out)?;
                for item in list {
                    write_open_type(item, out)?;
                }
            }
            Recovery::Fec { span, entries } => {
                write_fec_header(span, entries.len(), out)?;
                for item in entries {
                    write_octet_string(item, out)?;
                }
            }
        }
        Ok(())
    }
}

fn too_long(n: usize) -> UdptlError {
    UdptlError::Limit {
        limit: UdptlLimit::Ifp,
        value: n,
        max: MAX_LENGTH_DETERMINANT,
    }
}

/// `seq` and the primary IFP.
pub(crate) fn write_header(seq: u16, primary: &[u8], out: &mut Vec<u8>) -> Result<(), UdptlError> {
    out.extend_from_slice(&seq.to_be_bytes());
    write_open_type(primary, out)
}

/// An IFP as an open type: must be at least one octet (an IFP never encodes empty).
pub(crate) fn write_open_type(ifp: &[u8], out: &mut Vec<u8>) -> Result<(), UdptlError> {
    if ifp.is_empty() {
        return Err(UdptlError::EmptyIfp);
    }
    write_octet_string(ifp, out)
}

/// An unconstrained octet string (FEC parity may be empty during wind-up).
pub(crate) fn write_octet_string(b: &[u8], out: &mut Vec<u8>) -> Result<(), UdptlError> {
    if b.len() > MAX_LENGTH_DETERMINANT {
        return Err(too_long(b.len()));
    }
    write_len_det(out, b.len());
    out.extend_from_slice(b);
    Ok(())
}

pub(crate) fn write_count(n: usize, out: &mut Vec<u8>) -> Result<(), UdptlError> {
    if n > MAX_LENGTH_DETERMINANT {
        return Err(UdptlError::Limit {
            limit: UdptlLimit::Secondaries,
            value: n,
            max: MAX_LENGTH_DETERMINANT,
        });
    }
    write_len_det(out, n);
    Ok(())
}

/// `0x80`, `fec-npackets` as `01 <span>` (spans above 127 need a leading zero octet) and the
/// entry count.
pub(crate) fn write_fec_header(
    span: u8,
    entries: usize,
    out: &mut Vec<u8>,
) -> Result<(), UdptlError> {
    out.push(0x80);
    if span < 0x80 {
        out.extend_from_slice(&[1, span]);
    } else {
        out.extend_from_slice(&[2, 0, span]);
    }
    write_count(entries, out)
}

#[cfg(test)]
mod tests;
