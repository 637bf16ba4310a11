//! Identity frames (CSI, TSI, CIG, SUB, SEP, PSA, SID, PWD) and non-standard facilities
//! (NSF, NSS, NSC).
//!
//! Identities are phone numbers, subaddresses and passwords: personal data. Their `Debug`
//! and `Display` print a redacted form; the text is reached only through
//! [`Identity::reveal`], whose name makes every disclosure visible in review.

use crate::error::FrameError;
use core::fmt;

/// Characters in an identity field (T.30 5.3.6.2.4).
pub const IDENTITY_LEN: usize = 20;

/// A 20-character T.30 identity: digits, `+` and space only for numbers (CSI, TSI, CIG);
/// printable ASCII for subaddresses and passwords, as many devices send them.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Identity {
    /// Trimmed text, at most [`IDENTITY_LEN`] printable ASCII characters.
    text: String,
}

impl Identity {
    /// An identity from text.
    ///
    /// # Errors
    /// [`FrameError::BadIdentity`] if the text is longer than 20 characters or holds a
    /// character outside printable ASCII.
    pub fn new(text: &str) -> Result<Identity, FrameError> {
        let text = text.trim();
        if text.len() > IDENTITY_LEN || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(FrameError::BadIdentity);
        }
        Ok(Identity {
            text: text.to_owned(),
        })
    }

    /// True if this is a telephone number as T.30 defines one (digits, `+`, space).
    pub fn is_number(&self) -> bool {
        self.text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'+' || b == b' ')
    }

    /// True if empty (no identity was sent, or only spaces).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The identity's text. Personal data: never log it.
    pub fn reveal(&self) -> &str {
        &self.text
    }

    /// Decodes an identity FIF (T.30 notation: each character bit-reversed, the last
    /// character first).
    ///
    /// # Errors
    /// [`FrameError::BadIdentity`] for a FIF longer than 20 octets or holding a non-printable
    /// character. Shorter FIFs are accepted (some devices do not pad).
    pub fn from_fif(fif: &[u8]) -> Result<Identity, FrameError> {
        if fif.len() > IDENTITY_LEN {
            return Err(FrameError::BadIdentity);
        }
        let mut text = String::with_capacity(fif.len());
        for &b in fif.iter().rev() {
            let c = b.reverse_bits();
            if !(0x20..0x7f).contains(&c) {
                return Err(FrameError::BadIdentity);
            }
            text.push(char::from(c));
        }
        Identity::new(&text)
    }

    /// The 20-octet FIF: the text last character first, then space padding (as spandsp
    /// sends it), each octet in T.30 notation.
    pub fn to_fif(&self) -> Vec<u8> {
        let mut out: Vec<u8> = self.text.bytes().rev().map(u8::reverse_bits).collect();
        out.resize(IDENTITY_LEN, b' '.reverse_bits());
        out
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Redacted: only whether it is empty and how long it is.
impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            f.write_str("<none>")
        } else {
            write!(f, "<redacted {} chars>", self.text.len())
        }
    }
}

/// A non-standard facilities frame (NSF, NSS, NSC): a T.35 country code, a vendor code and
/// proprietary content. Logged, never acted upon.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NonStandard {
    /// T.35 country code: one octet, or two when the first is `0xFF`.
    pub country: u16,
    /// The vendor (terminal provider) code, conventionally the two octets after the country.
    pub vendor: Vec<u8>,
    /// Everything after the vendor code.
    pub data: Vec<u8>,
}

