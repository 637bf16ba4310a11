//! The RFC 6962 (RFC 9162 section 2.1) Merkle tree over SHA-256: leaf and node hashing with
//! the `0x00` / `0x01` domain separation, an append-only in-memory tree that answers root,
//! inclusion and consistency queries for any earlier size, and the two pure verification
//! functions an auditor needs.
//!
//! Verification follows RFC 9162's algorithms literally (bit walking over the index and
//! size), so a proof of the wrong length, for the wrong index or the wrong size fails, not
//! just one with a wrong hash.

use crate::error::VerifyError;
use ring::digest::{Context, SHA256};

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
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[1]);
    ctx.update(left);
    ctx.update(right);
    finish(ctx)
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

/// An append-only Merkle tree that keeps every complete subtree's hash (level 0 = the leaf
/// hashes), about 64 bytes per leaf. Roots and proofs for any earlier size come from those
/// hashes plus at most one ragged right edge, so a proof costs O(log^2 n) hash operations
/// at worst and usually O(log n) look-ups.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Tree {
            levels: vec![Vec::new()],
        }
    }

    /// A tree over the given leaf hashes.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut t = Tree::new();
        for l in leaves {
            t.push(l);
        }
        t
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    pub fn push(&mut self, leaf: Hash) {
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len() % 2 == 0 {
            let n = self.levels[level].len();
            let parent = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
    }

    /// Drops leaves so that `size` remain (used when recovery truncates a torn batch).
    pub fn truncate(&mut self, size: u64) {
        for (level, hashes) in self.levels.iter_mut().enumerate() {
            let keep = usize::try_from(size >> level).unwrap_or(usize::MAX);
            hashes.truncate(keep);
        }
    }

    /// The leaf hash at `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels[0].get(i).copied())
    }

    /// MTH of leaves `[start, end)`, where the range is one the RFC recursion produces
    /// (`start` is a multiple of the largest power of two not exceeding the range, or the
    /// range is a whole subtree's right part).
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n == 0 {
            return empty_root();
        }
        if n.is_power_of_two() && start % n == 0 {
            let level = n.trailing_zeros() as usize;
            let idx = usize::try_from(start >> level).unwrap_or(usize::MAX);
            if let Some(h) = self.levels.get(level).and_then(|l| l.get(idx)) {
                return *h;
            }
        }
        if n == 1 {
            // A single leaf is always stored at level 0; reaching here means out of range.
            return empty_root();
        }
        let k = split_point(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.subtree(0, self.size())
    }

    /// The root the tree had at `size` leaves, or `None` if `size` exceeds the tree.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        (size <= self.size()).then(|| self.subtree(0, size))
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 PATH).
    ///
    /// # Errors
    /// [`VerifyError::Range`] unless `index < size <= self.size()`.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, VerifyError> {
        if index >= size || size > self.size() {
            return Err(VerifyError::Range);
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m - k, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The consistency proof from size `size1` to size `size2` (RFC 9162 PROOF).
    ///
    /// # Errors
    /// [`VerifyError::Range`] unless `0 < size1 <= size2 <= self.size()`.
    pub fn consistency_proof(&self, size1: u64, size2: u64) -> Result<Vec<Hash>, VerifyError> {
        if size1 == 0 || size1 > size2 || size2 > self.size() {
            return Err(VerifyError::Range);
        }
        let mut out = Vec::new();
        if size1 < size2 {
            self.subproof(size1, 0, size2, true, &mut out);
        }
        Ok(out)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
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

    #[test]
    fn truncate_matches_a_fresh_tree() {
        let leaves: Vec<Hash> = (0u32..37).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut t = Tree::from_leaves(leaves.iter().copied());
        t.truncate(21);
        let fresh = Tree::from_leaves(leaves[..21].iter().copied());
        assert_eq!(t.root(), fresh.root());
        t.push(leaves[21]);
        assert_eq!(
            t.root(),
            Tree::from_leaves(leaves[..22].iter().copied()).root()
        );
    }
}
