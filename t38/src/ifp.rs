//! IFP packets (T.38 §7, `IFPPacket`) in ALIGNED PER, in both packings.
//!
//! The 1998 ASN.1 ("pre-corrigendum", `T38FaxVersion` 0) has no extension marker on
//! `field-type`, so a field type takes 3 bits plus the field-data presence bit; the 2002 ASN.1
//! (version 1 and later) adds the marker, so it takes 1 + 1 + 3 bits, or 1 + 1 + 7 bits for an
//! extension value. Everything else is the same. Peers at different packings misread each
//! other's frame ends silently, which is why the packing is a parameter of every call here and
//! never guessed.
//!
//! Elements of the data field are not octet-aligned in PER: an element without field-data
//! leaves the next element's bits in the same octet (4 or 5 bits in). We encode and decode that
//! exactly as X.691 says (Wireshark agrees). spandsp 0.0.6 pads such an element to a whole octet
//! on sending, which only matters for an element without data that is *not* the last one; no
//! deployed sender produces that shape. spandsp 0.0.6 also places the index of an extension
//! field type (cm/jm/ci-message, v34rate, V.34 only) one bit to the right of where X.691 and
//! Wireshark put it; we follow X.691.
//!
//! Decoding does not allocate: [`Ifp::decode`] validates the whole packet once and keeps a view
//! of the bytes; [`Ifp::fields`] walks them again.

use crate::codes::{DataType, FieldType, Indicator, MAX_EXTENSION_INDEX};
use crate::error::IfpError;
use crate::per::{read_len_det, BitReader, BitWriter, LenDet, Short, MAX_LENGTH_DETERMINANT};

/// Which ASN.1 the IFP encoding follows; choose it from the negotiated `T38FaxVersion` with
/// [`Packing::for_version`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Packing {
    /// T.38 (1998), "pre-corrigendum": `T38FaxVersion` 0. No extension field types.
    V1998,
    /// T.38 (2002) and later: `T38FaxVersion` 1, 2, 3 and 4.
    V2002,
}

impl Packing {
    /// The packing a session at `T38FaxVersion` `version` uses (0 → 1998, else 2002), as
    /// spandsp, Asterisk and Wireshark's `use_pre_corrigendum_asn1_specification` agree.
    pub fn for_version(version: u8) -> Packing {
        if version == 0 {
            Packing::V1998
        } else {
            Packing::V2002
        }
    }
}

/// `type-of-msg`: an indicator, or data of a given modulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// `t30-indicator`.
    Indicator(Indicator),
    /// `t30-data`.
    Data(DataType),
}

/// One element of the data field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Field<'a> {
    /// What the element carries.
    pub field_type: FieldType,
    /// The octets, if present. Present data is never empty (`SIZE (1..65535)`).
    pub data: Option<&'a [u8]>,
}

impl<'a> Field<'a> {
    /// A field with data.
    pub fn new(field_type: FieldType, data: &'a [u8]) -> Self {
        Field {
            field_type,
            data: Some(data),
        }
    }

    /// A field without data (for example a frame end).
    pub fn bare(field_type: FieldType) -> Self {
        Field {
            field_type,
            data: None,
        }
    }
}

/// Largest field-data length (`OCTET STRING (SIZE (1..65535))`).
pub const MAX_FIELD_DATA: usize = 65_535;

/// An IFP packet: a message type and zero or more data elements.
///
/// Built from a slice of [`Field`]s for sending ([`Ifp::new`]), or a validated view of received
/// bytes ([`Ifp::decode`]); both look the same through [`Ifp::fields`].
#[derive(Clone, Copy)]
pub struct Ifp<'a> {
    message: Message,
    fields: Repr<'a>,
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    Slice(&'a [Field<'a>]),
    Wire {
        bytes: &'a [u8],
        /// Bit offset of the first element.
        start_bit: usize,
        count: usize,
        packing: Packing,
    },
}

