//! The RFC 6962 (RFC 9162 section 2.1) Merkle tree over SHA-256: leaf and node hashing with
//! the `0x00` / `0x01` domain separation, an append-only in-memory tree that answers root,
//! inclusion and consistency queries for any earlier size, and the two pure verification
//! functions an auditor needs.
//!
//! Verification follows RFC 9162's algorithms literally (bit walking over the index and
//! size), so a proof of the wrong length, for the wrong index or the wrong size fails, not
//! just one with a wrong hash.

use crate::error::VerifyError;
use ring::digest::{digest, Context, SHA256};

/// A SHA-256 hash (a leaf hash, a node hash or a tree root).
pub type Hash = [u8; 32];

fn finish(ctx: Context) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// `SHA-256(0x00 || data)`: the hash of one leaf (one canonical event record).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0]);
    ctx.update(data);
    finish(ctx)
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One contiguous input and ring's one-shot digest: about 10% cheaper than three
    // `Context::update` calls, and this runs once per leaf.
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, &buf).as_ref());
    out
}

/// Leaf hashing with a reusable buffer: `0x00 || data` is copied once and hashed with
/// ring's one-shot digest, which costs less than two `Context::update` calls for records
/// of a few hundred bytes (verification hashes every record).
#[derive(Debug, Default)]
pub struct LeafHasher {
    buf: Vec<u8>,
}

impl LeafHasher {
    /// `SHA-256(0x00 || data)`, the same as [`leaf_hash`].
    pub fn hash(&mut self, data: &[u8]) -> Hash {
        self.buf.clear();
        self.buf.push(0);
        self.buf.extend_from_slice(data);
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, &self.buf).as_ref());
        out
    }
}

/// The root of the empty tree, `SHA-256("")`.
pub fn empty_root() -> Hash {
    finish(Context::new(&SHA256))
}

/// The largest power of two strictly smaller than `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Checks that `proof` proves the leaf with hash `leaf` at `index` in the tree of `size`
/// leaves whose root is `root` (RFC 9162 section 2.1.3.2).
///
/// # Errors
/// [`VerifyError::Range`] if `index >= size`, [`VerifyError::ProofLength`] if the proof has
/// the wrong number of hashes, [`VerifyError::RootMismatch`] if the recomputed root differs.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::Range);
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(VerifyError::ProofLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(VerifyError::ProofLength);
    }
    if r != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `size2` leaves with root `root2` extends the tree of `size1`
