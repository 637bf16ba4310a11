//! The three IFP code spaces as newtypes with named constants (like h2's `Reason`): a value
//! from the wire that we have no name for is kept as it is, so it survives a round trip.
//!
//! Each enumeration in the T.38 ASN.1 has a root (encoded in a fixed number of bits) and, after
//! the `...`, extension values (encoded as "normally small numbers"). The numeric value of an
//! extension code here is `root count + extension index`, which is also how spandsp numbers
//! them (`T38_IND_V8_ANSAM` = 16, `T38_DATA_V8` = 9, `T38_FIELD_CM_MESSAGE` = 8).

use core::fmt;

/// Largest extension index a "normally small number" carries in its short form (X.691 10.6).
pub(crate) const MAX_EXTENSION_INDEX: u8 = 63;

macro_rules! code_space {
    (
        $(#[$meta:meta])*
        $name:ident, root = $root:expr, { $($(#[$cmeta:meta])* $cname:ident = $val:expr, $text:expr;)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u8);

        impl $name {
            $($(#[$cmeta])* pub const $cname: $name = $name($val);)*

            /// Number of values in the enumeration root (before the `...`).
            pub const ROOT_COUNT: u8 = $root;

            /// Largest value the encoding can carry (root count + 63).
            pub const MAX: u8 = $root + MAX_EXTENSION_INDEX;

            /// True for values after the ASN.1 extension marker.
            pub fn is_extension(self) -> bool {
                self.0 >= Self::ROOT_COUNT
            }

            /// The ASN.1 name of a value T.38 defines, `None` for an unknown extension value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($text),)*
                    _ => None,
                }
            }

            /// Every value T.38 (2002 and later) defines, in code order.
            pub const ALL_KNOWN: &'static [$name] = &[$($name($val)),*];
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => write!(f, "{}({})", n, self.0),
                    None => write!(f, "{}(unknown {})", stringify!($name), self.0),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "unknown-{}", self.0),
                }
            }
        }
    };
}

code_space! {
    /// `t30-indicator`: a signal the sending gateway detected or will generate (T.38 §7.4).
    Indicator, root = 16, {
        /// No signal.
        NO_SIGNAL = 0, "no-signal";
        /// Calling tone.
        CNG = 1, "cng";
        /// Called terminal identification answer tone.
        CED = 2, "ced";
        /// V.21 HDLC flags before a control message.
        V21_PREAMBLE = 3, "v21-preamble";
        /// V.27 ter 2400 bit/s training.
        V27_2400_TRAINING = 4, "v27-2400-training";
        /// V.27 ter 4800 bit/s training.
        V27_4800_TRAINING = 5, "v27-4800-training";
        /// V.29 7200 bit/s training.
        V29_7200_TRAINING = 6, "v29-7200-training";
        /// V.29 9600 bit/s training.
        V29_9600_TRAINING = 7, "v29-9600-training";
        /// V.17 7200 bit/s short training.
        V17_7200_SHORT_TRAINING = 8, "v17-7200-short-training";
        /// V.17 7200 bit/s long training.
        V17_7200_LONG_TRAINING = 9, "v17-7200-long-training";
        /// V.17 9600 bit/s short training.
        V17_9600_SHORT_TRAINING = 10, "v17-9600-short-training";
        /// V.17 9600 bit/s long training.
        V17_9600_LONG_TRAINING = 11, "v17-9600-long-training";
        /// V.17 12000 bit/s short training.
        V17_12000_SHORT_TRAINING = 12, "v17-12000-short-training";
        /// V.17 12000 bit/s long training.
        V17_12000_LONG_TRAINING = 13, "v17-12000-long-training";
        /// V.17 14400 bit/s short training.
        V17_14400_SHORT_TRAINING = 14, "v17-14400-short-training";
        /// V.17 14400 bit/s long training.
        V17_14400_LONG_TRAINING = 15, "v17-14400-long-training";
        /// Extension: V.8 ANSam.
        V8_ANSAM = 16, "v8-ansam";
        /// Extension: V.8 signal.
        V8_SIGNAL = 17, "v8-signal";
        /// Extension: V.34 control channel at 1200 bit/s.
        V34_CNTL_CHANNEL_1200 = 18, "v34-cntl-channel-1200";
        /// Extension: V.34 primary channel.
        V34_PRI_CHANNEL = 19, "v34-pri-channel";
        /// Extension: V.34 control channel retrain.
        V34_CC_RETRAIN = 20, "v34-CC-retrain";
        /// Extension: V.33 12000 bit/s training.
        V33_12000_TRAINING = 21, "v33-12000-training";
        /// Extension: V.33 14400 bit/s training.
        V33_14400_TRAINING = 22, "v33-14400-training";
    }
}

code_space! {
    /// `t30-data`: the modulation whose data the packet carries.
    DataType, root = 9, {
        /// V.21 at 300 bit/s (T.30 control frames).
        V21 = 0, "v21";
        /// V.27 ter 2400 bit/s.
        V27_2400 = 1, "v27-2400";
        /// V.27 ter 4800 bit/s.
        V27_4800 = 2, "v27-4800";
        /// V.29 7200 bit/s.
        V29_7200 = 3, "v29-7200";
        /// V.29 9600 bit/s.
        V29_9600 = 4, "v29-9600";
        /// V.17 7200 bit/s.
        V17_7200 = 5, "v17-7200";
        /// V.17 9600 bit/s.
        V17_9600 = 6, "v17-9600";
        /// V.17 12000 bit/s.
        V17_12000 = 7, "v17-12000";
        /// V.17 14400 bit/s.
        V17_14400 = 8, "v17-14400";
        /// Extension: V.8.
        V8 = 9, "v8";
        /// Extension: V.34 primary channel rate.
        V34_PRI_RATE = 10, "v34-pri-rate";
        /// Extension: V.34 control channel 1200 bit/s.
        V34_CC_1200 = 11, "v34-CC-1200";
        /// Extension: V.34 primary channel.
        V34_PRI_CH = 12, "v34-pri-ch";
        /// Extension: V.33 12000 bit/s.
        V33_12000 = 13, "v33-12000";
        /// Extension: V.33 14400 bit/s.
        V33_14400 = 14, "v33-14400";
    }
}

code_space! {
    /// `field-type`: what a data element carries (HDLC octets, frame end, FCS verdict, image).
    FieldType, root = 8, {
        /// HDLC frame octets.
        HDLC_DATA = 0, "hdlc-data";
        /// End of the HDLC signal (carrier off).
        HDLC_SIG_END = 1, "hdlc-sig-end";
        /// End of an HDLC frame whose FCS was good.
        HDLC_FCS_OK = 2, "hdlc-fcs-OK";
        /// End of an HDLC frame whose FCS was bad.
        HDLC_FCS_BAD = 3, "hdlc-fcs-BAD";
        /// Good FCS and end of signal.
        HDLC_FCS_OK_SIG_END = 4, "hdlc-fcs-OK-sig-end";
        /// Bad FCS and end of signal.
        HDLC_FCS_BAD_SIG_END = 5, "hdlc-fcs-BAD-sig-end";
        /// Non-ECM image data (T.4).
        T4_NON_ECM_DATA = 6, "t4-non-ecm-data";
        /// End of non-ECM image data.
        T4_NON_ECM_SIG_END = 7, "t4-non-ecm-sig-end";
        /// Extension: V.8 CM message.
        CM_MESSAGE = 8, "cm-message";
        /// Extension: V.8 JM message.
        JM_MESSAGE = 9, "jm-message";
        /// Extension: V.8 CI message.
        CI_MESSAGE = 10, "ci-message";
        /// Extension: V.34 rate.
        V34RATE = 11, "v34rate";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spandsp_numbering() {
        // t38_core.h numbers extension values after the root, as we do.
        assert_eq!(Indicator::V8_ANSAM.0, 16);
        assert_eq!(Indicator::V33_14400_TRAINING.0, 22);
        assert_eq!(DataType::V8.0, 9);
        assert_eq!(DataType::V33_14400.0, 14);
        assert_eq!(FieldType::CM_MESSAGE.0, 8);
        assert_eq!(FieldType::V34RATE.0, 11);
        assert!(FieldType::CM_MESSAGE.is_extension());
        assert!(!FieldType::T4_NON_ECM_SIG_END.is_extension());
        assert_eq!(format!("{:?}", Indicator(40)), "Indicator(unknown 40)");
        assert_eq!(Indicator::ALL_KNOWN.len(), 23);
        assert_eq!(DataType::ALL_KNOWN.len(), 15);
        assert_eq!(FieldType::ALL_KNOWN.len(), 12);
    }
}
