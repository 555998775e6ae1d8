#!/usr/bin/env python3
"""Writes PyTorch's float conversions as golden files for Bantam's FloatBits / ElementConversion tests.

Generated with torch 2.13.0+cpu and numpy 2.4.6 (Python 3.11, x86-64); see requirements.txt.
Rerun from the repository root:

    .venv-goldens/bin/python scripts/goldens/dtype_goldens.py

It writes two files into Tests/BantamCoreTests/Goldens/ (about 0.6 MB together):

* dtype_decode.bgld  - torch's `codes.view(fmt).to(torch.float32)` for every code:
  all 256 float8_e4m3fn and float8_e5m2 codes and all 65536 float16 codes as f32 bit patterns.
  bfloat16 -> float32 is checked for all 65536 codes here (it is `code << 16` for every code, NaNs included);
  the file stores the FNV-1a 64 hash of torch's 65536 results instead of the 256 KB of values.
* dtype_encode.bgld  - a curated and random set of f32 inputs and torch's `x.to(fmt)` bits for bfloat16,
  float16, float8_e4m3fn and float8_e5m2, plus the saturating encodes `x.clamp(-448, 448).to(e4m3fn)` and
  `x.clamp(-57344, 57344).to(e5m2)`.

File format ("bgld", little-endian):
    8 bytes   magic "BANTAMGD"
    u32       length H of the header
    H bytes   UTF-8 JSON header: {"format": "bantam-golden-1", "versions": {...}, "arrays": {name: {
                  "type": "u8" | "u16" | "u32", "count": N, "offset": byte offset from the start of the data,
                  "alternatives": [[value, [index, ...]], ...]}}, ...}
    data      the arrays, each starting at a multiple of 8 bytes from the start of the data.

torch's NaN bit patterns depend on which kernel runs the cast (measured with torch 2.13 on AVX512: a
contiguous f32->bf16 cast writes 0xFFFF for every NaN while a strided one writes 0x7FC0; a contiguous f16->f32
cast writes 0x7FFFFFFF for NaNs in the tail that the vector loop leaves while the rest keep their payload).
Every array is computed through three paths - contiguous, strided, and one element at a time - and the
contiguous result is stored. The script asserts that the paths disagree only where the result is NaN; the
other paths' values are listed in "alternatives" as [value, [indices]], and a test accepts any of torch's values.

torch 2.13's f32->float8_e4m3fn cast saturates (finite values above 464 and +-Inf become
+-448; NaN stays NaN), unlike older releases that produced NaN from 480 up; e5m2 still overflows to +-Inf.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(ROOT, "Tests", "BantamCoreTests", "Goldens")
SEED = 20240613

F8E4 = torch.float8_e4m3fn
F8E5 = torch.float8_e5m2
FORMATS = {"bf16": torch.bfloat16, "f16": torch.float16, "f8e4m3fn": F8E4, "f8e5m2": F8E5}
INT_VIEW = {1: torch.uint8, 2: torch.int16, 4: torch.int32}
NP_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32}


def versions():
    return {"torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def bits_of(t):
    """Bit patterns of a tensor of 1, 2 or 4 byte elements as unsigned numpy integers."""
    size = t.element_size()
    return t.contiguous().view(INT_VIEW[size]).numpy().view(NP_UINT[size]).copy()


def three_paths(inputs, fn):
    """fn applied to `inputs` (a 1-D tensor) contiguously, strided and element by element: three bit arrays."""
    contiguous = bits_of(fn(inputs.clone()))
    spread = torch.stack([inputs, inputs], dim=1).reshape(-1)[::2]   # same values, stride 2
    assert not spread.is_contiguous()
    strided = bits_of(fn(spread))
    single = np.concatenate([bits_of(fn(inputs[i:i + 1].clone())) for i in range(inputs.numel())])
    return contiguous, strided, single


def is_nan_bits(bits, fmt):
    if fmt == "f32":
        return (bits.astype(np.uint32) & 0x7FFFFFFF) > 0x7F800000
    if fmt == "bf16":
        return (bits & 0x7FFF) > 0x7F80
    if fmt == "f16":
        return (bits & 0x7FFF) > 0x7C00
    if fmt == "f8e4m3fn":
        return (bits & 0x7F) == 0x7F
    if fmt == "f8e5m2":
        return (bits & 0x7F) > 0x7C
    raise ValueError(fmt)


def reconcile(name, paths, result_fmt):
    """The contiguous result and the [value, [indices]] alternatives of the other paths (all must be NaN)."""
    main = paths[0]
    alternatives = {}
    for other in paths[1:]:
        for i in np.nonzero(other != main)[0]:
            assert is_nan_bits(main[i:i + 1], result_fmt)[0] and is_nan_bits(other[i:i + 1], result_fmt)[0], \
                f"{name}: torch paths disagree on a non-NaN result at {i}: {main[i]:#x} vs {other[i]:#x}"
            alternatives.setdefault(int(other[i]), set()).add(int(i))
    return main, [[v, sorted(alternatives[v])] for v in sorted(alternatives)]


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def write_golden(path, header, arrays):
    """arrays: list of (name, numpy array of u8/u16/u32, alternatives)."""
    data = bytearray()
    header = dict(header)
    header["format"] = "bantam-golden-1"
    header["arrays"] = {}
    for name, values, alternatives in arrays:
        while len(data) % 8:
            data.append(0)
        kind = {np.dtype(np.uint8): "u8", np.dtype(np.uint16): "u16", np.dtype(np.uint32): "u32"}[values.dtype]
        header["arrays"][name] = {"type": kind, "count": int(values.size), "offset": len(data),
                                  "alternatives": alternatives}
        data += values.astype(values.dtype.newbyteorder("<")).tobytes()
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    with open(path, "wb") as f:
        f.write(b"BANTAMGD" + struct.pack("<I", len(text)) + text + bytes(data))
    print(f"wrote {os.path.relpath(path, ROOT)}: {os.path.getsize(path)} bytes")


# ---------------------------------------------------------------- decode

def decode_goldens():
    arrays = []
    notes = {}
    for name, fmt, n in [("f8e4m3fn", F8E4, 256), ("f8e5m2", F8E5, 256), ("f16", torch.float16, 65536)]:
        raw = torch.arange(n, dtype=torch.int64).to(torch.int32)
        codes = raw.to(torch.uint8) if n == 256 else raw.to(torch.int16)   # int16 wraps: bit pattern kept
        paths = three_paths(codes, lambda c: c.view(fmt).to(torch.float32))
        main, alternatives = reconcile(f"decode {name}", paths, "f32")
        arrays.append((f"decode_{name}", main.astype(np.uint32), alternatives))
    # bf16: all 65536 codes; torch's result is code << 16 (asserted) and only its hash is stored.
    codes = torch.arange(65536, dtype=torch.int32).to(torch.int16)
    paths = three_paths(codes, lambda c: c.view(torch.bfloat16).to(torch.float32))
    for p in paths:
        assert np.array_equal(p, np.arange(65536, dtype=np.uint32) << 16), "bf16 decode is not code << 16"
    notes["bf16_decode_rule"] = "f32 bits = code << 16 for all 65536 codes (all three paths)"
    notes["bf16_decode_fnv1a64"] = f"{fnv1a64(paths[0].astype('<u4').tobytes()):016x}"
    notes["fnv1a64"] = "FNV-1a 64 over the 65536 f32 results as little-endian u32, codes in increasing order"
    return arrays, notes


# ---------------------------------------------------------------- encode inputs

def f32(values):
    return np.asarray(values, dtype=np.float32)


def f32_bits(bits):
    return np.asarray(bits, dtype=np.uint32).view(np.float32)


def next_up_down(x):
    """x, the next f32 above and the next below (x: f32 array)."""
    return np.concatenate([x, np.nextafter(x, np.float32(np.inf)), np.nextafter(x, np.float32(-np.inf))])


def finite_positive_values(fmt):
    """Every finite value >= 0 of a format, ascending (as float64)."""
    n = 256 if fmt in (F8E4, F8E5) else 65536
    raw = torch.arange(n, dtype=torch.int32)
    codes = raw.to(torch.uint8) if n == 256 else raw.to(torch.int16)
    values = codes.view(fmt).to(torch.float64).numpy()
    values = values[np.isfinite(values) & (values >= 0)]
    return np.unique(values)


def midpoints(values, above_max):
    """Midpoints between neighbours (exact in f64 and in f32 for these formats), plus max..above_max."""
    v = np.append(values, above_max)
    mids = (v[:-1] + v[1:]) / 2
    assert np.all(f32(mids).astype(np.float64) == mids), "a midpoint is not an f32"
    return mids


def encode_inputs(rng):
    parts = []
    specials = [0.0, -0.0, np.inf, -np.inf, 1.0, -1.0, 0.5, 2.0, 3.0, 65504.0, 65505.0, 65519.0, 65519.996,
                65520.0, 65536.0, 448.0, 464.0, 479.99, 480.0, 500.0, 1e30, -1e30, 57344.0, 61439.0, 61440.0,
                65535.0, 1e-45, 1e-40, 6e-8, 5.96e-8, 2.98e-8, 1e-8, 1e-5, 3.4e38]
    parts.append(f32(specials))
    parts.append(-f32(specials))
    parts.append(f32_bits([0x00000001, 0x80000001, 0x00000002, 0x007FFFFF, 0x807FFFFF, 0x00800000, 0x80800000,
                           0x7F7FFFFF, 0xFF7FFFFF, 0x7F7F7FFF, 0x7F7F8000, 0x7F7F8001, 0x7F7FFFFF,
                           0x33000000, 0x33000001, 0x32FFFFFF, 0x337FFFFF, 0x33800000,   # f16 tiny ties
                           0x43E80000, 0x43E80001, 0x43E7FFFF, 0x43EFFFFF, 0x43F00000,   # 464, 480
                           0x47700000, 0x476FFFFF, 0x47700001, 0x47800000]))            # 61440, 65536
    nans = [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0xFFFFFFFF, 0x7FA00000, 0x7FC01234,
            0x7F802000, 0xFFBFE000, 0x7F801FFF, 0x7FBFFFFF, 0xFFC00001, 0x7FE00000, 0x7F900000]
    parts.append(f32_bits(nans))
    # e4m3fn: around the largest finite value and the overflow boundary (issue list)
    parts.append(next_up_down(f32([448.0, 464.0, 479.99, 480.0, 1e30, 57344.0, 61440.0, 65536.0])))

    # Midpoints: every neighbour pair of fp8; for f16 and bf16 a spread over every binade.
    for fmt, above in [(F8E4, 480.0), (F8E5, 65536.0)]:
        mids = f32(midpoints(finite_positive_values(fmt), above))
        both = np.concatenate([mids, -mids])
        parts.append(next_up_down(both))
        parts.append(next_up_down(f32(finite_positive_values(fmt))))          # the values themselves, ± 1 ulp
        parts.append(-f32(finite_positive_values(fmt)))
    for fmt, above, per_binade in [(torch.float16, 65536.0, 32), (torch.bfloat16, 2.0 ** 128, 4)]:
        values = finite_positive_values(fmt)
        mids = midpoints(values, above)
        exps = np.floor(np.log2(np.maximum(values, np.finfo(np.float64).tiny)))
        exps[values == 0] = -1000
        chosen = []
        for e in np.unique(exps):
            idx = np.nonzero(exps == e)[0]
            picks = {idx[0], idx[-1]}   # first and last of the binade (the last one crosses into the next)
            if idx.size > 2:
                picks.update(rng.choice(idx[1:-1], size=min(per_binade - 2, idx.size - 2), replace=False).tolist())
            chosen.extend(sorted(picks))
        chosen_mids = f32(mids[np.array(chosen)])
        signs = np.where(rng.random(chosen_mids.size) < 0.5, -1, 1).astype(np.float32)
        parts.append(next_up_down(chosen_mids * signs))
        # subnormals of the format themselves (all of them for f16 would be 1023: take the powers of two + random)
        subs = values[(values > 0) & (values < (2.0 ** -14 if fmt == torch.float16 else 2.0 ** -126))]
        parts.append(f32(subs[np.unique(np.concatenate([2 ** np.arange(int(np.log2(subs.size)) + 1) - 1,
                                                          rng.choice(subs.size, 24, replace=False)]))]))

    # Random f32 bit patterns (every class: NaN, Inf, subnormal, normal) and random normals at many scales.
    parts.append(rng.integers(0, 2 ** 32, size=20000, dtype=np.uint64).astype(np.uint32).view(np.float32))
    for scale in [1e-9, 1e-7, 1e-5, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 448.0, 1e4, 6e4, 1e6, 1e20]:
        parts.append(f32(rng.standard_normal(160) * scale))
    return np.concatenate(parts).astype(np.float32)


def encode_goldens(rng):
    inputs = encode_inputs(rng)
    x = torch.from_numpy(inputs.copy())
    arrays = [("encode_input_f32", inputs.view(np.uint32), [])]
    casts = [("bf16", lambda t: t.to(torch.bfloat16)),
             ("f16", lambda t: t.to(torch.float16)),
             ("f8e4m3fn", lambda t: t.to(F8E4)),
             ("f8e5m2", lambda t: t.to(F8E5)),
             ("f8e4m3fn_saturating", lambda t: t.clamp(-448.0, 448.0).to(F8E4)),
             ("f8e5m2_saturating", lambda t: t.clamp(-57344.0, 57344.0).to(F8E5))]
    for name, fn in casts:
        fmt = name.replace("_saturating", "")
        main, alternatives = reconcile(f"encode {name}", three_paths(x, fn), fmt)
        arrays.append((f"encode_{name}", main, alternatives))
    return arrays, inputs.size


def main():
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    os.makedirs(OUT_DIR, exist_ok=True)
    header = {"generator": "scripts/goldens/dtype_goldens.py", "versions": versions(), "seed": SEED}

    arrays, notes = decode_goldens()
    write_golden(os.path.join(OUT_DIR, "dtype_decode.bgld"), dict(header, notes=notes), arrays)

    arrays, count = encode_goldens(rng)
    write_golden(os.path.join(OUT_DIR, "dtype_encode.bgld"), dict(header, inputs=count), arrays)


if __name__ == "__main__":
    main()
