"""numpy twin of reidfx's Market-1501 evaluation, timed in the same bench run (bench/evalNumpy.ts).

Reads the features, identities and cameras that bench/eval.ts dumped (int32 Q, G, dim; then float32 query features,
int32 query ids, int32 query cameras, the same for the gallery), computes Euclidean distances (||q||^2 + ||g||^2 -
2 q.g, float32 BLAS matmul), then the Market-1501 protocol of torchreid's `eval_market1501`
(KaiyangZhou/deep-person-reid, torchreid/metrics/rank.py): per query, gallery entries of the same identity and
camera are removed, CMC (rank 1), average precision and the inverse negative penalty (mINP, Ye et al. 2021).

Usage: python3 bench/eval_numpy.py DUMP
Prints one JSON object: total / distance / metric milliseconds, CPU milliseconds, mAP, rank-1, mINP, numpy version.
"""
import json
import sys
import time

import numpy as np


def main():
    raw = open(sys.argv[1], "rb").read()
    Q, G, dim = np.frombuffer(raw, dtype=np.int32, count=3)
    offset = 12

    def take(dtype, n):
        nonlocal offset
        a = np.frombuffer(raw, dtype=dtype, count=n, offset=offset)
        offset += a.nbytes
        return a

    qf = take(np.float32, Q * dim).reshape(Q, dim)
    qids, qcams = take(np.int32, Q), take(np.int32, Q)
    gf = take(np.float32, G * dim).reshape(G, dim)
    gids, gcams = take(np.int32, G), take(np.int32, G)

    c0, t0 = time.process_time(), time.perf_counter()
    d = (qf * qf).sum(1, keepdims=True) + (gf * gf).sum(1)[None, :] - 2.0 * (qf @ gf.T)
    np.maximum(d, 0, out=d)
    np.sqrt(d, out=d)
    t1, c1 = time.perf_counter(), time.process_time()

    indices = np.argsort(d, axis=1, kind="stable")
    matches = (gids[indices] == qids[:, None]).astype(np.int32)
    aps, inps, rank1, valid = [], [], 0.0, 0
    for q in range(Q):
        order = indices[q]
        keep = np.invert((gids[order] == qids[q]) & (gcams[order] == qcams[q]))
        raw_cmc = matches[q][keep]
        if not np.any(raw_cmc):
            continue
        valid += 1
        cmc = raw_cmc.cumsum()
        rank1 += 1.0 if cmc[0] >= 1 else 0.0
        positions = np.where(raw_cmc == 1)[0]
        inps.append(cmc[positions[-1]] / (positions[-1] + 1.0))
        num_rel = raw_cmc.sum()
        tmp = raw_cmc.cumsum() / (np.arange(len(raw_cmc)) + 1.0)
        aps.append((tmp * raw_cmc).sum() / num_rel)
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({
        "ms": (t2 - t0) * 1000, "distancesMs": (t1 - t0) * 1000, "metricsMs": (t2 - t1) * 1000,
        "cpuMs": (c2 - c0) * 1000, "distancesCpuMs": (c1 - c0) * 1000, "mAP": float(np.mean(aps)), "rank1": rank1 / valid, "mINP": float(np.mean(inps)),
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
