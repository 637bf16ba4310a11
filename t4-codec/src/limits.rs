//! Resource limits for decoding, checked before anything driven by the input is allocated.

/// Limits on what a decoder will produce or hold.
///
/// Output size is not bounded by input size: 4 KiB of MMR can declare 33 Gpixel. Every
/// allocation and every row the decoder produces is checked against these limits first. The
/// defaults fit every real fax and scanned page (T.4's widest page is 14,592 pels) and are
/// meant to be raised deliberately, not disabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// Widest row accepted, in pels. Default 65,536.
    pub max_columns: u32,
    /// Most rows decoded from one stream. Default 262,144 (an A4 page at 1200 lines per inch
    /// has 14,000).
    pub max_rows: u32,
    /// Most bytes of packed output one image may need (`rows x ceil(columns / 8)`), checked
    /// by whole-image helpers before each row is stored. Default 64 MiB (a 14,592-pel-wide
    /// T.4 page 36,000 rows long).
    pub max_output_bytes: u64,
    /// Most damaged rows in a row (lenient mode) before decoding fails. Default 256.
    pub max_consecutive_bad_rows: u32,
    /// Most coded bytes the streaming decoder buffers while waiting for a row to complete,
    /// beyond the 4 bytes per pel a legal row can need. Default 1 MiB.
    pub max_buffered_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_columns: 65_536,
            max_rows: 1 << 18,
            max_output_bytes: 64 << 20,
            max_consecutive_bad_rows: 256,
            max_buffered_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// No limits beyond what memory addressing allows. Only for trusted input.
    pub fn unlimited() -> Self {
        Limits {
            max_columns: crate::params::MAX_COLUMNS,
            max_rows: u32::MAX,
            max_output_bytes: u64::MAX,
            max_consecutive_bad_rows: u32::MAX,
            max_buffered_bytes: usize::MAX / 2,
        }
    }
}

/// Which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_columns`].
    Columns,
    /// [`Limits::max_rows`].
    Rows,
    /// [`Limits::max_output_bytes`].
    OutputBytes,
    /// [`Limits::max_consecutive_bad_rows`].
    ConsecutiveBadRows,
    /// [`Limits::max_buffered_bytes`].
    BufferedBytes,
}

impl core::fmt::Display for Limit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Limit::Columns => "max_columns",
            Limit::Rows => "max_rows",
            Limit::OutputBytes => "max_output_bytes",
            Limit::ConsecutiveBadRows => "max_consecutive_bad_rows",
            Limit::BufferedBytes => "max_buffered_bytes",
        })
    }
}
