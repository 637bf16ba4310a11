//! Reading a whole log directory back: segment headers and the key chain, every frame,
//! every interleaved checkpoint, `checkpoints.log`, and optionally an external anchor. The
//! same walk serves crash recovery (which may cut a torn tail) and `verify` (which only
//! reports). Everything is re-derived from the bytes and the pinned root key.

use crate::checkpoint::{verify_note, Checkpoint, VerifierKey};
use crate::event::Record;
use crate::keys::KeyCert;
use crate::merkle::{LeafHasher, LeafStore, MemLeaves, Tree};
use crate::segment::{self, FrameReader, Header, Stop, TAG_CHECKPOINT, TAG_EVENT};
use crate::storage::Storage;

/// Directory of the segment files.
pub const SEGMENTS: &str = "segments";
/// The anchored checkpoints (a framed append-only file).
pub const CHECKPOINTS: &str = "checkpoints.log";

/// The first problem found, with the first seq it affects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The first seq that is missing, altered, out of place or not covered by a valid
    /// checkpoint. For a change inside a batch that a forger re-framed with a valid CRC, this
    /// is the first seq of that batch (the smallest unit a signed root pins down).
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
    /// True if acknowledged events are missing (the log is shorter than a checkpoint).
    pub missing: bool,
    /// With `missing`: the size the checkpoint covers.
    pub covered: u64,
}

fn fail(seq: u64, reason: impl Into<String>) -> Failure {
    Failure {
        seq,
        reason: reason.into(),
        missing: false,
        covered: 0,
    }
}

/// One segment as found on disk.
#[derive(Clone, Debug)]
pub struct SegmentInfo {
    /// File name inside `segments/`.
    pub name: String,
    /// The header, if it is valid (a headerless last segment is a torn creation).
    pub header: Option<Header>,
    /// Bytes up to the end of the last checkpoint frame (or of the header).
    pub committed_len: u64,
    /// File length.
    pub file_len: u64,
    /// Size of the tree at the end of this segment's committed part.
    pub end_seq: u64,
}

/// How to treat an unacknowledged tail in the last segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Recovery: a tail after the last checkpoint (torn bytes or complete but unsigned
    /// frames of a batch that never committed) is expected and will be cut.
    Recover,
    /// Verification: torn bytes are tolerated but complete event frames that no checkpoint
    /// covers are reported.
    Verify,
}

/// Everything read from a log directory.
#[derive(Debug)]
pub struct Scanned<S: LeafStore = MemLeaves> {
    /// The log's origin.
    pub origin: String,
    /// Segments in order.
    pub segments: Vec<SegmentInfo>,
    /// The tree over every committed event.
    pub tree: Tree<S>,
    /// Certificates of the segment keys, in order.
    pub certs: Vec<KeyCert>,
    /// The newest signed checkpoint note (covering `tree.size()`), if any.
    pub last_note: Option<String>,
    /// Size covered by the newest entry of `checkpoints.log`.
    pub anchored_size: u64,
    /// Length of the valid part of `checkpoints.log`.
    pub checkpoints_len: u64,
    /// The decoded records, if asked for.
    pub records: Vec<Record>,
    /// The canonical bytes of the records, if asked for.
    pub record_bytes: Vec<Vec<u8>>,
}

/// Reads and checks a log directory.
///
/// # Errors
/// The first [`Failure`]; an I/O error is reported as a failure at seq 0.
pub fn scan_log(
    storage: &dyn Storage,
    root: &VerifierKey,
    mode: Mode,
    keep_records: bool,
    anchor: Option<&str>,
) -> Result<Scanned, Failure> {
    scan_log_into(
        storage,
        root,
        mode,
        keep_records,
        anchor,
        MemLeaves::default(),
    )
}