impl<'a> Ifp<'a> {
    /// A packet with the given message and data elements (an empty slice means no data field).
    pub fn new(message: Message, fields: &'a [Field<'a>]) -> Self {
        Ifp {
            message,
            fields: Repr::Slice(fields),
        }
    }

    /// An indicator packet.
    pub fn indicator(indicator: Indicator) -> Ifp<'static> {
        Ifp {
            message: Message::Indicator(indicator),
            fields: Repr::Slice(&[]),
        }
    }

    /// The message type.
    pub fn message(&self) -> Message {
        self.message
    }

    /// Number of data elements (0 when there is no data field).
    pub fn field_count(&self) -> usize {
        match self.fields {
            Repr::Slice(s) => s.len(),
            Repr::Wire { count, .. } => count,
        }
    }

    /// The data elements in order.
    pub fn fields(&self) -> Fields<'a> {
        match self.fields {
            Repr::Slice(s) => Fields {
                inner: FieldsInner::Slice(s.iter()),
            },
            Repr::Wire {
                bytes,
                start_bit,
                count,
                packing,
            } => {
                let r = BitReader::at(bytes, start_bit);
                Fields {
                    inner: FieldsInner::Wire {
                        r,
                        left: count,
                        packing,
                    },
                }
            }
        }
    }

    /// Decodes a whole IFP packet; trailing octets are an error.
    ///
    /// # Errors
    /// [`IfpError`] says what is wrong with the bytes; nothing is trusted before it is checked.
    pub fn decode(bytes: &'a [u8], packing: Packing) -> Result<Ifp<'a>, IfpError> {
        let (ifp, used) = Self::decode_prefix(bytes, packing)?;
        if used != bytes.len() {
            return Err(IfpError::TrailingBytes {
                extra: bytes.len() - used,
            });
        }
        Ok(ifp)
    }

    /// Decodes the IFP packet at the start of `bytes` and returns it with the octets it used.
    /// IFP packets delimit themselves, so this reads the raw TCP stream and re-derives the
    /// length of an FEC-repaired packet (which carries zero padding).
    ///
    /// # Errors
    /// [`IfpError::Truncated`] if `bytes` ends inside the packet (a stream reader waits for
    /// more), otherwise what is malformed.
    pub fn decode_prefix(bytes: &'a [u8], packing: Packing) -> Result<(Ifp<'a>, usize), IfpError> {
        decode_inner(bytes, packing).map_err(|e| e.unwrap_or(IfpError::Truncated))
    }

    /// Appends the encoding to `out` and returns the number of octets written.
    ///
    /// # Errors
    /// A value the chosen packing cannot express (an extension field type in 1998 packing, a
    /// code above its type's `MAX`), empty or over-long field data; `out` is left unchanged.
    pub fn encode(&self, packing: Packing, out: &mut Vec<u8>) -> Result<usize, IfpError> {
        self.check(packing)?;
        let start = out.len();
        let count = self.field_count();
        let mut w = BitWriter::new(out);
        w.bit(count > 0);
        match self.message {
            Message::Indicator(i) => {
                w.bit(false);
                write_enum(&mut w, i.0, Indicator::ROOT_COUNT, 4);
            }
            Message::Data(d) => {
                w.bit(true);
                write_enum(&mut w, d.0, DataType::ROOT_COUNT, 4);
            }
        }
        if count > 0 {
            w.align();
            w.len_det(count);
            for f in self.fields() {
                w.bit(f.data.is_some());
                match packing {
                    Packing::V1998 => w.bits(f.field_type.0, 3),
                    Packing::V2002 => write_enum(&mut w, f.field_type.0, FieldType::ROOT_COUNT, 3),
                }
                if let Some(d) = f.data {
                    w.align();
                    let n = u16::try_from(d.len() - 1).unwrap_or(u16::MAX);
                    w.octets(&n.to_be_bytes());
                    w.octets(d);
                }
            }
        }
        w.align();
        Ok(out.len() - start)
    }

    /// The encoded length in octets.
    ///
    /// # Errors
    /// As [`Ifp::encode`].
    pub fn encoded_len(&self, packing: Packing) -> Result<usize, IfpError> {
        self.check(packing)?;
        let enum_bits =
            |v: u8, root: u8, root_bits: usize| 1 + if v >= root { 7 } else { root_bits };
        let mut bits: usize = 2 + match self.message {
            Message::Indicator(i) => enum_bits(i.0, Indicator::ROOT_COUNT, 4),
            Message::Data(d) => enum_bits(d.0, DataType::ROOT_COUNT, 4),
        };
        let count = self.field_count();
        if count > 0 {
            bits = bits.div_ceil(8) * 8 + 8 * crate::per::len_det_size(count);
            for f in self.fields() {
                bits += 1 + match packing {
                    Packing::V1998 => 3,
                    Packing::V2002 => enum_bits(f.field_type.0, FieldType::ROOT_COUNT, 3),
                };
                if let Some(d) = f.data {
                    bits = bits.div_ceil(8) * 8 + 16 + 8 * d.len();
                }
            }
        }
        Ok(bits.div_ceil(8))
    }

    fn check(&self, packing: Packing) -> Result<(), IfpError> {
        match self.message {
            Message::Indicator(i) if i.0 > Indicator::MAX => {
                return Err(IfpError::CodeOutOfRange {
                    what: "indicator",
                    value: i.0,
                })
            }
            Message::Data(d) if d.0 > DataType::MAX => {
                return Err(IfpError::CodeOutOfRange {
                    what: "data type",
                    value: d.0,
                })
            }
            _ => {}
        }
        if self.field_count() > MAX_LENGTH_DETERMINANT {
            return Err(IfpError::TooManyFields {
                count: self.field_count(),
            });
        }
        for f in self.fields() {
            match packing {
                Packing::V1998 if f.field_type.is_extension() => {
                    return Err(IfpError::ExtensionFieldTypeIn1998 {
                        field_type: f.field_type,
                    })
                }
                Packing::V2002 if f.field_type.0 > FieldType::MAX => {
                    return Err(IfpError::CodeOutOfRange {
                        what: "field type",
                        value: f.field_type.0,
                    })
                }
                _ => {}
            }
            match f.data {
                Some([]) => return Err(IfpError::EmptyFieldData),
                Some(d) if d.len() > MAX_FIELD_DATA => {
                    return Err(IfpError::FieldDataTooLong { len: d.len() })
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl PartialEq for Ifp<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.message == other.message
            && self.field_count() == other.field_count()
            && self.fields().eq(other.fields())
    }
}

impl Eq for Ifp<'_> {}

impl core::fmt::Debug for Ifp<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ifp")
            .field("message", &self.message)
            .field("fields", &DebugFields(*self))
            .finish()
    }
}

struct DebugFields<'a>(Ifp<'a>);

