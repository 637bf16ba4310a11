//! Shared by the integration tests: where the shared test corpus is.

use std::path::{Path, PathBuf};

/// `../shared/corpus` beside the repository, or `None` (with a note on stderr) when it is
/// absent: corpus tests then pass without checking anything, and the core tests, which
/// need no corpus, still run.
pub(crate) fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("note: ../shared/corpus not found; corpus tests skipped");
        None
    }
}
