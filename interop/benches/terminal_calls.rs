//! N simultaneous simulated T.38 calls in one process, both ends ours (`t38::terminal`), side
//! by side with N spandsp 0.0.6 terminal pairs back to back through the FFI, same pages, same
//! run. Prints CPU per page (both ends together), heap per idle call (both ends, just after
//! set-up) and peak heap per call during the run, then `ratio` lines (ours / spandsp).
//!
//! Both sides take memory from the same glibc heap (`mallinfo2`), so the numbers compare
//! like with like. `cargo bench -p faxkit-interop --bench terminal_calls`.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation, missing_docs)]

use faxkit_interop::spandsp::SpandspTerminal;
use faxkit_interop::sys::{cpu_time, heap_in_use};
use faxkit_interop::{write_tiff, LibtiffScheme};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use t30::{MemorySource, Page, PageSink, ReceivedPage, Resolution};
use t38::terminal::{Config, Terminal};

const CALLS: usize = 8;
const PAGES: usize = 1;
const ROWS: u32 = 1100;

#[derive(Clone, Default)]
struct Count(Arc<Mutex<u32>>);
impl PageSink for Count {
    fn page(&mut self, _page: ReceivedPage) {
        *self.0.lock().unwrap() += 1;
    }
}

fn page(n: u32) -> Page {
    let mut p = Page::blank(1728, ROWS, Resolution::Fine);
    let rb = p.row_bytes();
    for y in 0..ROWS {
        if (y / 12 + n) % 3 == 2 {
            continue;
        }
        for x in 0..rb {
            let v = (x as u32)
                .wrapping_mul(2_654_435_761)
                .wrapping_add((y / 3) * 97 + n * 13);
            if (v >> 7) % 5 == 0 {
                p.data[y as usize * rb + x] = (v >> 13) as u8;
            }
        }
    }
    p
}

struct Ours {
    a: Terminal,
    b: Terminal,
    now: Instant,
}

fn ours_setup(docs: Vec<Vec<Page>>, counts: &[Count]) -> Vec<Ours> {
    let start = Instant::now();
    counts
        .iter()
        .zip(docs)
        .map(|(c, doc)| {
            let sc = t30::Config::sender(true, Box::new(MemorySource::new(doc)));
            let rc = t30::Config::receiver(false, Box::new(c.clone()));
            Ours {
                a: Terminal::new(sc, Config::new(2, true), start).unwrap(),
                b: Terminal::new(rc, Config::new(2, false), start).unwrap(),
                now: start,
            }
        })
        .collect()
}

/// Advances one call by one event; false when it is over.
fn ours_step(c: &mut Ours) -> bool {
    while let Some(p) = c.a.poll_transmit(c.now) {
        let _ = c.b.handle_encoded(&p.ifp, c.now);
    }
    while let Some(p) = c.b.poll_transmit(c.now) {
        let _ = c.a.handle_encoded(&p.ifp, c.now);
    }
    if c.a.is_done() && c.b.is_done() {
        return false;
    }
    let Some(next) = [c.a.poll_timeout(), c.b.poll_timeout()]
        .into_iter()
        .flatten()
        .min()
    else {
        return false;
    };
    c.now = c.now.max(next);
    c.a.handle_timeout(c.now);
    c.b.handle_timeout(c.now);
    true
}

/// (CPU, idle heap per call, peak heap per call, pages) of ours; heap sampled if `sample`.
fn ours(pages: &[Page], sample: bool) -> (Duration, usize, usize, u32) {
    // Ours: N calls interleaved event by event.
    let counts: Vec<Count> = (0..CALLS).map(|_| Count::default()).collect();
    // The documents are allocated before measuring: spandsp reads its pages from a file.
    let docs: Vec<Vec<Page>> = (0..CALLS).map(|_| pages.to_vec()).collect();
    let heap0 = heap_in_use();
    let cpu0 = cpu_time();
    let mut calls = ours_setup(docs, &counts);
    let ours_idle = heap_in_use().saturating_sub(heap0) / CALLS;
    let mut peak = 0usize;
    let mut live = CALLS;
    let mut alive = [true; CALLS];
    while live > 0 {
        for (i, c) in calls.iter_mut().enumerate() {
            if alive[i] && !ours_step(c) {
                alive[i] = false;
                live -= 1;
            }
        }
        if sample {
            peak = peak.max(heap_in_use().saturating_sub(heap0));
        }
    }
    let ours_cpu = cpu_time() - cpu0;
    let ours_pages: u32 = counts.iter().map(|c| *c.0.lock().unwrap()).sum();
    drop(calls);
    assert_eq!(
        ours_pages as usize,
        CALLS * PAGES,
        "every call delivered every page"
    );
    (ours_cpu, ours_idle, peak / CALLS, ours_pages)
}

