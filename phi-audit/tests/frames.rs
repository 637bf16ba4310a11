//! The streaming [`FrameReader`] (used by verification and recovery) stops exactly where
//! the slice scanner [`segment::scan`] stops, with the same frames, whatever sizes the
//! underlying reads return.

use phi_audit::segment::{self, FrameReader, Stop};
use proptest::prelude::*;
use std::io::Read;

/// A reader that returns at most `step` bytes per call.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A frame as (offset, end, payload).
type Owned = (usize, usize, Vec<u8>);

fn stream(data: &[u8], step: usize) -> (Vec<Owned>, Stop, u64) {
    let mut r = FrameReader::new(Trickle { data, step });
    let mut out = Vec::new();
    while let Some(f) = r.next_frame().expect("read") {
        out.push((f.offset, f.end, f.payload.to_vec()));
    }
    let stop = r.stop().expect("stopped");
    (out, stop, r.total_len().expect("len"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn streaming_matches_the_slice_scanner(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..600), 0..20),
        cut in any::<usize>(),
        flip in proptest::option::of((any::<usize>(), 1u8..=255)),
        step in 1usize..700,
    ) {
        let mut data = Vec::new();
        for p in &payloads {
            segment::frame(p, &mut data);
        }
        if !data.is_empty() {
            let keep = data.len() - cut % (data.len() / 3 + 1);
            data.truncate(keep);
            if let Some((at, x)) = flip {
                let i = at % data.len();
                data[i] ^= x;
            }
        }
        let (frames, stop) = segment::scan(&data);
        let (got, got_stop, len) = stream(&data, step);
        prop_assert_eq!(got_stop, stop);
        prop_assert_eq!(len, data.len() as u64);
        let want: Vec<_> = frames.iter().map(|f| (f.offset, f.end, f.payload.to_vec())).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_large_segment_streams_through_the_small_buffer() {
    // 12 MiB of 100 KiB frames: several buffer refills with frames straddling them.
    let payload = vec![0xa5u8; 100 << 10];
    let mut data = Vec::new();
    for _ in 0..123 {
        segment::frame(&payload, &mut data);
    }
    let (frames, stop, len) = stream(&data, 1 << 20);
    assert_eq!(
        (frames.len(), stop, len),
        (123, Stop::End, data.len() as u64)
    );
    assert!(frames.iter().all(|f| f.2 == payload));
    assert_eq!(frames[122].1, data.len());
}
