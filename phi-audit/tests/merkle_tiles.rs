//! The tiled tree with its leaf hashes in a file ([`LeafFile`]) answers exactly like the
//! same tree with its leaf hashes in memory, across tile boundaries and truncations (the
//! in-memory tree is itself checked against `ct-merkle` and the RFC vectors).

use phi_audit::merkle::{leaf_hash, verify_consistency, verify_inclusion, LeafFile, Tree, TILE};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn file_store_agrees_with_memory(n in 1u64..1800, cut in any::<u64>(), a in any::<u64>(), b in any::<u64>()) {
        let dir = tempfile::tempdir().expect("tmp");
        let mut mem = Tree::new();
        let mut file = Tree::with_store(LeafFile::create(dir.path().join("leaves")).expect("file"));
        let leaves: Vec<_> = (0..n).map(|i| leaf_hash(format!("event {i}").as_bytes())).collect();
        for l in &leaves {
            mem.push(*l);
            file.try_push(*l).expect("push");
        }
        // Cut somewhere (maybe inside a stored tile) and regrow half of the cut part.
        let keep = 1 + cut % n;
        mem.truncate(keep);
        file.try_truncate(keep).expect("truncate");
        let regrow = keep + (n - keep) / 2;
        for l in &leaves[usize::try_from(keep).expect("small")..usize::try_from(regrow).expect("small")] {
            mem.push(*l);
            file.try_push(*l).expect("push");
        }
        prop_assert_eq!(file.size(), regrow);
        prop_assert_eq!(file.root(), mem.root());
        let size = 1 + a % regrow;
        let idx = b % size;
        let p = file.inclusion_proof(idx, size).expect("proof");
        prop_assert_eq!(&p, &mem.inclusion_proof(idx, size).expect("proof"));
        let root = file.root_at(size).expect("root");
        prop_assert_eq!(Some(root), mem.root_at(size));
        prop_assert!(verify_inclusion(&leaves[usize::try_from(idx).expect("small")], idx, size, &p, &root).is_ok());
        let old = 1 + b % size;
        let c = file.consistency_proof(old, size).expect("consistency");
        prop_assert_eq!(&c, &mem.consistency_proof(old, size).expect("consistency"));
        let old_root = file.root_at(old).expect("old root");
        prop_assert!(verify_consistency(old, size, &old_root, &root, &c).is_ok());
    }
}

#[test]
fn file_store_holds_only_complete_tiles() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("leaves");
    let mut t = Tree::with_store(LeafFile::create(&path).expect("file"));
    for i in 0..(3 * TILE + 5) {
        t.try_push(leaf_hash(&i.to_be_bytes())).expect("push");
    }
    // 32 bytes per leaf of the three complete tiles; the last 5 stay in memory.
    assert_eq!(std::fs::metadata(&path).expect("meta").len(), 3 * TILE * 32);
    t.try_truncate(TILE + 1).expect("truncate");
    assert_eq!(std::fs::metadata(&path).expect("meta").len(), TILE * 32);
    assert_eq!(t.leaf(TILE), Some(leaf_hash(&TILE.to_be_bytes())));
}
