"""The table of bench/upload.sh's results (one JSON object per line)."""
import json
import statistics
import sys

MIB = 1 << 20


def size_name(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


def ms(ns):
    return f"{ns / 1e6:.2f} ms" if ns < 1e9 else f"{ns / 1e9:.2f} s"


rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
times = {}
for r in rows:
    if r["kind"] == "time":
        times.setdefault((r["target"], r["size"]), []).append(r["ns"])
targets = []
for r in rows:
    if r["kind"] in ("time", "refused") and r["target"] != "floor" and r["target"] not in targets:
        targets.append(r["target"])
sizes = sorted({s for _, s in times})
# The local endpoint runs as "local" (as it starts by default) and
# "local-nofsync" (--fsync off); "bare" is the floor behind a loopback
# connection (no parsing); every other target is a peer.
peer_names = [t for t in targets if not t.startswith("local") and t != "bare"]
W = max([8] + [len(t) for t in targets])

print("Per upload: median over the rounds [fastest, slowest]; x floor = median / the floor's median.\n")
print(f"{'size':>8}  {'store':{W}} {'median':>11} {'spread':>24} {'x floor':>8} {'MiB/s':>8} {'ms per MiB':>11}")
medians = {}
for size in sizes:
    for name in ["floor"] + targets:
        t = times.get((name, size))
        if not t:
            refused = next((r for r in rows if r["kind"] == "refused" and r["target"] == name and r["size"] <= size), None)
            if refused:
                print(f"{size_name(size):>8}  {name:{W}} refused: {refused['error'][:70]}")
            continue
        m = statistics.median(t)
        medians[(name, size)] = m
        floor = medians.get(("floor", size))
        ratio = f"{m / floor:.2f}" if floor else ""
        rate = size / MIB / (m / 1e9)
        print(f"{size_name(size):>8}  {name:{W}} {ms(m):>11} {'[' + ms(min(t)) + ', ' + ms(max(t)) + ']':>24} {ratio:>8} {rate:>8.1f} {m / 1e6 / max(size / MIB, 1e-9):>11.3f}")
    print()

print("Peak resident memory over idle (VmHWM after a reset, minus VmRSS before):\n")
for r in rows:
    if r["kind"] == "memory":
        print(f"  {r['target']:{W}} {r['load']:40} idle {r['idle_kib'] / 1024:7.1f} MiB, peak +{(r['peak_kib'] - r['idle_kib']) / 1024:7.1f} MiB")
print()

print("Requests per second, 1 KiB uploads: median over the rounds [lowest, highest]:\n")
rounds = {}
for r in rows:
    if r["kind"] == "rps":
        rounds.setdefault(r["clients"], {}).setdefault(r["target"], []).append(r["rps"])
rps = {c: {t: statistics.median(v) for t, v in by.items()} for c, by in rounds.items()}
C = max([16] + [len(t) for t in targets])
print(f"  {'clients':>7}  " + "  ".join(f"{t:>{C}}" for t in targets))
for clients, by in sorted(rounds.items()):
    cells = []
    for t in targets:
        v = by.get(t, [0])
        cells.append(f"{f'{statistics.median(v):.0f} [{min(v):.0f}, {max(v):.0f}]':>{C}}")
    print(f"  {clients:>7}  " + "  ".join(cells))
print()

print("Targets:")
largest = max(sizes) if sizes else 0
local = medians.get(("local", largest))
floor = medians.get(("floor", largest))
if local and floor and largest >= 64 * MIB:
    peers = {t: medians.get((t, largest)) for t in peer_names}
    faster = all(p is None or local < p for p in peers.values())
    ratio = local / floor
    print(f"  largest upload ({size_name(largest)}) <= 1.5x floor: {ratio:.2f}x, {'met' if ratio <= 1.5 else 'MISSED'}")
    bare = medians.get(("bare", largest))
    if bare:
        print(f"  (the bare server at {size_name(largest)}: {bare / floor:.2f}x the floor; local {local / bare:.2f}x the bare server)")
    print(f"  faster than the peers at {size_name(largest)}: {'met' if faster else 'MISSED'} ("
          + ", ".join(f"{t} {v / 1e9:.2f} s" if v else f"{t} refused" for t, v in peers.items()) + f", local {local / 1e9:.2f} s)")
for r in rows:
    if r["kind"] == "memory" and r["target"] == "local":
        over = (r["peak_kib"] - r["idle_kib"]) / 1024
        limit = 32 if r["load"].startswith("one upload") else 128
        print(f"  local, {r['load']}: +{over:.1f} MiB <= {limit} MiB: {'met' if over < limit else 'MISSED'}")
for clients, by in sorted(rps.items()):
    best_peer = max((v for t, v in by.items() if t in peer_names), default=0)
    for mine_name in ("local", "local-nofsync"):
        if mine_name in by:
            mine = by[mine_name]
            print(f"  {clients} clients, 1 KiB: {mine_name} {mine:.0f}/s >= faster peer {best_peer:.0f}/s: {'met' if mine >= best_peer else 'MISSED'}")
