#!/usr/bin/env python3
"""PyTorch goldens for Bantam's CPU attention, conv2d and nearest-upsampling kernels.

Written with torch 2.13.0 (CPU), Python 3; no other libraries. Rerunnable: a fixed seed gives the same file.
Run:  /work/gold-venv/bin/python scripts/goldens/cpu_attention_conv_goldens.py
Writes Tests/BantamCPUTests/Fixtures/attention_conv.json:
  inputs are float32 values (drawn in float32, stored exactly with 9 significant digits);
  outputs are computed by torch in float64 from those inputs (stored with 9 digits), so the Swift test compares its f32 kernels
  with PyTorch's semantics (mask broadcasting, is_causal alignment, fully masked rows, conv padding/groups,
  nearest index rule) at f32 tolerance. Non-finite values are written as the strings "inf", "-inf", "nan".
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "BantamCPUTests", "Fixtures", "attention_conv.json")


def number(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.9g}")   # exact for the float32 inputs; ~1e-9 relative for the float64 outputs


def pack(t):
    return {"shape": list(t.shape), "data": [number(float(x)) for x in t.flatten().tolist()]}


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def attention_case(name, b, h, lq, lk, d, dv, mask=None, causal=False, scale=None):
    q, k, v = randn(b, h, lq, d), randn(b, h, lk, d), randn(b, h, lk, dv)
    m64 = None if mask is None else mask.double()
    out = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), attn_mask=m64, is_causal=causal, scale=scale)
    return {"name": name, "q": pack(q), "k": pack(k), "v": pack(v), "mask": None if mask is None else pack(mask),
            "causal": causal, "scale": scale, "out": pack(out)}


def conv_case(name, n, c, h, w, o, kh, kw, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, bias=True):
    x, wt = randn(n, c, h, w), randn(o, c // groups, kh, kw) * 0.5
    bs = randn(o) if bias else None
    out = F.conv2d(x.double(), wt.double(), None if bs is None else bs.double(), stride=stride, padding=padding,
                   dilation=dilation, groups=groups)
    return {"name": name, "x": pack(x), "weight": pack(wt), "bias": None if bs is None else pack(bs),
            "stride": list(stride), "padding": list(padding), "dilation": list(dilation), "groups": groups,
            "out": pack(out)}


def interpolate_case(name, shape, factor):
    x = randn(*shape)
    out = F.interpolate(x, scale_factor=factor, mode="nearest")
    return {"name": name, "x": pack(x), "factor": factor, "out": pack(out)}


def main():
    torch.manual_seed(20240611)
    attention = [
        attention_case("plain", 1, 2, 5, 5, 8, 8),
        attention_case("lq_ne_lk_dv", 2, 1, 3, 6, 8, 4),
        attention_case("custom_scale", 1, 1, 4, 7, 8, 8, scale=0.3),
        attention_case("causal_square", 1, 2, 6, 6, 8, 8, causal=True),
        attention_case("causal_lq_lt_lk", 1, 1, 3, 7, 8, 8, causal=True),
        attention_case("causal_lq_gt_lk", 1, 1, 7, 4, 8, 8, causal=True),
    ]
    # A [1, 1, Lq, Lk] padding-style mask with a fully masked row (torch gives zeros there).
    pad = torch.zeros(1, 1, 5, 6)
    pad[..., 4:] = float("-inf")
    pad[0, 0, 2, :] = float("-inf")
    attention.append(attention_case("mask_broadcast_fully_masked_row", 2, 2, 5, 6, 8, 8, mask=pad))
    # A [1, H, Lq, Lk] T5-style additive bias, broadcast over the batch.
    attention.append(attention_case("t5_bias", 2, 3, 4, 5, 8, 8, mask=randn(1, 3, 4, 5)))

    conv = [
        conv_case("k1_pointwise", 1, 3, 5, 7, 4, 1, 1),
        conv_case("k3_pad1", 2, 3, 5, 7, 4, 3, 3, padding=(1, 1)),
        conv_case("k3_stride2_pad1", 1, 2, 7, 6, 3, 3, 3, stride=(2, 2), padding=(1, 1)),
        conv_case("k3_stride2_nopad_nobias", 1, 2, 7, 7, 3, 3, 3, stride=(2, 2), bias=False),
        conv_case("groups2", 1, 4, 5, 5, 6, 3, 3, padding=(1, 1), groups=2),
        conv_case("depthwise", 1, 3, 5, 6, 3, 3, 3, padding=(1, 1), groups=3),
        conv_case("dilation2", 1, 2, 7, 7, 2, 3, 3, padding=(2, 2), dilation=(2, 2)),
        conv_case("rect_kernel_stride", 1, 2, 6, 5, 2, 3, 2, stride=(2, 1), padding=(1, 0)),
    ]

    interpolate = [
        interpolate_case("f2", (1, 2, 3, 4), 2),
        interpolate_case("f3", (2, 1, 2, 3), 3),
        interpolate_case("f1", (1, 1, 3, 2), 1),
    ]

    doc = {
        "generator": "scripts/goldens/cpu_attention_conv_goldens.py",
        "versions": {"torch": torch.__version__, "python": sys.version.split()[0]},
        "attention": attention,
        "conv2d": conv,
        "interpolate": interpolate,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
