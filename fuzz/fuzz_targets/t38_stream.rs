//! TPKT and raw IFP streams, split anywhere: the frames (or the error) are the same whether
//! the input arrives whole or one octet at a time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use t38::tcp::{Framing, StreamDecoder};
use t38::Packing;

fn frames(framing: Framing, data: &[u8], chunk: usize) -> (Vec<Vec<u8>>, bool) {
    let mut d = StreamDecoder::with_max_frame(framing, 1500);
    let mut out = Vec::new();
    for mut piece in data.chunks(chunk.max(1)) {
        while !piece.is_empty() {
            match d.update(piece) {
                Ok((n, f)) => {
                    if let Some(f) = f {
                        out.push(f.to_vec());
                    }
                    piece = &piece[n..];
                }
                Err(_) => return (out, true),
            }
        }
    }
    (out, false)
}

fuzz_target!(|data: &[u8]| {
    for framing in [
        Framing::Tpkt,
        Framing::Raw(Packing::V1998),
        Framing::Raw(Packing::V2002),
    ] {
        let whole = frames(framing, data, data.len());
        let bytewise = frames(framing, data, 1);
        assert_eq!(whole, bytewise);
    }
});