impl core::fmt::Debug for DebugFields<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Lengths only: field data is fax content (possibly PHI) and stays out of logs.
        f.debug_list()
            .entries(
                self.0
                    .fields()
                    .map(|x| (x.field_type, x.data.map(<[u8]>::len))),
            )
            .finish()
    }
}

/// Iterator over an IFP's data elements.
#[derive(Clone, Debug)]
pub struct Fields<'a> {
    inner: FieldsInner<'a>,
}

#[derive(Clone, Debug)]
enum FieldsInner<'a> {
    Slice(core::slice::Iter<'a, Field<'a>>),
    Wire {
        r: BitReader<'a>,
        left: usize,
        packing: Packing,
    },
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        match &mut self.inner {
            FieldsInner::Slice(it) => it.next().copied(),
            FieldsInner::Wire { r, left, packing } => {
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                read_field(r, *packing).ok()
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.inner {
            FieldsInner::Slice(it) => it.len(),
            FieldsInner::Wire { left, .. } => *left,
        };
        (n, Some(n))
    }
}

/// Writes an extensible ENUMERATED: extension bit, then the root value in `root_bits`, or a
/// normally small number (short form: `0` + 6 bits).
fn write_enum(w: &mut BitWriter<'_>, value: u8, root_count: u8, root_bits: u32) {
    if value < root_count {
        w.bit(false);
        w.bits(value, root_bits);
    } else {
        w.bit(true);
        w.bit(false);
        w.bits(value - root_count, 6);
    }
}

/// `Err(None)` = input ended (truncated), `Err(Some(e))` = malformed.
type Inner<T> = Result<T, Option<IfpError>>;

fn short(_: Short) -> Option<IfpError> {
    None
}

fn read_enum(
    r: &mut BitReader<'_>,
    root_count: u8,
    root_bits: u32,
    what: &'static str,
) -> Inner<u8> {
    if r.bit().map_err(short)? {
        // Normally small number: `0` + 6 bits; `1` is the long form for values >= 64.
        if r.bit().map_err(short)? {
            return Err(Some(IfpError::ExtensionTooLarge { what }));
        }
        let v = r.bits(6).map_err(short)?;
        debug_assert!(v <= MAX_EXTENSION_INDEX);
        Ok(root_count + v)
    } else {
        let v = r.bits(root_bits).map_err(short)?;
        if v >= root_count {
            return Err(Some(IfpError::UnknownRootValue { what, value: v }));
        }
        Ok(v)
    }
}

fn read_field<'a>(r: &mut BitReader<'a>, packing: Packing) -> Inner<Field<'a>> {
    let present = r.bit().map_err(short)?;
    let field_type = FieldType(match packing {
        Packing::V1998 => r.bits(3).map_err(short)?,
        Packing::V2002 => read_enum(r, FieldType::ROOT_COUNT, 3, "field type")?,
    });
    let data = if present {
        r.align();
        let n = usize::from(r.u16_aligned().map_err(short)?) + 1;
        Some(r.octets(n).map_err(short)?)
    } else {
        None
    };
    Ok(Field { field_type, data })
}

fn decode_inner(bytes: &[u8], packing: Packing) -> Inner<(Ifp<'_>, usize)> {
    let mut r = BitReader::new(bytes);
    let has_data = r.bit().map_err(short)?;
    let message = if r.bit().map_err(short)? {
        Message::Data(DataType(read_enum(
            &mut r,
            DataType::ROOT_COUNT,
            4,
            "data type",
        )?))
    } else {
        Message::Indicator(Indicator(read_enum(
            &mut r,
            Indicator::ROOT_COUNT,
            4,
            "indicator",
        )?))
    };
    let mut start_bit = 0;
    let mut count = 0;
    if has_data {
        count = match read_len_det(&mut r).map_err(short)? {
            LenDet::Len(0) => return Err(Some(IfpError::EmptyDataField)),
            LenDet::Len(n) => n,
            LenDet::Fragment => return Err(Some(IfpError::Fragmented)),
        };
        // Each element takes at least 4 bits: a count the input cannot hold is short input.
        if count.saturating_mul(4) > r.remaining_bits() {
            return Err(None);
        }
        start_bit = r.bit_pos();
        for _ in 0..count {
            read_field(&mut r, packing)?;
        }
    }
    r.align();
    let used = r.bit_pos() / 8;
    if used > bytes.len() {
        return Err(None);
    }
    let view = &bytes[..used];
    let fields = if has_data {
        Repr::Wire {
            bytes: view,
            start_bit,
            count,
            packing,
        }
    } else {
        Repr::Slice(&[])
    };
    Ok((Ifp { message, fields }, used))
}

#[cfg(test)]
mod tests;
