//! The libtiff fax codings we compare against, and the t4-codec parameters that match them.

use t4_codec::{Coding, Params};

/// One of libtiff's CCITT fax codings, as `tiffcp -c g3:1d | g3:2d | g4 [:fill]` writes them.
///
/// libtiff has no K parameter: for `g3:2d` it codes K = 4 rows per 1-D row when
/// YResolution is above 150 lines per inch and K = 2 otherwise, so the scheme carries the
/// YResolution that selects its K.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LibtiffScheme {
    compression: u16,
    group3_options: u32,
    y_resolution: f32,
}

/// Group3Options bit 0: 2-D coding.
const G3_2D: u32 = 1;
/// Group3Options bit 2: fill bits before each EOL so that it ends on a byte boundary.
const G3_FILL: u32 = 4;
/// Fine resolution (lines per inch): libtiff picks K = 4.
const FINE: f32 = 196.0;
/// Standard resolution: libtiff picks K = 2.
const STANDARD: f32 = 98.0;

impl LibtiffScheme {
    /// T.4 MH with an EOL before every row, no RTC (`g3:1d`).
    pub const MH: LibtiffScheme = LibtiffScheme::g3(0, FINE);
    /// MH with fill bits (`g3:1d:fill`).
    pub const MH_FILL: LibtiffScheme = LibtiffScheme::g3(G3_FILL, FINE);
    /// T.4 MR, K = 2 (`g3:2d` at standard resolution).
    pub const MR_K2: LibtiffScheme = LibtiffScheme::g3(G3_2D, STANDARD);
    /// MR, K = 2, with fill bits.
    pub const MR_K2_FILL: LibtiffScheme = LibtiffScheme::g3(G3_2D | G3_FILL, STANDARD);
    /// T.4 MR, K = 4 (`g3:2d` at fine resolution).
    pub const MR_K4: LibtiffScheme = LibtiffScheme::g3(G3_2D, FINE);
    /// MR, K = 4, with fill bits (`g3:2d:fill`).
    pub const MR_K4_FILL: LibtiffScheme = LibtiffScheme::g3(G3_2D | G3_FILL, FINE);
    /// T.6 MMR with EOFB (`g4`).
    pub const MMR: LibtiffScheme = LibtiffScheme {
        compression: 4,
        group3_options: 0,
        y_resolution: FINE,
    };

    /// Every scheme above.
    pub const ALL: [LibtiffScheme; 7] = [
        LibtiffScheme::MH,
        LibtiffScheme::MH_FILL,
        LibtiffScheme::MR_K2,
        LibtiffScheme::MR_K2_FILL,
        LibtiffScheme::MR_K4,
        LibtiffScheme::MR_K4_FILL,
        LibtiffScheme::MMR,
    ];

    const fn g3(group3_options: u32, y_resolution: f32) -> LibtiffScheme {
        LibtiffScheme {
            compression: 3,
            group3_options,
            y_resolution,
        }
    }

    /// TIFF `Compression`: 3 (T.4) or 4 (T.6).
    pub fn compression(&self) -> u16 {
        self.compression
    }

    /// TIFF `Group3Options` (0 for T.6).
    pub fn group3_options(&self) -> u32 {
        self.group3_options
    }

    /// TIFF `YResolution` in lines per inch (it selects libtiff's K).
    pub fn y_resolution(&self) -> f32 {
        self.y_resolution
    }

    /// The coding libtiff produces with this scheme.
    pub fn coding(&self) -> Coding {
        match (self.compression, self.group3_options & G3_2D != 0) {
            (4, _) => Coding::Mmr,
            (_, false) => Coding::Mh,
            (_, true) => Coding::mr_for_resolution(self.y_resolution),
        }
    }

    /// Whether EOLs are padded to end on a byte boundary.
    pub fn fill(&self) -> bool {
        self.group3_options & G3_FILL != 0
    }

    /// A short name in `tiffcp -c` syntax, with K for 2-D coding.
    pub fn name(&self) -> &'static str {
        match (self.coding(), self.fill()) {
            (Coding::Mh, false) => "g3:1d",
            (Coding::Mh, true) => "g3:1d:fill",
            (Coding::Mr { k: 2 }, false) => "g3:2d(K=2)",
            (Coding::Mr { k: 2 }, true) => "g3:2d:fill(K=2)",
            (Coding::Mr { .. }, false) => "g3:2d(K=4)",
            (Coding::Mr { .. }, true) => "g3:2d:fill(K=4)",
            (Coding::Mmr, _) => "g4",
        }
    }

    /// The `tiffcp -c` argument that selects this coding (K then follows the YResolution).
    pub fn tiffcp_arg(&self) -> &'static str {
        match (self.coding(), self.fill()) {
            (Coding::Mh, false) => "g3:1d",
            (Coding::Mh, true) => "g3:1d:fill",
            (Coding::Mr { .. }, false) => "g3:2d",
            (Coding::Mr { .. }, true) => "g3:2d:fill",
            (Coding::Mmr, _) => "g4",
        }
    }

    /// t4-codec parameters that read and write exactly what libtiff does with this scheme:
    /// min-is-white packed rows (1 = black), an EOL before every T.4 row and no RTC (TIFF
    /// Class F), EOFB after T.6 data, fill bits as the scheme says.
    pub fn t4_params(&self, width: u32, rows: u32) -> Params {
        let coding = self.coding();
        let mut p = Params::new(coding, width);
        p.rows = rows;
        p.black_is_1 = true;
        p.end_of_line = coding != Coding::Mmr;
        p.end_of_block = coding == Coding::Mmr;
        p.eol_fill = self.fill();
        p
    }
}
