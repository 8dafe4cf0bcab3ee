#!/usr/bin/python3
"""glia vs scikit-learn: the k = 2..20 sweep with five metrics on one 256x256 grey image.

Usage (from the repository root, after building):
    /usr/bin/python3 bench/bench_cluster.py [IMAGE] [--exact-k 2,3] [--build build]
IMAGE defaults to ../shared/data/kaggle-brain-mri/yes/Y1.jpg; it is converted to grey by
OpenCV and resized to 256x256 (INTER_AREA), written to a temporary PNG that both sides read.

glia:    build/bench_cluster (histogram, exact 1-D k-means for every k, WCSS, BCSS, exact
         silhouette over all 65,536 pixels, CH, DB), median of many sweeps.
sklearn: KMeans(n_init=10, random_state=0) for every k + CH + DB, with
         silhouette_score(sample_size=10000, random_state=0) for the whole sweep (measured),
         and the exact silhouette_score on all pixels timed for the --exact-k values only and
         extrapolated to 19 values of k (labelled as such).
Both sides run with 2 threads (OMP_NUM_THREADS=2, OPENBLAS_NUM_THREADS=2).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("GLIA_THREADS", "2")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

KS = range(2, 21)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?", default="../shared/data/kaggle-brain-mri/yes/Y1.jpg")
    ap.add_argument("--exact-k", default="2", help="k values for the exact sklearn silhouette")
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeats", type=int, default=200)
    a = ap.parse_args()

    img = cv2.imread(a.image, cv2.IMREAD_GRAYSCALE)
    if img is None:
        sys.exit(f"cannot read {a.image}")
    img = cv2.resize(img, (256, 256), interpolation=cv2.INTER_AREA)
    tmp = tempfile.NamedTemporaryFile(suffix=".png", delete=False)
    cv2.imwrite(tmp.name, img)
    x = img.reshape(-1, 1).astype(np.float64)

    out = subprocess.run([os.path.join(a.build, "bench_cluster"), tmp.name, str(a.repeats)],
                         check=True, capture_output=True, text=True).stdout
    os.unlink(tmp.name)
    glia_s = float(out.split("glia_sweep_s ")[1].split()[0])
    glia = {}
    for line in out.splitlines():
        if line.startswith("k "):
            f = line.split()
            glia[int(f[1])] = {f[i]: float(f[i + 1]) for i in range(2, len(f), 2)}

    t_fit = t_chdb = t_sil_sample = 0.0
    labels = {}
    worse = 0
    for k in KS:
        t0 = time.perf_counter()
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(x)
        t1 = time.perf_counter()
        calinski_harabasz_score(x, km.labels_)
        davies_bouldin_score(x, km.labels_)
        t2 = time.perf_counter()
        silhouette_score(x, km.labels_, sample_size=10000, random_state=0)
        t3 = time.perf_counter()
        t_fit += t1 - t0
        t_chdb += t2 - t1
        t_sil_sample += t3 - t2
        labels[k] = km.labels_
        worse += glia[k]["wcss"] > km.inertia_ * (1 + 1e-9)
    exact_ks = [int(v) for v in a.exact_k.split(",") if v]
    t_exact = []
    for k in exact_ks:
        t0 = time.perf_counter()
        s = silhouette_score(x, labels[k])
        t_exact.append(time.perf_counter() - t0)
        print(f"k={k}: sklearn exact silhouette {s:.12f} (its own labels), glia {glia[k]['silhouette']:.12f}")
    per_k_exact = sum(t_exact) / len(t_exact)
    sk_sampled = t_fit + t_chdb + t_sil_sample
    sk_exact = t_fit + t_chdb + per_k_exact * len(KS)

    print(f"image {a.image} -> 256x256 grey, 65,536 pixels, k = 2..20, 2 threads")
    print(f"glia sweep (exact k-means, five metrics, exact silhouette): {glia_s * 1e3:.3f} ms "
          f"(median of {a.repeats})")
    print(f"glia WCSS worse than sklearn's for {worse} of 19 k (relative slack 1e-9)")
    print(f"sklearn KMeans(n_init=10) x 19: {t_fit:.2f} s; CH + DB: {t_chdb:.2f} s")
    print(f"sklearn silhouette sample_size=10000 x 19: {t_sil_sample:.2f} s")
    print(f"sklearn exact silhouette: {per_k_exact:.2f} s per k (measured at k = {a.exact_k})")
    print(f"sklearn sweep with sampled silhouette (measured): {sk_sampled:.2f} s "
          f"-> glia {sk_sampled / glia_s:,.0f}x faster")
    print(f"sklearn sweep with exact silhouette (EXTRAPOLATED: {len(t_exact)} k measured x 19): "
          f"{sk_exact:.1f} s -> glia {sk_exact / glia_s:,.0f}x faster")


if __name__ == "__main__":
    main()
