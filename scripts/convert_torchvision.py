#!/usr/bin/python3
"""Converts a PyTorch state_dict (a torchvision model, randomly initialised or loaded from a
.pth file) to a safetensors file that `glia predict --weights` reads. Tensor names are the
state_dict keys; num_batches_tracked counters are dropped (glia does not use them).

  /usr/bin/python3 scripts/convert_torchvision.py resnet18 out.safetensors [--classes 1000]
      [--pth weights.pth] [--seed 0]

Uses only torch and torchvision (no safetensors package): the format is written by hand.
"""
import argparse
import json
import struct

import torch
import torchvision


def save_safetensors(path, tensors, metadata):
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        raw = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            fh.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("arch")
    ap.add_argument("out")
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--pth")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = getattr(torchvision.models, a.arch)(num_classes=a.classes)
    if a.pth:
        model.load_state_dict(torch.load(a.pth, map_location="cpu"))
    sd = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_safetensors(a.out, sd, {"arch": a.arch, "classes": str(a.classes)})
    print(f"wrote {a.out}: {len(sd)} tensors")


if __name__ == "__main__":
    main()
