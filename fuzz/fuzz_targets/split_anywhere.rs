//! The push decoder gives the same rows, counts and outcome however its input is split.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use t4_codec::{Coding, Decoder, Params, Progress};

/// Rows (as change lists), bad rows and the error, feeding `data` in pieces of the given sizes.
fn run(data: &[u8], params: &Params, sizes: &[u8]) -> (Vec<Vec<u32>>, u32, Option<String>) {
    let mut dec = match Decoder::new(params.clone()) {
        Ok(d) => d,
        Err(e) => return (Vec::new(), 0, Some(e.to_string())),
    };
    let mut rows = Vec::new();
    let mut rest = data;
    let mut sizes = sizes.iter().cycle();
    loop {
        let n = (usize::from(*sizes.next().unwrap_or(&255)) + 1).min(rest.len());
        let mut chunk = &rest[..n];
        rest = &rest[n..];
        if rest.is_empty() && chunk.is_empty() {
            dec.end_input();
        }
        loop {
            match dec.update(chunk) {
                Ok((used, progress)) => {
                    chunk = &chunk[used..];
                    match progress {
                        Progress::Row(_) => {
                            rows.push(dec.changes().to_vec());
                            if rows.len() > 2000 {
                                return (rows, dec.bad_rows(), None);
                            }
                        }
                        Progress::NeedInput => break,
                        Progress::End => return (rows, dec.bad_rows(), None),
                    }
                }
                Err(e) => return (rows, dec.bad_rows(), Some(format!("{:?}", e.kind))),
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    if let [k, b0, b1, nsizes, rest @ ..] = input {
        let split = usize::from(*nsizes % 16).min(rest.len());
        let (sizes, data) = rest.split_at(split);
        let params = common::params_from(Coding::from_pdf_k(i32::from(*k as i8)), *b0, *b1);
        let whole = run(data, &params, &[255]);
        let pieces = run(data, &params, if sizes.is_empty() { &[0] } else { sizes });
        assert_eq!(whole, pieces);
    }
});
