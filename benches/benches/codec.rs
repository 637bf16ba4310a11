//! Decode and encode the eight CCITT pages (1728 x 2376) in MH, MR (K = 4) and MMR with
//! t4-codec, side by side with `fax` 0.3, `hayro-ccitt` 0.5 and, with `--features libtiff`,
//! the system libtiff.
//!
//! - decode = coded bytes -> packed rows (1 = black) in a caller's buffer. `fax` and
//!   `hayro-ccitt` deliver change lists through a callback; the same byte-span filler
//!   (`faxkit_benches::fill`) turns them into rows. libtiff: `TIFFReadEncodedStrip` on an
//!   in-memory TIFF opened beforehand.
//! - transcode = MH -> MMR and MMR -> MH with `t4_codec::transcode` (change lists, no bitmap),
//!   against our own decode to packed rows followed by our encode of them.
//! - encode = packed rows -> coded bytes. libtiff: `TIFFWriteEncodedStrip` into an in-memory
//!   TIFF set up beforehand. `fax` encodes MMR only, from a per-pel colour iterator.
//!
//! All decoders read the same bytes (libtiff's Class F layout: EOL before every T.4 row, no
//! RTC; EOFB after T.6), except that `fax` gets an RTC appended to MH data because its
//! decoder needs an EOL after the last row (nine bytes on 20-150 KB). Every output is checked
//! against the page before anything is timed.
//!
//! After criterion, the ratio lines (`ratio <op>-<coding> <peer> <x.xx>`: our pages/s divided
//! by the peer's) come from a separate interleaved timing of the same closures (see
//! `faxkit_benches::timing`), which is less sensitive to a shared machine's changing load.

use criterion::{Criterion, Throughput};
use faxkit_benches::modes::Mode;
use faxkit_benches::pages::{self, Page, Source};
use faxkit_benches::peers;
use faxkit_benches::timing::{interleaved_medians, Contender};
use std::time::Duration;

/// Decode, encode, or transcode from one coding to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Decode,
    Encode,
    /// To the given coding, on change lists (no bitmap).
    Transcode(Mode),
}

impl Op {
    /// The group name for this operation on `mode` data: `decode-mh`, `transcode-mh-mmr`.
    fn group(self, mode: Mode) -> String {
        match self {
            Op::Decode => format!("decode-{}", mode.label()),
            Op::Encode => format!("encode-{}", mode.label()),
            Op::Transcode(to) => format!("transcode-{}-{}", mode.label(), to.label()),
        }
    }
}

/// One coding's coded pages (t4-codec's encoding, checked equal to libtiff's).
struct Coded {
    mode: Mode,
    pages: Vec<Vec<u8>>,
}

fn main() {
    let (pages, source) = pages::load();
    match &source {
        Source::Corpus(dir) => println!("pages: CCITT itu1..8 from {}", dir.display()),
        Source::Synthetic => {
            println!(
                "note: ../shared/corpus not found: using 8 synthetic 1728x2376 text-like pages"
            )
        }
    }
    let coded: Vec<Coded> = Mode::ALL
        .iter()
        .map(|&mode| encode_and_check(mode, &pages, &source))
        .collect();

    let mut workloads = Vec::new();
    for c in &coded {
        workloads.push((Op::Decode, c.mode, decoders(c, &pages)));
    }
    for c in &coded {
        workloads.push((Op::Encode, c.mode, encoders(c.mode, &pages)));
    }
    for (from, to) in [(Mode::Mh, Mode::Mmr), (Mode::Mmr, Mode::Mh)] {
        let source = coded
            .iter()
            .find(|c| c.mode == from)
            .expect("every mode is coded");
        let target = coded
            .iter()
            .find(|c| c.mode == to)
            .expect("every mode is coded");
        workloads.push((Op::Transcode(to), from, transcoders(source, target, &pages)));
    }

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(10)
        .configure_from_args();
    let n_pages = u64::try_from(pages.len()).unwrap_or(u64::MAX);
    for (op, mode, contenders) in &mut workloads {
        let mut group = criterion.benchmark_group(op.group(*mode));
        group.throughput(Throughput::Elements(n_pages));
        for c in contenders.iter_mut() {
            group.bench_function(c.name, |b| b.iter(|| std::hint::black_box((c.run)())));
        }
        group.finish();
    }
    criterion.final_summary();

    // `cargo bench` passes --bench; `cargo test --benches` does not (criterion then only
    // checks that each benchmark runs once), and then there is nothing to compare.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!(
        "\ninterleaved timing (7 rounds of 300 ms batches, median, thread CPU time), pages/s:"
    );
    let mut ratios = Vec::new();
    for (op, mode, contenders) in &mut workloads {
        let secs = interleaved_medians(contenders, 7, Duration::from_millis(300));
        let group = op.group(*mode);
        for (c, s) in contenders.iter().zip(&secs) {
            println!(
                "  {group:<17} {:<12} {:>8.1}",
                c.name,
                pages.len() as f64 / s
            );
        }
        // Contender 0 is t4-codec.
        for (c, s) in contenders.iter().zip(&secs).skip(1) {
            ratios.push(format!("ratio {group} {} {:.2}", c.name, s / secs[0]));
        }
    }
    println!();
    for line in ratios {
        println!("{line}");
    }
}