impl NonStandard {
    /// Parses an NSF/NSS/NSC FIF. T.35 octets are sent LSB first like identities, so each
    /// octet is bit-reversed back into the value T.35 tables list.
    ///
    /// # Errors
    /// [`FrameError::BadNonStandard`] for an empty FIF or a `0xFF` escape without its
    /// second octet.
    pub fn from_fif(fif: &[u8]) -> Result<NonStandard, FrameError> {
        let octets: Vec<u8> = fif.iter().map(|b| b.reverse_bits()).collect();
        let (country, rest) = match octets.as_slice() {
            [0xFF, second, rest @ ..] => (0xFF00 | u16::from(*second), rest),
            [0xFF] | [] => return Err(FrameError::BadNonStandard),
            [first, rest @ ..] => (u16::from(*first), rest),
        };
        let split = rest.len().min(2);
        Ok(NonStandard {
            country,
            vendor: rest[..split].to_vec(),
            data: rest[split..].to_vec(),
        })
    }

    /// The FIF in T.30 notation.
    pub fn to_fif(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(3 + self.vendor.len() + self.data.len());
        if self.country > 0xFF {
            out.push(0xFF);
        }
        out.push(self.country.to_le_bytes()[0]);
        out.extend_from_slice(&self.vendor);
        out.extend_from_slice(&self.data);
        out.iter().map(|b| b.reverse_bits()).collect()
    }
}

/// Country and vendor codes only: the content may embed identities.
impl fmt::Debug for NonStandard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for NonStandard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T.35 country 0x{:02x} vendor ", self.country)?;
        for b in &self.vendor {
            write!(f, "{b:02x}")?;
        }
        write!(f, " ({} octets of content)", self.data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn measured_csi_decodes() {
        // spandsp's CSI for "+1 555 0199 RX", as stored LSB first (reference 2.5): the text
        // reversed and space padded. In T.30 notation every octet is bit-reversed.
        let lsb = b"XR 9910 555 1+      ";
        let fif: Vec<u8> = lsb.iter().map(|b| b.reverse_bits()).collect();
        let id = Identity::from_fif(&fif).expect("valid");
        assert_eq!(id.reveal(), "+1 555 0199 RX");
        assert!(!id.is_number());
        assert_eq!(id.to_fif(), fif);
    }

    #[test]
    fn display_redacts() {
        let id = Identity::new("+1 555 0100").expect("valid");
        assert!(id.is_number());
        let shown = format!("{id} {id:?}");
        assert!(!shown.contains("555"), "{shown}");
        assert_eq!(Identity::default().to_string(), "<none>");
    }

    #[test]
    fn bad_identities_are_rejected() {
        assert!(Identity::new("123456789012345678901").is_err());
        assert!(Identity::new("12\u{7}").is_err());
        assert!(Identity::from_fif(&[0u8; 21]).is_err());
        assert!(Identity::from_fif(&[0u8; 3]).is_err());
    }

    #[test]
    fn nsf_with_escaped_country() {
        // USA (T.35 0xB5), vendor 00 26, then content; and the 0xFF escape.
        let n = NonStandard {
            country: 0xB5,
            vendor: vec![0x00, 0x26],
            data: vec![1, 2, 3],
        };
        let fif = n.to_fif();
        assert_eq!(fif[0], 0xB5u8.reverse_bits());
        assert_eq!(NonStandard::from_fif(&fif), Ok(n.clone()));
        assert!(!format!("{n}").contains("010203"));
        let e = NonStandard::from_fif(&[0xFF, 0x80]).expect("escaped");
        assert_eq!(e.country, 0xFF01);
        assert_eq!(
            NonStandard::from_fif(&[0xFF]),
            Err(FrameError::BadNonStandard)
        );
    }

    proptest! {
        #[test]
        fn identity_round_trip(s in "[0-9+ A-Za-z]{0,20}") {
            let id = Identity::new(&s).expect("valid");
            prop_assert_eq!(Identity::from_fif(&id.to_fif()), Ok(id));
        }

        #[test]
        fn nsf_round_trip(country in 0u16..0x1_00, data in proptest::collection::vec(any::<u8>(), 2..30)) {
            prop_assume!(country != 0xFF);
            let n = NonStandard { country, vendor: data[..2].to_vec(), data: data[2..].to_vec() };
            prop_assert_eq!(NonStandard::from_fif(&n.to_fif()), Ok(n));
        }
    }
}
