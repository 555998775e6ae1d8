#!/usr/bin/env python3
"""PyTorch goldens for the CPU reference kernels: gelu (tanh), layer_norm, group_norm, rms_norm, softmax.

Writes Tests/BantamCPUTests/Fixtures/cpu_ops_goldens.json: for each op, in f32 and bf16, the inputs and
torch's output (bf16 cases: inputs rounded to bf16 first, torch's own bf16 op, whose CPU kernels compute
in f32 and round the output once). Values are stored exactly (every f32/bf16 value is a float64, and
Python writes the shortest repr that reads back to it); non-finite values are the strings "inf", "-inf",
"nan".

Produced with torch 2.13.0+cpu and numpy 2.4.6 (/work/gold-venv). Rerunnable: the seed is fixed, so
rerunning reproduces the file on the same torch version.
Usage: /work/gold-venv/bin/python scripts/goldens/cpu_ops_goldens.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "BantamCPUTests", "Fixtures",
                   "cpu_ops_goldens.json")
DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16}


def values(t):
    """Flat list of a tensor's values as float64, non-finite values as strings."""
    out = []
    for v in t.detach().to(torch.float64).flatten().tolist():
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(v)
    return out


def case(op, dtype, x, out, **extra):
    entry = {"op": op, "dtype": dtype, "shape": list(x.shape), "x": values(x), "out": values(out)}
    for key, value in extra.items():
        entry[key] = values(value) if isinstance(value, torch.Tensor) else value
    return entry


def main():
    torch.manual_seed(20260417)
    cases = []
    gelu_x = torch.randn(96) * 3
    gelu_x[:4] = torch.tensor([0.0, -0.5, 8.0, -8.0])
    ln_x, ln_w, ln_b = torch.randn(3, 40) * 2 + 1, torch.randn(40), torch.randn(40)
    gn_x, gn_w, gn_b = torch.randn(2, 8, 3, 3) * 2 - 1, torch.randn(8), torch.randn(8)
    rms_x, rms_w = torch.randn(3, 40) * 3, torch.randn(40)
    sm_x = torch.randn(4, 33) * 3
    sm_x[1, :5] = float("-inf")

    for name, dtype in DTYPES.items():
        x = gelu_x.to(dtype)
        cases.append(case("gelu_tanh", name, x, F.gelu(x, approximate="tanh")))

        x, w, b = ln_x.to(dtype), ln_w.to(dtype), ln_b.to(dtype)
        cases.append(case("layer_norm", name, x, F.layer_norm(x, (40,), w, b, eps=1e-5), weight=w, bias=b, eps=1e-5))
        cases.append(case("layer_norm", name, x, F.layer_norm(x, (40,), eps=1e-6), eps=1e-6))

        x, w, b = gn_x.to(dtype), gn_w.to(dtype), gn_b.to(dtype)
        cases.append(case("group_norm", name, x, F.group_norm(x, 4, w, b, eps=1e-5), weight=w, bias=b, eps=1e-5, groups=4))
        cases.append(case("group_norm", name, x, F.group_norm(x, 8, eps=1e-6), eps=1e-6, groups=8))

        x, w = rms_x.to(dtype), rms_w.to(dtype)
        cases.append(case("rms_norm", name, x, F.rms_norm(x, (40,), w, eps=1e-6), weight=w, eps=1e-6))

        x = sm_x.to(dtype)
        cases.append(case("softmax", name, x, torch.softmax(x, dim=-1)))

    document = {
        "generator": "scripts/goldens/cpu_ops_goldens.py",
        "versions": {"torch": torch.__version__, "numpy": __import__("numpy").__version__},
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(document, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
