//! Proof verification: arbitrary proofs never panic, and for a real tree built from the
//! input a correct proof verifies while any single changed bit, index or size fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phi_audit::merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash, Tree};

fn hashes(data: &[u8]) -> Vec<Hash> {
    data.chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 20 {
        return;
    }
    let a = u64::from_le_bytes(data[0..8].try_into().unwrap_or_default());
    let b = u64::from_le_bytes(data[8..16].try_into().unwrap_or_default());
    let flip = usize::from(data[16]) | usize::from(data[17]) << 8;
    let rest = &data[18..];
    // Arbitrary inputs: no panic, whatever the sizes.
    let hs = hashes(rest);
    let root = hs.first().copied().unwrap_or_default();
    let _ = verify_inclusion(&root, a, b, &hs, &root);
    let _ = verify_consistency(a, b, &root, &root, &hs);

    // A real tree of 1..=300 leaves.
    let n = 1 + (a % 300);
    let tree = Tree::from_leaves((0..n).map(|i| leaf_hash(&i.to_le_bytes())));
    let size = 1 + (b % n);
    let idx = a.rotate_left(17) % size;
    let root = tree.root_at(size).unwrap_or_default();
    let Ok(path) = tree.inclusion_proof(idx, size) else {
        return;
    };
    let leaf = tree.leaf(idx).unwrap_or_default();
    assert!(verify_inclusion(&leaf, idx, size, &path, &root).is_ok());
    if !path.is_empty() {
        let mut bad = path.clone();
        let i = flip % (bad.len() * 256);
        bad[i / 256][(i % 256) / 8] ^= 1 << (i % 8);
        assert!(verify_inclusion(&leaf, idx, size, &bad, &root).is_err());
    }
    // The same proof never verifies against the root of another size (the root binds the
    // tree; the size alone only shapes the path).
    if let Some(other) = tree.root_at(size + 1) {
        assert!(verify_inclusion(&leaf, idx, size, &path, &other).is_err());
    }
    let m = 1 + (b.rotate_left(29) % size);
    let Ok(cp) = tree.consistency_proof(m, size) else {
        return;
    };
    let r1 = tree.root_at(m).unwrap_or_default();
    assert!(verify_consistency(m, size, &r1, &root, &cp).is_ok());
    if !cp.is_empty() {
        let mut bad = cp.clone();
        let i = flip % (bad.len() * 256);
        bad[i / 256][(i % 256) / 8] ^= 1 << (i % 8);
        assert!(verify_consistency(m, size, &r1, &root, &bad).is_err());
    }
});
