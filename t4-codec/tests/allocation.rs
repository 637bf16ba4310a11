//! Limits are enforced before allocation: measured with a counting global allocator.

#![allow(clippy::cast_possible_truncation, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use t4_codec::{decode_image, Coding, DecodeErrorKind, DecodeOptions, Limit, Params};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Bytes allocated at the peak while `f` runs, above what was live before.
fn peak_during(f: impl FnOnce()) -> usize {
    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    f();
    PEAK.load(Ordering::SeqCst) - before
}

/// The codec's research note's "bomb": 4 KiB of 0xFF is a valid MMR stream of 32,768 rows;
/// declared 1,000,000 columns wide it would be 33 Gpixel.
#[test]
fn four_kib_of_ff_as_wide_mmr_fails_before_allocating() {
    let data = vec![0xFFu8; 4096];
    let mut params = Params::new(Coding::Mmr, 1_000_000);
    params.black_is_1 = true;
    let mut kind = None;
    let peak = peak_during(|| {
        kind = Some(
            decode_image(&data, &params, DecodeOptions::default())
                .map(|_| ())
                .unwrap_err()
                .error
                .kind,
        );
    });
    assert_eq!(kind, Some(DecodeErrorKind::Limit(Limit::Columns)));
    assert!(peak < 4096, "allocated {peak} bytes");

    // Within the column limit, the output limit stops it, and nothing beyond it is allocated.
    params.columns = 65_536;
    let mut options = DecodeOptions::default();
    options.limits.max_output_bytes = 4 << 20;
    let peak = peak_during(|| {
        kind = Some(
            decode_image(&data, &params, options)
                .map(|_| ())
                .unwrap_err()
                .error
                .kind,
        );
    });
    assert_eq!(kind, Some(DecodeErrorKind::Limit(Limit::OutputBytes)));
    // The image buffer grows to the limit (amortised doubling may overshoot it by 2x) plus
    // the decoder's own small buffers.
    assert!(peak <= 2 * (4 << 20) + (1 << 20), "allocated {peak} bytes");
}
