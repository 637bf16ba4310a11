//! Differential tests against the `ct-merkle` crate (an independent RFC 6962
//! implementation over RustCrypto's SHA-256): same roots, same proof bytes, and each side
//! verifies the other's proofs.

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof};
use phi_audit::merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash, Tree};
use proptest::prelude::*;
use sha2::Sha256;

fn build(n: usize) -> (Tree, MemoryBackedTree<Sha256, Vec<u8>>) {
    let mut ours = Tree::new();
    let mut theirs = MemoryBackedTree::<Sha256, Vec<u8>>::new();
    for i in 0..n {
        let item = format!("event {i}").into_bytes();
        ours.push(leaf_hash(&item));
        theirs.push(item);
    }
    (ours, theirs)
}

fn flat(p: &[Hash]) -> Vec<u8> {
    p.iter().flatten().copied().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn agrees_with_ct_merkle(n in 1usize..2000, a in any::<u64>(), b in any::<u64>()) {
        let (ours, theirs) = build(n);
        let root = theirs.root();
        prop_assert_eq!(&ours.root()[..], &root.as_bytes()[..]);

        // Inclusion of a random leaf in the full tree.
        let idx = a % n as u64;
        let p = ours.inclusion_proof(idx, n as u64).expect("proof");
        let tp = theirs.prove_inclusion(usize::try_from(idx).expect("idx"));
        prop_assert_eq!(flat(&p), tp.as_bytes().to_vec());
        let item = format!("event {idx}").into_bytes();
        prop_assert!(root.verify_inclusion(&item, idx, &InclusionProof::<Sha256>::from_bytes(flat(&p))).is_ok());
        let mut their_root = [0u8; 32];
        their_root.copy_from_slice(root.as_bytes());
        prop_assert!(verify_inclusion(&leaf_hash(&item), idx, n as u64, &p, &their_root).is_ok());

        // Consistency from a random earlier size, checked by both.
        let m = 1 + b % n as u64;
        let cp = ours.consistency_proof(m, n as u64).expect("consistency");
        let (old, old_theirs) = build(usize::try_from(m).expect("m"));
        let tcp = theirs.prove_consistency(n - usize::try_from(m).expect("m"));
        prop_assert_eq!(flat(&cp), tcp.as_bytes().to_vec());
        let old_root = old_theirs.root();
        prop_assert!(root.verify_consistency(&old_root, &ConsistencyProof::<Sha256>::try_from_bytes(flat(&cp)).expect("bytes")).is_ok());
        prop_assert!(verify_consistency(m, n as u64, &old.root(), &ours.root(), &cp).is_ok());
        prop_assert_eq!(ours.root_at(m), Some(old.root()));
    }
}

#[test]
fn proofs_for_every_pair_in_small_trees() {
    for n in 1u64..=33 {
        let (ours, _) = build(usize::try_from(n).expect("n"));
        for size in 1..=n {
            let root = ours.root_at(size).expect("root");
            for idx in 0..size {
                let p = ours.inclusion_proof(idx, size).expect("proof");
                let leaf = ours.leaf(idx).expect("leaf");
                assert!(verify_inclusion(&leaf, idx, size, &p, &root).is_ok());
                // The same proof must fail for the neighbour and for another size.
                if idx + 1 < size {
                    assert!(verify_inclusion(&leaf, idx + 1, size, &p, &root).is_err());
                }
            }
            for m in 1..=size {
                let p = ours.consistency_proof(m, size).expect("consistency");
                let r1 = ours.root_at(m).expect("root1");
                assert!(
                    verify_consistency(m, size, &r1, &root, &p).is_ok(),
                    "{m} -> {size} of {n}"
                );
                if m < size {
                    assert!(verify_consistency(m, size, &root, &r1, &p).is_err());
                }
            }
        }
    }
}
