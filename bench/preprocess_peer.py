#!/usr/bin/python3
"""Peer of bench/bench_preprocess.c: the same steps with OpenCV 4.6, scikit-image 0.19,
SciPy and NumPy, on the same data (crop) and on the 256x256 crops glia wrote (WORK/crops).
Usage: preprocess_peer.py DATA WORK [threads=2] [snake_images=4] [entropy_images=20] [pipeline]
Prints "step images ms_per_image" lines (best of repeats, decoding not timed)."""
import csv
import glob
import os
import sys
import time

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage import exposure, morphology, segmentation
from skimage.filters import rank

DATA, WORK = sys.argv[1], sys.argv[2]
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
NS = int(sys.argv[4]) if len(sys.argv) > 4 else 4
NE = int(sys.argv[5]) if len(sys.argv) > 5 else 20
cv2.setNumThreads(THREADS)


def best(f, items, reps):
    t = 1e300
    for _ in range(reps):
        t0 = time.perf_counter()
        for x in items:
            f(x)
        t = min(t, time.perf_counter() - t0)
    return t * 1e3 / len(items)


def crop_box(g):
    """The head's box as the usual OpenCV script finds it: Gaussian 5x5, Otsu, largest
    external contour, box + 2 % padding; None when nothing is found."""
    b = cv2.GaussianBlur(g, (5, 5), 0)
    _, m = cv2.threshold(b, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    cs, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not cs:
        return None
    x, y, w, h = cv2.boundingRect(max(cs, key=cv2.contourArea))
    px, py = int(np.ceil(w * 0.02)), int(np.ceil(h * 0.02))
    x0, y0 = max(0, x - px), max(0, y - py)
    return x0, y0, min(g.shape[1], x + w + px), min(g.shape[0], y + h + py)


def square(g, box):
    """The box, padded to a square with black, resized to 256 (INTER_AREA)."""
    if box is None:
        return cv2.resize(g, (256, 256), interpolation=cv2.INTER_AREA)
    x0, y0, x1, y1 = box
    c = g[y0:y1, x0:x1]
    s = max(c.shape)
    t, l = (s - c.shape[0]) // 2, (s - c.shape[1]) // 2
    c = cv2.copyMakeBorder(c, t, s - c.shape[0] - t, l, s - c.shape[1] - l, cv2.BORDER_CONSTANT, 0)
    return cv2.resize(c, (256, 256), interpolation=cv2.INTER_AREA)


def crop_cv(img):
    """The usual OpenCV crop: gray, Gaussian 5x5, Otsu, largest contour, box + 2 % padding,
    square pad, resize to 256 (INTER_AREA)."""
    g = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    return square(g, crop_box(g))


def read_gray(f):
    """The file's gray pixels as glia takes them: RGB(A) -> gray with cvtColor's BT.601
    weights, a gray file as it is (IMREAD_COLOR would expand it to BGR and back: the same
    pixels for more work; checked equal on the Kaggle set)."""
    img = cv2.imread(f, cv2.IMREAD_UNCHANGED)
    if img is None or img.dtype != np.uint8:
        img = cv2.imread(f, cv2.IMREAD_COLOR)
    if img is None or img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY if img.shape[2] == 4 else cv2.COLOR_BGR2GRAY)


def musica(img, levels=6, p=0.7, a=1.0, c=0.02):
    g = [img.astype(np.float32) / 255]
    for _ in range(levels):
        g.append(cv2.pyrDown(g[-1]))
    lap = []
    for k in range(levels):
        h, w = g[k].shape
        l = g[k] - cv2.pyrUp(g[k + 1], dstsize=(w, h))
        m = np.abs(l).max()
        if m > 0:
            x = np.abs(l) / m
            l = np.where(x < c, a * c ** (p - 1) * l, a * m * np.sign(l) * x ** p)
        lap.append(l.astype(np.float32))
    r = g[levels]
    for k in reversed(range(levels)):
        h, w = g[k].shape
        r = cv2.pyrUp(r, dstsize=(w, h)) + lap[k]
    return np.clip(np.rint(r * 255), 0, 255).astype(np.uint8)


def watershed(img):
    _, m = cv2.threshold(img, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    d = ndi.distance_transform_edt(m)
    markers, _ = ndi.label(morphology.h_maxima(d, 2.0), structure=np.ones((3, 3)))
    return segmentation.watershed(-d, markers, mask=m.astype(bool))


def pipeline(out):
    """What `glia preprocess DATA -o OUT --enhance clahe --panels 0` does, as an OpenCV
    script: decode, gray, crop, square, resize 256, CLAHE, write PNG keeping the class
    folders, and a CSV row per image (file, steps, crop box). Not done here, and done by
    glia: each output written to a temporary file, made durable and renamed into place."""
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    t0 = time.perf_counter()
    rows = []
    for f in sorted(glob.glob(os.path.join(DATA, "*", "*"))):
        if os.path.splitext(f)[1].lower() not in (".jpg", ".jpeg", ".png", ".tif", ".tiff"):
            continue
        g = read_gray(f)
        box = crop_box(g)
        c = clahe.apply(square(g, box))
        d = os.path.join(out, os.path.basename(os.path.dirname(f)))
        os.makedirs(d, exist_ok=True)
        cv2.imwrite(os.path.join(d, os.path.splitext(os.path.basename(f))[0] + ".png"), c)
        rows.append((os.path.relpath(f, DATA), "crop+resize256+clahe",
                     ",".join(map(str, box)) if box else ""))
    with open(os.path.join(out, "preprocess.csv"), "w", newline="") as fp:
        w = csv.writer(fp)
        w.writerow(("file", "steps", "crop_box"))
        w.writerows(rows)
    k = len(rows)
    print("pipeline %d %.4f" % (k, (time.perf_counter() - t0) * 1e3 / k))


if len(sys.argv) > 6 and sys.argv[6] == "pipeline":
    pipeline(os.path.join(WORK, "peer_out"))
    sys.exit(0)

files = sorted(glob.glob(os.path.join(DATA, "*", "*")))
imgs = [cv2.imread(f, cv2.IMREAD_UNCHANGED) for f in files]
imgs = [i[:, :, :3] if i.ndim == 3 else i for i in imgs]
crops = [cv2.imread(f, cv2.IMREAD_GRAYSCALE)
         for f in sorted(glob.glob(os.path.join(WORK, "crops", "*.png")))]
n = len(crops)
print("crop %d %.4f" % (len(imgs), best(crop_cv, imgs, 3)))
clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
print("clahe %d %.4f" % (n, best(clahe.apply, crops, 5)))
print("clahe_skimage %d %.4f" % (20, best(
    lambda x: exposure.equalize_adapthist(x, kernel_size=32, clip_limit=0.01), crops[:20], 1)))
print("musica %d %.4f" % (n, best(musica, crops, 3)))
disk5 = morphology.disk(5)
print("entropy %d %.4f" % (NE, best(lambda x: rank.entropy(x, disk5), crops[:NE], 1)))
print("watershed %d %.4f" % (n, best(watershed, crops, 1)))
print("acwe %d %.4f" % (NS, best(
    lambda x: segmentation.morphological_chan_vese(x.astype(np.float32) / 255, 100), crops[:NS], 1)))
print("gac %d %.4f" % (NS, best(lambda x: segmentation.morphological_geodesic_active_contour(
    segmentation.inverse_gaussian_gradient(x.astype(np.float32) / 255, 100, 5), 100,
    init_level_set="disk", balloon=-1), crops[:NS], 1)))