/// [`scan_log`] with the tree's leaf hashes going to `store` (which must be empty), e.g. a
/// file, so that memory does not grow with the log.
///
/// # Errors
/// As [`scan_log`]; a failing store is reported as a failure at the seq being added.
pub fn scan_log_into<S: LeafStore>(
    storage: &dyn Storage,
    root: &VerifierKey,
    mode: Mode,
    keep_records: bool,
    anchor: Option<&str>,
    store: S,
) -> Result<Scanned<S>, Failure> {
    let origin = root.name.clone();
    let names = storage
        .list(SEGMENTS)
        .map_err(|e| fail(0, format!("cannot list segments: {e}")))?;
    let names: Vec<String> = names.into_iter().filter(|n| n.ends_with(".seg")).collect();
    let mut tree = Tree::with_store(store);
    let mut hasher = LeafHasher::default();
    let mut certs: Vec<KeyCert> = Vec::new();
    let mut segments = Vec::new();
    let mut last_note = None;
    let mut records = Vec::new();
    let mut record_bytes = Vec::new();
    let mut prev_key = root.public;
    let count = names.len();
    for (i, name) in names.iter().enumerate() {
        let is_last = i + 1 == count;
        let expected = tree.size();
        let (number, first) = segment::parse_file_name(name)
            .ok_or_else(|| fail(expected, format!("unexpected file segments/{name}")))?;
        if number != i as u64 || first != expected {
            return Err(fail(
                expected,
                format!("segment {name} starts at seq {first}, expected {expected} (segment missing, inserted or reordered)"),
            ));
        }
        let io_fail =
            |e: std::io::Error| fail(expected, format!("cannot read segment {name}: {e}"));
        let src = storage
            .open_read(&format!("{SEGMENTS}/{name}"))
            .map_err(io_fail)?
            .unwrap_or_else(|| Box::new(std::io::empty()));
        let mut stream = FrameReader::new(src);
        let (header, header_end) = match stream.next_frame().map_err(io_fail)? {
            Some(f) => (Header::decode(f.payload).ok(), f.end as u64),
            None => (None, 0),
        };
        let Some(header) = header else {
            // A torn creation: the header is written and synced before any event, so a
            // last segment that is no longer than a header frame holds nothing acknowledged.
            let frames = usize::from(header_end > 0)
                + usize::from(header_end > 0 && stream.next_frame().map_err(io_fail)?.is_some());
            let file_len = stream.total_len().map_err(io_fail)?;
            if is_last && file_len <= 8 + 512 && frames <= 1 {
                segments.push(SegmentInfo {
                    name: name.clone(),
                    header: None,
                    committed_len: 0,
                    file_len,
                    end_seq: expected,
                });
                continue;
            }
            return Err(fail(
                expected,
                format!("segment {name} has no valid header"),
            ));
        };
        let cert = &header.cert;
        if header.origin != origin {
            return Err(fail(
                expected,
                format!("segment {name} belongs to another log"),
            ));
        }
        if cert.segment != i as u64 || cert.first_seq != expected {
            return Err(fail(
                expected,
                format!(
                    "segment {name} header says segment {} at seq {}",
                    cert.segment, cert.first_seq
                ),
            ));
        }
        if cert.verify(&origin, &prev_key).is_err() {
            return Err(fail(
                expected,
                format!("segment {name}: key certificate does not verify against the previous key"),
            ));
        }
        prev_key = cert.public;
        certs.push(cert.clone());
        let key = [VerifierKey {
            name: origin.clone(),
            public: cert.public,
        }];
        let mut committed_len = header_end;
        let mut committed_size = expected;
        let mut batch_start = expected;
        let mut pending_frames = 0usize;
        let mut seg_note: Option<u64> = None;
        while let Some(f) = stream.next_frame().map_err(io_fail)? {
            let Some((&tag, body)) = f.payload.split_first() else {
                return Err(fail(tree.size(), "empty frame"));
            };
            match tag {
                TAG_EVENT => {
                    let seq = tree.size();
                    // Recovery needs only the seq (the CRC vouches for the bytes, the
                    // signed roots for their meaning); verification checks that every
                    // record decodes; exports decode them.
                    let rec = if keep_records {
                        Some(
                            Record::decode(body)
                                .map_err(|e| fail(seq, format!("record does not decode: {e}")))?,
                        )
                    } else {
                        None
                    };
                    let found = match &rec {
                        Some(r) => r.seq,
                        None if mode == Mode::Verify => Record::check(body)
                            .map_err(|e| fail(seq, format!("record does not decode: {e}")))?,
                        None => Record::peek_seq(body)
                            .map_err(|e| fail(seq, format!("record does not decode: {e}")))?,
                    };
                    if found != seq {
                        return Err(fail(
                            seq,
                            format!("record at position {seq} carries seq {found} (inserted, deleted or reordered)"),
                        ));
                    }
                    tree.try_push(hasher.hash(body))
                        .map_err(|e| fail(seq, format!("leaf store: {e}")))?;
                    if let (true, Some(rec)) = (keep_records, rec) {
                        records.push(rec);
                        record_bytes.push(body.to_vec());
                    }
                    pending_frames += 1;
                }
                TAG_CHECKPOINT => {
                    let note = std::str::from_utf8(body)
                        .map_err(|_| fail(batch_start, "checkpoint is not UTF-8"))?;
                    // Recovery checks every root but only the newest signature of each
                    // segment (below): the writer re-reads its own files on every start,
                    // and an auditor's `verify` checks every signature.
                    let cp = if mode == Mode::Verify {
                        verify_note(note, &key)
                    } else {
                        unsigned_body(note)
                    }
                    .map_err(|e| {
                        fail(
                            batch_start,
                            format!("checkpoint after seq {batch_start}: {e}"),
                        )
                    })?;
                    seg_note = Some(batch_start);
                    check_cp(&cp, &origin, &tree, batch_start)?;
                    if cp.size != tree.size() {
                        return Err(fail(
                            batch_start,
                            "checkpoint size does not match its position",
                        ));
                    }
                    let last = last_note.get_or_insert_with(String::new);
                    last.clear();
                    last.push_str(note);
                    committed_len = f.end as u64;
                    committed_size = tree.size();
                    batch_start = tree.size();
                    pending_frames = 0;
                }
                _ => return Err(fail(tree.size(), "unknown frame tag")),
            }
        }
        if let (Mode::Recover, Some(start), Some(note)) = (mode, seg_note, &last_note) {
            // The segment's newest note is the log's newest note so far.
            verify_note(note, &key)
                .map_err(|e| fail(start, format!("checkpoint after seq {start}: {e}")))?;
        }
        let stop = stream.stop().unwrap_or(Stop::End);
        let file_len = if stop == Stop::End {
            stream.position()
        } else {
            stream.total_len().map_err(io_fail)?
        };
        let clean = stop == Stop::End && pending_frames == 0;
        if !clean {
            let torn_only = pending_frames == 0;
            let allowed = is_last && (mode == Mode::Recover || torn_only);
            if !allowed {
                // A damaged frame is reported at the seq it would hold (the number of events
                // before it); complete but unsigned frames at the first uncovered seq.
                let (seq, why) = if stop == Stop::End {
                    (committed_size, "events not covered by a signed checkpoint (an insertion, or a crash that recovery has not yet cut: reopen the log)")
                } else {
                    (tree.size(), "damaged frame (bad length or CRC)")
                };
                return Err(fail(seq, format!("segment {name}: {why}")));
            }
            tree.try_truncate(committed_size)
                .map_err(|e| fail(committed_size, format!("leaf store: {e}")))?;
            if keep_records {
                let keep = usize::try_from(committed_size).unwrap_or(usize::MAX);
                records.truncate(keep);
                record_bytes.truncate(keep);
            }
        }
        segments.push(SegmentInfo {
            name: name.clone(),
            header: Some(header),
            committed_len,
            file_len,
            end_seq: committed_size,
        });
    }

    // The anchored checkpoints must all be covered by what the segments hold.
    let chain: Vec<VerifierKey> = certs
        .iter()
        .map(|c| VerifierKey {
            name: origin.clone(),
            public: c.public,
        })
        .collect();
    let mut anchored_size = 0;
    let cps = storage
        .read(CHECKPOINTS)
        .map_err(|e| fail(0, format!("cannot read {CHECKPOINTS}: {e}")))?
        .unwrap_or_default();
    let (frames, stop) = segment::scan(&cps);
    let checkpoints_len = frames.last().map_or(0, |f| f.end as u64);
    let cps_torn = stop != Stop::End;
    for f in frames {
        let note = std::str::from_utf8(f.payload)
            .map_err(|_| fail(tree.size(), "anchored checkpoint is not UTF-8"))?;
        let cp = check_anchor(note, &chain, &origin, &tree)?;
        if cp.size < anchored_size {
            return Err(fail(cp.size, "anchored checkpoints go backwards"));
        }
        anchored_size = cp.size;
    }
    if cps_torn && mode == Mode::Verify {
        // Appends to checkpoints.log are synced before anything depends on them; only a
        // crash in the middle of one leaves a torn tail, and recovery cuts it.
        return Err(fail(
            anchored_size,
            format!("{CHECKPOINTS} is damaged after the checkpoint of size {anchored_size}"),
        ));
    }
    if let Some(note) = anchor {
        check_anchor(note, &chain, &origin, &tree)?;
    }
    Ok(Scanned {
        origin,
        segments,
        tree,
        certs,
        last_note,
        anchored_size,
        checkpoints_len,
        records,
        record_bytes,
    })
}