/// leaves with root `root1` (RFC 9162 section 2.1.4.2). Equal sizes need an empty proof and
/// equal roots; a proof from the empty tree is refused (there is none).
///
/// # Errors
/// [`VerifyError::Range`] if `size1 > size2` or `size1 == 0`, [`VerifyError::ProofLength`] for a proof of the
/// wrong length, [`VerifyError::RootMismatch`] if either recomputed root differs.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if size1 > size2 || size1 == 0 {
        // RFC 9162 defines no proof from the empty tree: it would prove nothing, so it is
        // refused rather than accepted vacuously (as transparency-dev/merkle does).
        return Err(VerifyError::Range);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(VerifyError::ProofLength);
        }
        return if root1 == root2 {
            Ok(())
        } else {
            Err(VerifyError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(VerifyError::ProofLength);
    }
    // A first tree whose size is a power of two is a complete subtree of the second: its root
    // is the first node of the path and the proof omits it.
    let (first, rest): (Hash, &[Hash]) = if size1.is_power_of_two() {
        (*root1, proof)
    } else {
        (proof[0], &proof[1..])
    };
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (first, first);
    for c in rest {
        if snode == 0 {
            return Err(VerifyError::ProofLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(VerifyError::ProofLength);
    }
    if fr != *root1 || sr != *root2 {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Height of a tile: the leaf hashes of each complete run of `2^TILE_HEIGHT` leaves (a
/// tile) go to a [`LeafStore`], and only the nodes at this level and above stay in memory
/// (64 bytes per 64 leaves, 16 MiB at 2^24 leaves). Lower tiles would cost memory, higher
/// ones proof time: a proof recomputes one tile (at most 63 node hashes, about 10 us).
pub const TILE_HEIGHT: u32 = 6;
/// Leaves per tile (64).
pub const TILE: u64 = 1 << TILE_HEIGHT;
const TILE_USIZE: usize = 1 << TILE_HEIGHT;

/// Where a [`Tree`] keeps the leaf hashes of its complete tiles. Anything below the tile
/// level is recomputed from them on demand (at most 63 node hashes per proof), so a store
/// may be a file beside the log instead of memory.
pub trait LeafStore {
    /// Appends the `TILE` leaf hashes of the next complete tile.
    ///
    /// # Errors
    /// Any I/O error; the store must then be as before the call (or be truncated by the
    /// caller).
    fn append_tile(&mut self, leaves: &[Hash]) -> std::io::Result<()>;
    /// Reads `out.len()` leaf hashes starting at leaf `start` (all inside stored tiles).
    ///
    /// # Errors
    /// Any I/O error, or [`std::io::ErrorKind::UnexpectedEof`] past the stored tiles.
    fn read(&self, start: u64, out: &mut [Hash]) -> std::io::Result<()>;
    /// Keeps the first `tiles` tiles.
    ///
    /// # Errors
    /// Any I/O error.
    fn truncate_tiles(&mut self, tiles: u64) -> std::io::Result<()>;
}

/// Leaf hashes in memory (32 bytes per leaf): the default store.
#[derive(Clone, Debug, Default)]
pub struct MemLeaves(Vec<Hash>);

impl LeafStore for MemLeaves {
    fn append_tile(&mut self, leaves: &[Hash]) -> std::io::Result<()> {
        self.0.extend_from_slice(leaves);
        Ok(())
    }
    fn read(&self, start: u64, out: &mut [Hash]) -> std::io::Result<()> {
        let from = usize::try_from(start).unwrap_or(usize::MAX);
        let src = from
            .checked_add(out.len())
            .and_then(|to| self.0.get(from..to))
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        out.copy_from_slice(src);
        Ok(())
    }
    fn truncate_tiles(&mut self, tiles: u64) -> std::io::Result<()> {
        let keep = usize::try_from(tiles.saturating_mul(TILE)).unwrap_or(usize::MAX);
        self.0.truncate(keep);
        Ok(())
    }
}

/// Leaf hashes in a file of 32-byte records (2 KiB per tile), read with positional reads:
/// what a long-lived log keeps beside its segments so that memory stays bounded. The file
/// is derived data (the segments vouch for every leaf), so it needs no `fsync` of its own.
#[cfg(unix)]
#[derive(Debug)]
pub struct LeafFile {
    file: std::fs::File,
    tiles: u64,
}

#[cfg(unix)]
impl LeafFile {
    /// Creates (or empties) the file at `path`.
    ///
    /// # Errors
    /// Any I/O error.
    pub fn create(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(LeafFile { file, tiles: 0 })
    }
}

#[cfg(unix)]
impl LeafStore for LeafFile {
    fn append_tile(&mut self, leaves: &[Hash]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let mut buf = Vec::with_capacity(leaves.len() * 32);
        for l in leaves {
            buf.extend_from_slice(l);
        }
        self.file.write_all_at(&buf, self.tiles * TILE * 32)?;
        self.tiles += 1;
        Ok(())
    }
    fn read(&self, start: u64, out: &mut [Hash]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let end = start.saturating_add(out.len() as u64);
        if end > self.tiles * TILE {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let mut buf = [0u8; TILE_USIZE * 32];
        let bytes = buf
            .get_mut(..out.len() * 32)
            .ok_or(std::io::ErrorKind::InvalidInput)?;
        self.file.read_exact_at(bytes, start * 32)?;
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(32)) {
            o.copy_from_slice(c);
        }
        Ok(())
    }
    fn truncate_tiles(&mut self, tiles: u64) -> std::io::Result<()> {
        if tiles < self.tiles {
            self.file.set_len(tiles * TILE * 32)?;
            self.tiles = tiles;
        }
        Ok(())
    }
}

/// The last hash computed inside one tile, keyed by its leaf range.
type Memo = Option<((u64, u64), Hash)>;

/// Leaf hashes in a file of the log's [`crate::storage::Storage`] (32 bytes per leaf,
/// appended a tile at a time, never synced: the file is derived from the segments, and
/// [`crate::Log::open`] rewrites it from them). What the writer uses, so that its memory
/// does not grow with the log.
pub struct StorageLeaves {
    storage: std::sync::Arc<dyn crate::storage::Storage>,
    name: String,
    file: Box<dyn crate::storage::AppendFile>,
    tiles: u64,
}

impl core::fmt::Debug for StorageLeaves {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StorageLeaves")
            .field("name", &self.name)
            .field("tiles", &self.tiles)
            .finish_non_exhaustive()
    }
}

impl StorageLeaves {
    /// Opens `name` in `storage` and empties it.
    ///
    /// # Errors
    /// Any I/O error.
    pub fn create(
        storage: std::sync::Arc<dyn crate::storage::Storage>,
        name: &str,
    ) -> std::io::Result<Self> {
        let mut file = storage.open_append(name)?;
        if !file.is_empty() {
            file.truncate(0)?;
        }
        Ok(StorageLeaves {
            storage,
            name: name.to_owned(),
            file,
            tiles: 0,
        })
    }
}

impl LeafStore for StorageLeaves {
    fn append_tile(&mut self, leaves: &[Hash]) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(leaves.len() * 32);
        for l in leaves {
            buf.extend_from_slice(l);
        }
        let before = self.file.len();
        if let Err(e) = self.file.append(&buf) {
            // Keep whole tiles only; if even that fails the next read reports it.
            let _ = self.file.truncate(before);
            return Err(e);
        }
        self.tiles += 1;
        Ok(())
    }
    fn read(&self, start: u64, out: &mut [Hash]) -> std::io::Result<()> {
        let end = start.saturating_add(out.len() as u64);
        if end > self.tiles * TILE {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let mut buf = [0u8; TILE_USIZE * 32];
        let bytes = buf
            .get_mut(..out.len() * 32)
            .ok_or(std::io::ErrorKind::InvalidInput)?;
        self.storage.read_at(&self.name, start * 32, bytes)?;
        for (o, c) in out.iter_mut().zip(bytes.chunks_exact(32)) {
            o.copy_from_slice(c);
        }
        Ok(())
    }
    fn truncate_tiles(&mut self, tiles: u64) -> std::io::Result<()> {
        if tiles < self.tiles {
            self.file.truncate(tiles * TILE * 32)?;
            self.tiles = tiles;
        }
        Ok(())
    }
}

/// The RFC 6962 hash of consecutive leaves, by a compact-range fold (`n - 1` node hashes).
fn mth(leaves: &[Hash]) -> Hash {
    let mut stack: Vec<(u32, Hash)> = Vec::with_capacity(16);
    for l in leaves {
        push_compact(&mut stack, 0, *l);
    }
    fold_compact(&stack)
}

/// Pushes a complete subtree of `level` onto a compact range, merging equal levels.
fn push_compact(stack: &mut Vec<(u32, Hash)>, level: u32, h: Hash) {
    let mut cur = (level, h);
    while let Some(&(l, left)) = stack.last() {
        if l != cur.0 {
            break;
        }
        stack.pop();
        cur = (l + 1, node_hash(&left, &cur.1));
    }
    stack.push(cur);
}

/// The root of a compact range (subtrees of strictly decreasing size, left to right).
fn fold_compact(stack: &[(u32, Hash)]) -> Hash {
    let mut it = stack.iter().rev();
    let Some(&(_, mut r)) = it.next() else {
        return empty_root();
    };
    for (_, left) in it {
        r = node_hash(left, &r);
    }
    r
}

/// An append-only Merkle tree for the RFC 6962 root, inclusion and consistency queries at
/// any earlier size. It keeps the nodes of level [`TILE_HEIGHT`] and above in memory, the
/// leaves of the last incomplete tile with their compact range, and hands the leaf hashes
/// of complete tiles to a [`LeafStore`] ([`MemLeaves`] by default, [`LeafFile`] to keep
/// memory bounded). Appending costs one node hash per leaf on average; the current root
/// costs O(log n) node hashes; a proof costs O(log n) look-ups plus at most 63 node hashes
/// over one tile's leaves read from the store.
#[derive(Clone, Debug, Default)]
pub struct Tree<S: LeafStore = MemLeaves> {
    store: S,
    /// `upper[k]`: the complete nodes at level `TILE_HEIGHT + k`.
    upper: Vec<Vec<Hash>>,
    /// Leaf hashes of the incomplete last tile.
    tail: Vec<Hash>,
    /// The compact range of `tail`.
    frontier: Vec<(u32, Hash)>,
}

impl Tree<MemLeaves> {
    /// An empty tree that keeps its leaf hashes in memory.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Tree::new();
        for l in leaves {
            t.push(l);
        }
        t
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) {
        // The memory store cannot fail.
        let _ = self.try_push(leaf);
    }

    /// Drops leaves so that `size` remain (used when recovery truncates a torn batch).
    pub fn truncate(&mut self, size: u64) {
        // The memory store cannot fail.
        let _ = self.try_truncate(size);
    }
}

impl<S: LeafStore> Tree<S> {
    /// An empty tree over an empty store.
    pub fn with_store(store: S) -> Self {
        Tree {
            store,
            upper: Vec::new(),
            tail: Vec::new(),
            frontier: Vec::new(),
        }
    }

    /// The leaf store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Bytes of hashes the tree itself holds in memory (the upper levels and the last
    /// tile), not counting its store.
    pub fn memory_bytes(&self) -> u64 {
        let upper: usize = self.upper.iter().map(Vec::capacity).sum();
        ((upper + self.tail.capacity() + self.frontier.capacity()) * 32) as u64
    }

    fn tiles(&self) -> u64 {
        self.upper.first().map_or(0, |l| l.len() as u64)
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.tiles() * TILE + self.tail.len() as u64
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    ///
    /// # Errors
    /// The store's error when a tile completes; the tree is then unchanged.
    pub fn try_push(&mut self, leaf: Hash) -> std::io::Result<()> {
        if self.tail.len() + 1 == TILE_USIZE {
            self.tail.push(leaf);
            if let Err(e) = self.store.append_tile(&self.tail) {
                self.tail.pop();
                return Err(e);
            }
            push_compact(&mut self.frontier, 0, leaf);
            let root = fold_compact(&self.frontier);
            self.tail.clear();
            self.frontier.clear();
            self.push_upper(0, root);
        } else {
            self.tail.push(leaf);
            push_compact(&mut self.frontier, 0, leaf);
        }
        Ok(())
    }

    fn push_upper(&mut self, mut level: usize, mut h: Hash) {
        loop {
            if self.upper.len() == level {
                self.upper.push(Vec::new());
            }
            let row = &mut self.upper[level];
            row.push(h);
            let n = row.len();
            if n % 2 == 1 {
                return;
            }
            h = node_hash(&row[n - 2], &row[n - 1]);
            level += 1;
        }
    }

    /// Drops leaves so that `size` remain.
    ///
    /// # Errors
    /// The store's error (reading the leaves of a tile that becomes incomplete, or
    /// truncating).
    pub fn try_truncate(&mut self, size: u64) -> std::io::Result<()> {
        if size >= self.size() {
            return Ok(());
        }
        let tiles = size / TILE;
        let keep = usize::try_from(size % TILE).unwrap_or(0);
        if tiles < self.tiles() {
            let mut tail = vec![[0u8; 32]; keep];
            self.store.read(tiles * TILE, &mut tail)?;
            self.store.truncate_tiles(tiles)?;
            for (k, row) in self.upper.iter_mut().enumerate() {
                row.truncate(usize::try_from(tiles >> k).unwrap_or(usize::MAX));
            }
            self.tail = tail;
        } else {
            self.tail.truncate(keep);
        }
        self.frontier.clear();
        for l in &self.tail {
            push_compact(&mut self.frontier, 0, *l);
        }
        Ok(())
    }

    /// The leaf hash at `index`, if present (and readable).
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let mut out = [[0u8; 32]];
        self.leaves(index, &mut out).ok()?;
        Some(out[0])
    }

    /// Leaf hashes `[start, start + out.len())`, from the store or the last tile.
    fn leaves(&self, start: u64, out: &mut [Hash]) -> Result<(), VerifyError> {
        let end = start
            .checked_add(out.len() as u64)
            .ok_or(VerifyError::Range)?;
        if end > self.size() {
            return Err(VerifyError::Range);
        }
        let stored = self.tiles() * TILE;
        let split = usize::try_from(stored.saturating_sub(start))
            .unwrap_or(usize::MAX)
            .min(out.len());
        let (a, b) = out.split_at_mut(split);
        if !a.is_empty() {
            self.store
                .read(start, a)
                .map_err(|_| VerifyError::LeafStore)?;
        }
        if !b.is_empty() {
            let from = usize::try_from(start + split as u64 - stored).unwrap_or(usize::MAX);
            let src = self
                .tail
                .get(from..from + b.len())
                .ok_or(VerifyError::Range)?;
            b.copy_from_slice(src);
        }
        Ok(())
    }

    /// MTH of leaves `[start, end)` for the ranges the RFC recursion produces. `memo`
    /// keeps the last range computed inside one tile: a proof at a size that ends inside a
    /// tile meets that ragged tile once per level, and it is hashed once.
    fn subtree(&self, start: u64, end: u64, memo: &mut Memo) -> Result<Hash, VerifyError> {
        let n = end - start;
        if n == 0 {
            return Ok(empty_root());
        }
        if n.is_power_of_two() && start % n == 0 && n >= TILE {
            let level = n.trailing_zeros() - TILE_HEIGHT;
            let idx = usize::try_from(start >> n.trailing_zeros()).unwrap_or(usize::MAX);
            if let Some(h) = self.upper.get(level as usize).and_then(|l| l.get(idx)) {
                return Ok(*h);
            }
        }
        if n <= TILE && start / TILE == (end - 1) / TILE {
            if let Some((range, h)) = memo {
                if *range == (start, end) {
                    return Ok(*h);
                }
            }
            // Inside one tile: recompute from its leaf hashes.
            let mut buf = [[0u8; 32]; TILE_USIZE];
            let leaves = &mut buf[..usize::try_from(n).unwrap_or(0)];
            self.leaves(start, leaves)?;
            let h = mth(leaves);
            *memo = Some(((start, end), h));
            return Ok(h);
        }
        let k = split_point(n);
        Ok(node_hash(
            &self.subtree(start, start + k, memo)?,
            &self.subtree(start + k, end, memo)?,
        ))
    }

    /// The root of the whole tree (O(log n) node hashes, no store access).
    pub fn root(&self) -> Hash {
        // The complete tiles split into descending power-of-two subtrees, one per set bit
        // of the tile count, each a stored upper node; then the last tile's compact range.
        let tiles = self.tiles();
        let mut range: Vec<Hash> = Vec::with_capacity(72);
        let mut start = 0u64;
        for level in (0..64u32).rev() {
            if tiles & (1 << level) != 0 {
                let idx = usize::try_from(start >> level).unwrap_or(usize::MAX);
                if let Some(h) = self.upper.get(level as usize).and_then(|row| row.get(idx)) {
                    range.push(*h);
                }
                start += 1 << level;
            }
        }
        range.extend(self.frontier.iter().map(|(_, h)| *h));
        let mut it = range.iter().rev();
        let Some(&last) = it.next() else {
            return empty_root();
        };
        it.fold(last, |r, left| node_hash(left, &r))
    }

    /// The root the tree had at `size` leaves, or `None` if `size` exceeds the tree (or
    /// the store fails).
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        match size.cmp(&self.size()) {
            core::cmp::Ordering::Equal => Some(self.root()),
            core::cmp::Ordering::Less => self.subtree(0, size, &mut None).ok(),
            core::cmp::Ordering::Greater => None,
        }
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 PATH).
    ///
    /// # Errors
    /// [`VerifyError::Range`] unless `index < size <= self.size()`;
    /// [`VerifyError::LeafStore`] if the store fails.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, VerifyError> {
        if index >= size || size > self.size() {
            return Err(VerifyError::Range);
        }
        let mut out = Vec::with_capacity(64);
        self.path(index, 0, size, &mut out, &mut None)?;
        Ok(out)
    }

    fn path(
        &self,
        m: u64,
        start: u64,
        end: u64,
        out: &mut Vec<Hash>,
        memo: &mut Memo,
    ) -> Result<(), VerifyError> {
        let n = end - start;
        if n <= 1 {
            return Ok(());
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out, memo)?;
            out.push(self.subtree(start + k, end, memo)?);
        } else {
            self.path(m - k, start + k, end, out, memo)?;
            out.push(self.subtree(start, start + k, memo)?);
        }
        Ok(())
    }

    /// The consistency proof from size `size1` to size `size2` (RFC 9162 PROOF).
    ///
    /// # Errors
    /// [`VerifyError::Range`] unless `0 < size1 <= size2 <= self.size()`;
    /// [`VerifyError::LeafStore`] if the store fails.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, VerifyError> {
        if size1 == 0 || size1 > size2 || size2 > self.size() {
            return Err(VerifyError::Range);
        }
        let mut out = Vec::new();
        if size1 < size2 {
            self.subproof(size1, 0, size2, true, &mut out, &mut None)?;
        }
        Ok(out)
    }

    fn subproof(
        &self,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        out: &mut Vec<Hash>,
        memo: &mut Memo,
    ) -> Result<(), VerifyError> {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end, memo)?);
            }
            return Ok(());
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out, memo)?;
            out.push(self.subtree(start + k, end, memo)?);
        } else {
            self.subproof(m - k, start + k, end, false, out, memo)?;
            out.push(self.subtree(start, start + k, memo)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        // RFC 6962 section 2.1: MTH({}) = SHA-256().
        assert_eq!(
            empty_root()[..4],
            [0xe3, 0xb0, 0xc4, 0x42],
            "SHA-256 of the empty string starts e3b0c442"
        );
        assert_eq!(Tree::new().root(), empty_root());
    }

    /// A naive RFC 6962 MTH straight from the definition, for cross-checking.
    fn naive(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = usize::try_from(split_point(n as u64)).expect("small");
                node_hash(&naive(&leaves[..k]), &naive(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_across_tile_boundaries_match_the_definition() {
        let leaves: Vec<Hash> = (0u32..1100).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut t = Tree::new();
        for (i, l) in leaves.iter().enumerate() {
            t.push(*l);
            let n = i + 1;
            if n < 20 || n % 97 == 0 || n as u64 % TILE <= 1 || n as u64 % TILE == TILE - 1 {
                assert_eq!(t.root(), naive(&leaves[..n]), "root at {n}");
            }
        }
        for size in [
            1u64, 63, 64, 65, 255, 256, 257, 511, 512, 513, 700, 1024, 1099,
        ] {
            let n = usize::try_from(size).expect("small");
            assert_eq!(t.root_at(size), Some(naive(&leaves[..n])), "root_at {size}");
        }
        assert_eq!(t.root_at(1101), None);
    }

    #[test]
    fn truncate_matches_a_fresh_tree() {
        let leaves: Vec<Hash> = (0u32..37).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut t = Tree::from_leaves(leaves.iter().copied());
        t.truncate(21);
        let fresh = Tree::from_leaves(leaves[..21].iter().copied());
        assert_eq!(t.size(), 21);
        assert_eq!(t.root(), fresh.root());
        t.push(leaves[21]);
        assert_eq!(
            t.root(),
            Tree::from_leaves(leaves[..22].iter().copied()).root()
        );
    }

    #[test]
    fn hashers_agree_with_the_plain_definitions() {
        let mut h = LeafHasher::default();
        for n in [0usize, 1, 55, 56, 63, 64, 276, 1000] {
            let data = vec![0x5a; n];
            let mut ctx = Context::new(&SHA256);
            ctx.update(&[0]);
            ctx.update(&data);
            assert_eq!(h.hash(&data), finish(ctx), "leaf of {n} bytes");
            assert_eq!(
                leaf_hash(&data),
                finish({
                    let mut c = Context::new(&SHA256);
                    c.update(&[0]);
                    c.update(&data);
                    c
                })
            );
        }
        let (l, r) = ([1u8; 32], [2u8; 32]);
        let mut ctx = Context::new(&SHA256);
        ctx.update(&[1]);
        ctx.update(&l);
        ctx.update(&r);
        assert_eq!(node_hash(&l, &r), finish(ctx));
    }

    #[test]
    fn truncate_across_tiles_matches_a_fresh_tree() {
        let leaves: Vec<Hash> = (0u32..800).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for cut in [0u64, 1, 63, 64, 65, 255, 256, 257, 511, 512, 600, 799] {
            let mut t = Tree::from_leaves(leaves.iter().copied());
            t.truncate(cut);
            let n = usize::try_from(cut).expect("small");
            let fresh = Tree::from_leaves(leaves[..n].iter().copied());
            assert_eq!((t.size(), t.root()), (cut, fresh.root()), "cut {cut}");
            for l in &leaves[n..] {
                t.push(*l);
            }
            assert_eq!(t.root(), naive(&leaves), "regrown after cut {cut}");
            assert_eq!(t.leaf(cut), Some(leaves[n]));
        }
    }
}
