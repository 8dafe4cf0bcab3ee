#!/usr/bin/python3
"""PyTorch 1.13 peer of `glia bench`: the same model, input and step on a synthetic batch.

  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/nn_peer.py --arch resnet18 --size 224 \
      --batch 16 [--channels 3] [--train] [--steps 5] [--threads 2] \
      [--malloc keep|default] [--channels-last] [--warmup 2]

Prints one JSON line with the keys of `glia bench` (and the peer's settings). A training step
is forward + cross-entropy + backward + AdamW, as in glia; inference runs in eval mode under
no_grad.

--malloc keep (the default) tells glibc to keep freed memory for reuse instead of giving it
back to the kernel: mallopt(M_MMAP_MAX, 0) so that no block is mmap-ed (glibc caps the mmap
threshold at 32 MiB, below a 67 MB activation of the small CNN) and M_TRIM_THRESHOLD at 2 GiB
so that the heap top is not trimmed. PyTorch 1.13's CPU allocator has no cache of its own, so
with glibc's defaults every large activation is mmap-ed and munmap-ed in each step, and its
pages fault in again; in this virtual machine a minor page fault costs about 25 us (a 67 MB
torch.relu into a new tensor: 450 ms, into an existing one: 16 ms), which made the peer 3-10x
slower than its kernels (bench/run_nn.sh runs both). PyTorch's CPU tuning guide gets the
same effect from jemalloc or tcmalloc, which Debian 12's torch does not use by default.
Two warm-up steps: with --malloc keep the heap still grows (and faults) in the second step;
from the third on a step has no page fault.
--channels-last puts the model and input in torch.channels_last (NHWC); oneDNN then runs
its brgconv kernels without reordering every activation.
"""
import argparse
import ctypes
import json
import resource
import time

import torch
import torch.nn as nn
import torchvision


def small_cnn(channels, classes):
    layers, c = [], channels
    for i in range(4):
        layers += [nn.Conv2d(c, 32 << i, 3, padding=1), nn.BatchNorm2d(32 << i), nn.ReLU(),
                   nn.MaxPool2d(2)]
        c = 32 << i
    model = nn.Sequential()
    model.features = nn.Sequential(*layers)
    model.pool = nn.AdaptiveAvgPool2d(1)
    model.flatten = nn.Flatten()
    model.classifier = nn.Linear(256, classes)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--malloc", choices=("keep", "default"), default="keep")
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    if a.malloc == "keep":
        libc = ctypes.CDLL("libc.so.6")
        # M_MMAP_MAX = -4, M_TRIM_THRESHOLD = -1 (malloc.h); mallopt returns 1 on success.
        if libc.mallopt(-4, 0) != 1 or libc.mallopt(-1, 2**31 - 1) != 1:
            raise SystemExit("nn_peer.py: mallopt failed")
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.arch == "resnet18":
        model = torchvision.models.resnet18(num_classes=a.classes)
        if a.channels != 3:
            model.conv1 = nn.Conv2d(a.channels, 64, 7, 2, 3, bias=False)
    else:
        model = small_cnn(a.channels, a.classes)
    x = torch.randn(a.batch, a.channels, a.size, a.size)
    y = torch.arange(a.batch) % a.classes
    if a.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train(a.train)

    def step():
        if a.train:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        else:
            with torch.no_grad():
                model(x)

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    dt = (time.perf_counter() - t0) / a.steps
    print(json.dumps({"arch": a.arch, "size": a.size, "batch": a.batch, "train": a.train,
                      "malloc": a.malloc, "channels_last": a.channels_last,
                      "images_per_s": round(a.batch / dt, 2), "ms_per_step": round(1e3 * dt, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
