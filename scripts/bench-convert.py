#!/usr/bin/env python3
"""Whole-process comparison for issue 3: `faxctl convert IN.tif OUT.pbm` against libtiff's
`tiffcp -c none IN.tif OUT.tif` (decode every page of a multi-page fax TIFF to raw pels).

Builds the inputs from the CCITT corpus with faxctl itself (multi-page G4 and G3 2-D) plus
libtiff's own testfax4.tiff when present, then runs both commands in interleaved rounds and
reports the median child CPU time (user + system) and wall time per run of each, and the ratio
(tiffcp / faxctl: above 1 means faxctl is faster).

Usage: scripts/bench-convert.py [ROUNDS]   (needs a release faxctl and libtiff-tools)
"""
import os, resource, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.environ.get("FAXKIT_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
FAXCTL = os.path.join(ROOT, "target", "release", "faxctl")


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    if not os.path.exists(FAXCTL):
        sys.exit("build it first: cargo build --release -p faxkit-examples --bin faxctl")
    if shutil.which("tiffcp") is None:
        sys.exit("tiffcp not found (Debian: apt-get install libtiff-tools)")
    tmp = tempfile.mkdtemp()
    pages = [os.path.join(CORPUS, "ccitt", f"itu{n}.pbm") for n in range(1, 9)]
    multi = os.path.join(tmp, "itu-all.pbm")
    with open(multi, "wb") as out:
        for p in pages:
            with open(p, "rb") as f:
                out.write(f.read())
    inputs = []
    for coding in ["mmr", "mr"]:
        tif = os.path.join(tmp, f"itu-{coding}.tif")
        subprocess.run([FAXCTL, "convert", "--coding", coding, multi, tif], check=True)
        inputs.append((f"8 CCITT pages, {coding}", tif))
    testfax4 = os.path.join(CORPUS, "libtiff", "testfax4.tiff")
    if os.path.exists(testfax4):
        inputs.append(("libtiff testfax4.tiff", testfax4))
    print(f"{rounds} interleaved rounds; median per run (child CPU user+sys, wall)")
    for name, tif in inputs:
        ours = [FAXCTL, "convert", tif, os.path.join(tmp, "out.pbm")]
        theirs = ["tiffcp", "-c", "none", tif, os.path.join(tmp, "out.tif")]
        samples = {"faxctl": [], "tiffcp": []}
        for r in range(rounds):
            order = [("faxctl", ours), ("tiffcp", theirs)]
            if r % 2:
                order.reverse()
            for label, cmd in order:
                samples[label].append(run(cmd))
        med = {k: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
               for k, v in samples.items()}
        print(f"  {name}: faxctl {med['faxctl'][0]*1e3:.1f} ms cpu / {med['faxctl'][1]*1e3:.1f} ms wall, "
              f"tiffcp {med['tiffcp'][0]*1e3:.1f} ms cpu / {med['tiffcp'][1]*1e3:.1f} ms wall")
        print(f"ratio convert {os.path.basename(tif)} tiffcp {med['tiffcp'][0] / med['faxctl'][0]:.2f}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