/// Encodes every page with t4-codec and checks the bytes against libtiff's golden files (when
/// the corpus is used) and against libtiff itself (with the feature).
fn encode_and_check(mode: Mode, pages: &[Page], source: &Source) -> Coded {
    let coded = pages
        .iter()
        .map(|p| {
            let ours =
                peers::t4_encode(&mode.params(p.width, p.rows), &p.data).expect("t4-codec encodes");
            if let Source::Corpus(dir) = source {
                let path = dir.join(format!(
                    "ccitt-encoded/{}.{}.raw",
                    p.name,
                    mode.golden_suffix()
                ));
                let golden = std::fs::read(&path).expect("read golden encoding");
                assert!(
                    ours == golden,
                    "{}: t4-codec {} differs from {}",
                    p.name,
                    mode.label(),
                    path.display()
                );
            }
            #[cfg(feature = "libtiff")]
            {
                let theirs = faxkit_interop::encode_strip(mode.libtiff(), p.width, p.rows, &p.data)
                    .expect("libtiff");
                assert!(
                    ours == theirs,
                    "{}: t4-codec {} differs from libtiff",
                    p.name,
                    mode.label()
                );
            }
            ours
        })
        .collect();
    Coded { mode, pages: coded }
}

/// Checks one decoder on every page, then wraps it as a contender that decodes all pages.
fn decoder<'a>(
    name: &'static str,
    pages: &'a [Page],
    mut decode: impl FnMut(usize, &mut [u8]) -> usize + 'a,
) -> Contender<'a> {
    for (i, p) in pages.iter().enumerate() {
        let mut out = vec![0xA5u8; p.data.len()];
        let rows = decode(i, &mut out);
        assert_eq!(rows, p.rows as usize, "{name} on {}: row count", p.name);
        assert!(out == p.data, "{name} on {}: decoded pels differ", p.name);
    }
    let mut buf = vec![0u8; pages.iter().map(|p| p.data.len()).max().unwrap_or(0)];
    Contender {
        name,
        run: Box::new(move || {
            let mut total = 0;
            for (i, p) in pages.iter().enumerate() {
                total += decode(i, &mut buf[..p.data.len()]);
            }
            total
        }),
    }
}

/// Every decoder of a coding.
fn decoders<'a>(coded: &'a Coded, pages: &'a [Page]) -> Vec<Contender<'a>> {
    let mode = coded.mode;
    let data = &coded.pages;
    let mut v = vec![decoder("t4-codec", pages, move |i, out| {
        let p = &pages[i];
        peers::t4_decode_into(&mode.params(p.width, p.rows), &data[i], out)
            .expect("t4-codec decodes")
    })];
    match mode {
        Mode::Mh => {
            let with_rtc: Vec<Vec<u8>> = data.iter().map(|d| peers::with_rtc(d)).collect();
            v.push(decoder("fax", pages, move |i, out| {
                peers::fax_decode_mh_into(&with_rtc[i], pages[i].width, out)
            }));
        }
        Mode::Mmr => v.push(decoder("fax", pages, move |i, out| {
            peers::fax_decode_mmr_into(&data[i], pages[i].width, pages[i].rows, out)
        })),
        Mode::Mr => {}
    }
    let mut contexts: Vec<hayro_ccitt::DecoderContext> = pages
        .iter()
        .map(|p| {
            hayro_ccitt::DecoderContext::new(peers::hayro_settings(&mode.params(p.width, p.rows)))
        })
        .collect();
    v.push(decoder("hayro-ccitt", pages, move |i, out| {
        peers::hayro_decode_into(&mut contexts[i], &data[i], pages[i].width, out)
            .expect("hayro-ccitt decodes")
    }));
    #[cfg(feature = "libtiff")]
    {
        use faxkit_interop::PreparedDecode;
        let mut handles: Vec<PreparedDecode> = pages
            .iter()
            .zip(data)
            .map(|(p, d)| {
                PreparedDecode::new(mode.libtiff(), p.width, p.rows, d).expect("libtiff opens")
            })
            .collect();
        v.push(decoder("libtiff", pages, move |i, out| {
            handles[i].decode_into(out).expect("libtiff decodes");
            pages[i].rows as usize
        }));
    }
    v
}

