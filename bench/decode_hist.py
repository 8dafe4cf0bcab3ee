#!/usr/bin/python3
"""Peer for bench_decode_hist: OpenCV decodes every image (cv2.imread, IMREAD_UNCHANGED) and
computes per-channel 256-bin histograms (cv2.calcHist) and normalised CDFs.
Usage: decode_hist.py DATA [repeats=5] [processes=1]. Prints one JSON line."""
import glob
import json
import os
import sys
import time
from multiprocessing import Pool

import cv2
import numpy as np

EXTS = (".jpg", ".jpeg", ".png", ".tif", ".tiff")


def work(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        return 0.0
    chans = [img] if img.ndim == 2 else [img[:, :, c] for c in range(min(3, img.shape[2]))]
    s = 0.0
    for ch in chans:
        h = cv2.calcHist([ch], [0], None, [256], [0, 256]).ravel()
        cdf = np.cumsum(h) / h.sum()
        s += cdf[127]
    return s


def main():
    data = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    procs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    files = sorted(f for f in glob.glob(os.path.join(data, "**", "*"), recursive=True)
                   if f.lower().endswith(EXTS) and os.path.isfile(f))
    cv2.setNumThreads(1 if procs > 1 else 2)
    pool = Pool(procs) if procs > 1 else None
    best = 1e300
    for _ in range(repeats):
        t0 = time.perf_counter()
        if pool:
            s = sum(pool.map(work, files, chunksize=4))
        else:
            s = sum(work(f) for f in files)
        best = min(best, (time.perf_counter() - t0) * 1e3)
    print(json.dumps({"images": len(files), "processes": procs, "best_ms": round(best, 2),
                      "ms_per_image": round(best / len(files), 4), "checksum": round(s, 6)}))


if __name__ == "__main__":
    main()