/// The checkpoint of a note without checking its signature (recovery only).
fn unsigned_body(note: &str) -> Result<Checkpoint, crate::error::VerifyError> {
    let split = note
        .rfind("\n\n")
        .ok_or(crate::error::VerifyError::Checkpoint(
            "no blank line before signatures",
        ))?;
    Checkpoint::parse_body(&note[..=split])
}

fn check_cp<S: LeafStore>(
    cp: &Checkpoint,
    origin: &str,
    tree: &Tree<S>,
    batch_start: u64,
) -> Result<(), Failure> {
    if cp.origin != origin {
        return Err(fail(batch_start, "checkpoint of another log"));
    }
    match tree.root_at(cp.size) {
        Some(r) if r == cp.root => Ok(()),
        Some(_) => Err(fail(
            batch_start,
            format!(
                "events {batch_start}..{} do not match their signed checkpoint",
                cp.size
            ),
        )),
        None => Err(fail(batch_start, "checkpoint beyond the log")),
    }
}

fn check_anchor<S: LeafStore>(
    note: &str,
    chain: &[VerifierKey],
    origin: &str,
    tree: &Tree<S>,
) -> Result<Checkpoint, Failure> {
    let cp = verify_note(note, chain).map_err(|e| {
        // Signed by a segment key this log does not have: if it also claims more events
        // than the log holds, the log was rolled back past that segment.
        let body = note.split_once("\n\n").map_or(note, |(b, _)| b);
        match Checkpoint::parse_body(&format!("{body}\n")) {
            Ok(claimed) if claimed.size > tree.size() => Failure {
                seq: tree.size(),
                reason: format!(
                    "a checkpoint covers {} events, signed by a segment key this log does not hold, but the log holds {} (rolled back)",
                    claimed.size,
                    tree.size()
                ),
                missing: true,
                covered: claimed.size,
            },
            _ => fail(tree.size(), format!("anchored checkpoint: {e}")),
        }
    })?;
    if cp.size > tree.size() {
        return Err(Failure {
            seq: tree.size(),
            reason: format!(
                "a signed checkpoint covers {} events but the log holds {} (acknowledged events missing, or rolled back)",
                cp.size,
                tree.size()
            ),
            missing: true,
            covered: cp.size,
        });
    }
    if cp.origin != origin || tree.root_at(cp.size) != Some(cp.root) {
        return Err(fail(
            0,
            format!(
                "the log does not match the anchored checkpoint at size {}",
                cp.size
            ),
        ));
    }
    Ok(cp)
}
