//! The three codings benchmarked, set up the way libtiff writes them.

use t4_codec::{Coding, Params};

/// A coding of the benchmark: MH, MR with K = 4, MMR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// T.4 MH, EOL before every row (TIFF `g3:1d`).
    Mh,
    /// T.4 MR, K = 4 (TIFF `g3:2d` at fine resolution).
    Mr,
    /// T.6 MMR with EOFB (TIFF `g4`).
    Mmr,
}

impl Mode {
    /// All three, in report order.
    pub const ALL: [Mode; 3] = [Mode::Mh, Mode::Mr, Mode::Mmr];

    /// The name used in group names and ratio lines.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Mh => "mh",
            Mode::Mr => "mr",
            Mode::Mmr => "mmr",
        }
    }

    /// The suffix of the golden libtiff encodings in `corpus/ccitt-encoded/`.
    pub fn golden_suffix(self) -> &'static str {
        match self {
            Mode::Mh => "g3-1d",
            Mode::Mr => "g3-2d",
            Mode::Mmr => "g4",
        }
    }

    /// t4-codec parameters that produce libtiff's bytes: min-is-white (1 = black), EOLs and
    /// no RTC for T.4 (TIFF Class F), EOFB for T.6.
    pub fn params(self, width: u32, rows: u32) -> Params {
        let coding = match self {
            Mode::Mh => Coding::Mh,
            Mode::Mr => Coding::Mr { k: 4 },
            Mode::Mmr => Coding::Mmr,
        };
        let mut p = Params::new(coding, width);
        p.rows = rows;
        p.black_is_1 = true;
        p.end_of_line = coding != Coding::Mmr;
        p.end_of_block = coding == Coding::Mmr;
        p
    }

    /// The libtiff scheme with the same bytes.
    #[cfg(feature = "libtiff")]
    pub fn libtiff(self) -> faxkit_interop::LibtiffScheme {
        use faxkit_interop::LibtiffScheme;
        match self {
            Mode::Mh => LibtiffScheme::MH,
            Mode::Mr => LibtiffScheme::MR_K4,
            Mode::Mmr => LibtiffScheme::MMR,
        }
    }
}