/// Transcoding `source` into `target`'s coding: t4-codec's `transcode` (change lists, no
/// bitmap) against t4-codec decoding to packed rows and encoding those, each checked first.
fn transcoders<'a>(source: &'a Coded, target: &'a Coded, pages: &'a [Page]) -> Vec<Contender<'a>> {
    let (from, to) = (source.mode, target.mode);
    let params = |mode: Mode, p: &Page| mode.params(p.width, p.rows);
    for (i, p) in pages.iter().enumerate() {
        let (direct, bad) = t4_codec::transcode(
            &source.pages[i],
            &params(from, p),
            &params(to, p),
            t4_codec::Limits::default(),
        )
        .expect("t4-codec transcodes");
        assert_eq!(bad, 0, "{}: damaged rows", p.name);
        assert!(
            direct == target.pages[i],
            "{}: transcoded bytes differ from a direct encoding",
            p.name
        );
    }
    let mut bitmap = vec![0u8; pages.iter().map(|p| p.data.len()).max().unwrap_or(0)];
    vec![
        Contender {
            name: "t4-codec",
            run: Box::new(move || {
                pages
                    .iter()
                    .zip(&source.pages)
                    .map(|(p, data)| {
                        t4_codec::transcode(
                            data,
                            &params(from, p),
                            &params(to, p),
                            t4_codec::Limits::default(),
                        )
                        .map_or(0, |(v, _)| v.len())
                    })
                    .sum()
            }),
        },
        Contender {
            name: "decode+encode",
            run: Box::new(move || {
                pages
                    .iter()
                    .zip(&source.pages)
                    .map(|(p, data)| {
                        let out = &mut bitmap[..p.data.len()];
                        peers::t4_decode_into(&params(from, p), data, out)
                            .expect("t4-codec decodes");
                        peers::t4_encode(&params(to, p), out).map_or(0, |v| v.len())
                    })
                    .sum()
            }),
        },
    ]
}

/// Every encoder of a coding, each checked first.
fn encoders(mode: Mode, pages: &[Page]) -> Vec<Contender<'_>> {
    let mut v = vec![Contender {
        name: "t4-codec",
        run: Box::new(move || {
            pages
                .iter()
                .map(|p| {
                    peers::t4_encode(&mode.params(p.width, p.rows), &p.data).map_or(0, |v| v.len())
                })
                .sum()
        }),
    }];
    if mode == Mode::Mmr {
        for p in pages {
            let ours =
                peers::t4_encode(&mode.params(p.width, p.rows), &p.data).expect("t4-codec encodes");
            assert!(
                peers::fax_encode_mmr(&p.data, p.width) == ours,
                "fax on {}: MMR bytes differ",
                p.name
            );
        }
        v.push(Contender {
            name: "fax",
            run: Box::new(move || {
                pages
                    .iter()
                    .map(|p| peers::fax_encode_mmr(&p.data, p.width).len())
                    .sum()
            }),
        });
    }
    #[cfg(feature = "libtiff")]
    {
        use faxkit_interop::PreparedEncode;
        let prepare = |p: &Page| {
            PreparedEncode::new(mode.libtiff(), p.width, p.rows, &p.data).expect("libtiff")
        };
        for p in pages {
            let ours =
                peers::t4_encode(&mode.params(p.width, p.rows), &p.data).expect("t4-codec encodes");
            let mut enc = prepare(p);
            enc.encode().expect("libtiff encodes");
            enc.encode().expect("libtiff encodes again");
            assert!(
                enc.finish().expect("libtiff strip") == ours,
                "libtiff on {}: bytes differ",
                p.name
            );
        }
        let mut handles: Vec<PreparedEncode> = pages.iter().map(prepare).collect();
        v.push(Contender {
            name: "libtiff",
            run: Box::new(move || {
                for h in &mut handles {
                    h.encode().expect("libtiff encodes");
                }
                handles.len()
            }),
        });
    }
    v
}
