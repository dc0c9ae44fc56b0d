# Compares two results.json files without their timings (seconds, clipsPerSecond, wall times): exit 1 if they differ.
import json, sys
T = {"seconds", "clipsPerSecond", "computeSeconds", "wallSeconds", "generated", "out", "folder"}
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if k not in T}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(f))) for f in sys.argv[1:3])
if a == b: print("identical (timings aside)"); sys.exit(0)
def diff(x, y, p=""):
    if isinstance(x, dict) and isinstance(y, dict):
        for k in sorted(set(x) | set(y)): diff(x.get(k), y.get(k), f"{p}.{k}")
    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for i, (u, v) in enumerate(zip(x, y)): diff(u, v, f"{p}[{i}]")
    elif x != y: print(p, repr(x)[:120], "->", repr(y)[:120])
diff(a, b); sys.exit(1)
