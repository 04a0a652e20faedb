"""Prints bench/compare.sh's table from its JSON lines.

    python bench/report.py results.jsonl

Each timing line carries its case's fastest-batch time, the floor's in the
same process, their ratio, and medians (see bench/src/lib.rs).
A peer's speedup compares ratios, not times: (peer / floor in the peer's
process) / (ours / floor in our process), so load that differs between the
processes cancels out. The raw time ratio is printed next to it.
"""

import json
import statistics
import sys

OURS = "macro, cached key"


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def verdict(ok, missed):
    return "met" if ok else f"MISSED ({missed})"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    timing = {(r["process"], r["case"]): r for r in rows if "ratio" in r}
    allocs = {r["case"]: r for r in rows if "allocations" in r}
    builds = {r["case"]: r["seconds"] for r in rows if r["process"] == "build"}

    print()
    print("Per form: time of the fastest batch; x floor = that / the fastest floor batch")
    print("interleaved with it in the same process; median = median over rounds of")
    print("(case / floor batch just before it), which load can skew.")
    print()
    head = f"{'case':<46} {'process':<8} {'time':>10} {'floor':>9} {'x floor':>8} {'median':>7} {'allocs':>7}"
    print(head)
    print("-" * len(head))
    for (process, case), r in timing.items():
        name = "floor (again: noise check)" if case == "floor" else case
        a = allocs.get(case) if process == "rust" else None
        print(
            f"{name:<46} {process:<8} {fmt_ns(r['ns']):>10} {fmt_ns(r['floor_ns']):>9}"
            f" {r['ratio']:>8.2f} {r.get('median_ratio', float('nan')):>7.2f}"
            f" {('%.0f' % a['allocations']) if a else '':>7}"
        )

    ours = timing.get(("rust", OURS))
    print()
    print(f"Speedups of ours ({OURS}) over the peers:")
    print(f"{'peer':<46} {'x floor':>8} {'speedup':>8} {'raw':>8}")
    speedups = {}
    for (process, case), r in timing.items():
        if process == "rust" or case == "floor" or "stdlib" in case or not ours:
            continue
        s = r["ratio"] / ours["ratio"]
        speedups[case] = s
        print(f"{case:<46} {r['ratio']:>8.2f} {s:>7.1f}x {r['ns'] / ours['ns']:>7.1f}x")

    if builds:
        print()
        print("Build cost (seconds):")
        for case, seconds in builds.items():
            if not case.startswith("cargo check"):
                print(f"  {case:<48} {seconds:>7.2f}")
        none = [v for k, v in builds.items() if k.startswith("cargo check, none")]
        hundred = [v for k, v in builds.items() if k.startswith("cargo check, hundred")]
        if none and hundred:
            print(f"  {'cargo check, crate without post_policy! (median)':<48} {statistics.median(none):>7.2f}  {none}")
            print(f"  {'cargo check, same + 100 post_policy! (median)':<48} {statistics.median(hundred):>7.2f}  {hundred}")

    print()
    print("Targets:")
    if ours:
        print(f"  cached-key signing <= 1.3x floor: {ours['ratio']:.2f}x, "
              + verdict(ours["ratio"] <= 1.3, f"by {ours['ratio'] / 1.3:.2f}x"))
    verify = timing.get(("rust", "verify one form"))
    if verify:
        print(f"  verification <= 2x floor: {verify['ratio']:.2f}x, "
              + verdict(verify["ratio"] <= 2, f"by {verify['ratio'] / 2:.2f}x"))
    for peer, want in (("botocore", 150), ("rust-s3", 4)):
        got = [v for k, v in speedups.items() if k.startswith(peer) and "per form" not in k]
        got = got or [v for k, v in speedups.items() if k.startswith(peer)]
        if got:
            print(f"  >= {want}x faster than {peer}: {got[0]:.1f}x, "
                  + verdict(got[0] >= want, f"{got[0] / want:.2f} of the target"))
    a = allocs.get(OURS)
    if a:
        print(f"  allocations per signed form, a handful: {a['allocations']:.0f}")
    if builds:
        none = [v for k, v in builds.items() if k.startswith("cargo check, none")]
        hundred = [v for k, v in builds.items() if k.startswith("cargo check, hundred")]
        if none and hundred:
            extra = statistics.median(hundred) - statistics.median(none)
            print(f"  100 post_policy! add < 1 s to cargo check: +{extra:.2f} s, "
                  + verdict(extra < 1, f"by {extra - 1:.2f} s"))


if __name__ == "__main__":
    main()