/// The same for spandsp.
fn spandsp(pages: &[Page], sample: bool) -> (Duration, usize, usize, u32) {
    let dir = std::env::temp_dir().join(format!("t38-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // spandsp: N back-to-back pairs stepped 20 ms at a time, interleaved.
    let p = &pages[0];
    let tx = dir.join("tx.tif");
    std::fs::write(
        &tx,
        write_tiff(LibtiffScheme::MH, p.columns, p.rows, &p.data).unwrap(),
    )
    .unwrap();
    let heap0 = heap_in_use();
    let cpu0 = cpu_time();
    let mut pairs: Vec<(SpandspTerminal, SpandspTerminal)> = (0..CALLS)
        .map(|i| {
            let rx = dir.join(format!("rx{i}.tif"));
            (
                SpandspTerminal::with_files(true, Some(&tx), None, 2, true),
                SpandspTerminal::with_files(false, None, Some(&rx), 2, true),
            )
        })
        .collect();
    let sp_idle = heap_in_use().saturating_sub(heap0) / CALLS;
    let mut peak = 0usize;
    let mut seq = [(0u16, 0u16); CALLS];
    for _ in 0..30_000 {
        let mut running = false;
        for (i, (a, b)) in pairs.iter_mut().enumerate() {
            if a.completion().is_some() && b.completion().is_some() {
                continue;
            }
            running = true;
            for (ifp, _) in a.step(160) {
                b.rx_ifp(&ifp, seq[i].0);
                seq[i].0 = seq[i].0.wrapping_add(1);
            }
            for (ifp, _) in b.step(160) {
                a.rx_ifp(&ifp, seq[i].1);
                seq[i].1 = seq[i].1.wrapping_add(1);
            }
        }
        if sample {
            peak = peak.max(heap_in_use().saturating_sub(heap0));
        }
        if !running {
            break;
        }
    }
    let sp_cpu = cpu_time() - cpu0;
    let sp_ok = pairs
        .iter()
        .filter(|(a, b)| a.completion() == Some(0) && b.completion() == Some(0))
        .count();
    assert_eq!(sp_ok, CALLS, "every spandsp call completed");
    drop(pairs);
    let _ = std::fs::remove_dir_all(&dir);
    (sp_cpu, sp_idle, peak / CALLS, (CALLS * PAGES) as u32)
}

fn main() {
    let pages: Vec<Page> = (0..PAGES as u32).map(page).collect();
    // Memory pass (heap sampled after every round), then a CPU pass without sampling, each
    // side in turn.
    let (_, ours_idle, ours_peak, _) = ours(&pages, true);
    let (_, sp_idle, sp_peak, _) = spandsp(&pages, true);
    let (ours_cpu, _, _, ours_pages) = ours(&pages, false);
    let (sp_cpu, _, _, sp_pages) = spandsp(&pages, false);

    let per_page = |d: Duration, n: u32| d.as_secs_f64() * 1000.0 / f64::from(n.max(1));
    let ours_pp = per_page(ours_cpu, ours_pages);
    let sp_pp = per_page(sp_cpu, sp_pages);
    println!(
        "ours:    {CALLS} calls x {PAGES} page: {ours_pp:.2} ms CPU per page (both ends), \
         {} B heap per idle call, {} B peak heap per call",
        ours_idle, ours_peak
    );
    println!(
        "spandsp: {CALLS} calls x {PAGES} page: {sp_pp:.2} ms CPU per page (both ends, ECM MMR), \
         {} B heap per idle call, {} B peak heap per call",
        sp_idle, sp_peak
    );
    println!("ratio cpu_per_page spandsp {:.2}", ours_pp / sp_pp);
    println!(
        "ratio idle_heap_per_call spandsp {:.2}",
        ours_idle as f64 / sp_idle.max(1) as f64
    );
    println!(
        "ratio peak_heap_per_call spandsp {:.2}",
        ours_peak as f64 / sp_peak.max(1) as f64
    );
}
