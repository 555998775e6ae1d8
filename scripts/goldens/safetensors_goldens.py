#!/usr/bin/env python3
"""Golden safetensors files written by the official library, for Tests/BantamIOTests.

Library versions: safetensors 0.8.0, torch 2.13.0 (CPU) — the script asserts them.
Run: /work/gold-venv/bin/python scripts/goldens/safetensors_goldens.py   (rerunnable; writes the same bytes)

Writes into Tests/BantamIOTests/Fixtures/:
  official_dtypes.safetensors + .json  every dtype the format has (incl. BF16, F8_E4M3/E5M2 with special
                                       values, F4, C64, U16/32/64, FNUZ, E8M0), a scalar, 0-element tensors,
                                       names that need escaping, unicode names, one metadata key; the JSON
                                       lists each tensor's dtype, shape, data_offsets, raw bytes (hex) and,
                                       for dtypes Bantam computes with, the values as torch reads them.
  writer_reference.safetensors + .json the exact bytes save_file() writes for tensors whose bytes follow a
                                       formula the Swift test reproduces (pattern below); the Swift writer
                                       must produce the same file byte for byte.
  writer_empty.safetensors             save_file({}) (no tensors, no metadata).
  sharded/                             a 2-shard checkpoint with model.safetensors.index.json, written the way
                                       transformers/diffusers write it (json indent=2, sort_keys).
Only one metadata key is used where bytes are compared: the official writer emits __metadata__ in Rust
HashMap order, which is random per process.
"""
import json
import math
import os
import shutil

import safetensors
import torch
from safetensors.torch import save_file, load_file

assert safetensors.__version__ == "0.8.0", safetensors.__version__
assert torch.__version__.startswith("2.13"), torch.__version__

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "BantamIOTests", "Fixtures")

DTYPE_NAMES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.uint16: "U16",
    torch.int32: "I32", torch.uint32: "U32", torch.int64: "I64", torch.uint64: "U64",
    torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
    torch.float8_e4m3fn: "F8_E4M3", torch.float8_e5m2: "F8_E5M2", torch.float8_e8m0fnu: "F8_E8M0",
    torch.float8_e4m3fnuz: "F8_E4M3FNUZ", torch.float8_e5m2fnuz: "F8_E5M2FNUZ",
    torch.float4_e2m1fn_x2: "F4", torch.complex64: "C64",
}
# Dtypes with a Bantam runtime equivalent: their values are listed for the reader test.
FLOAT_RUNTIME = {torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.float8_e4m3fn, torch.float8_e5m2}
INT_RUNTIME = {torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


def encode_float(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def raw_bytes(t):
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def describe(t):
    entry = {"dtype": DTYPE_NAMES[t.dtype], "hex": raw_bytes(t).hex()}
    if t.dtype in FLOAT_RUNTIME:
        entry["values"] = [encode_float(v) for v in t.double().reshape(-1).tolist()]
    elif t.dtype in INT_RUNTIME:
        entry["values"] = [int(v) for v in t.long().reshape(-1).tolist()]
    return entry


def official_dtypes():
    g = torch.Generator().manual_seed(0)
    specials = [float("nan"), float("inf"), float("-inf"), -0.0]

    def normals(n, dtype, extra=()):
        values = torch.randn(n, generator=g, dtype=torch.float64)
        if extra:
            values = torch.cat([torch.tensor(list(extra), dtype=torch.float64), values])
        return values.to(dtype)

    def raw(n, dtype):  # random bytes viewed as a dtype without a torch constructor
        return torch.randint(0, 256, (n,), generator=g, dtype=torch.uint8).view(dtype)

    tensors = {
        "f32.matrix": normals(6, torch.float32, specials + [1e-45, 3.4028234663852886e38]).reshape(3, 4),
        "f16": normals(11, torch.float16, specials + [2.0 ** -24, 65504.0]),
        "bf16": normals(12, torch.bfloat16, specials + [2.0 ** -133, 3.3895313892515355e38]).reshape(2, 3, 3),
        "f64": normals(5, torch.float64, specials),
        "f8_e4m3fn": normals(26, torch.float8_e4m3fn, [float("nan"), 448.0, -448.0, 2.0 ** -9, -0.0, 0.0]).reshape(4, 8),
        "f8_e5m2": normals(9, torch.float8_e5m2, specials + [57344.0, 2.0 ** -16, -(2.0 ** -16)]).reshape(16),
        "i64": torch.tensor([0, 1, -1, 2 ** 62, -(2 ** 63), 2 ** 63 - 1, 123456789012], dtype=torch.int64),
        "i32": torch.randint(-2 ** 31, 2 ** 31 - 1, (2, 5), generator=g, dtype=torch.int32),
        "i16": torch.tensor([-32768, -1, 0, 1, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "u8": torch.randint(0, 256, (3, 3), generator=g, dtype=torch.uint8),
        "bool": torch.tensor([True, False, False, True, True], dtype=torch.bool),
        "u16": raw(6, torch.uint16),
        "u32": raw(12, torch.uint32),
        "u64": raw(16, torch.uint64),
        "c64": raw(16, torch.complex64),
        "f8_e8m0": raw(5, torch.float8_e8m0fnu),
        "f8_e4m3fnuz": raw(3, torch.float8_e4m3fnuz),
        "f8_e5m2fnuz": raw(3, torch.float8_e5m2fnuz),
        "f4": raw(3, torch.float4_e2m1fn_x2),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty.f16": torch.zeros(0, 3, dtype=torch.float16),
        "empty.i32": torch.zeros(2, 0, dtype=torch.int32),
        "ünïcødé.权重.🙂": normals(3, torch.float32),
        "quote\"back\\slash\ttab\nline\x01ctrl/slash": normals(2, torch.bfloat16),
    }
    path = os.path.join(OUT, "official_dtypes.safetensors")
    save_file(tensors, path, metadata={"format": "pt"})

    # Offsets as the official writer chose them (read back from the header it wrote).
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    loaded = load_file(path)
    expected = {"safetensors": safetensors.__version__, "torch": torch.__version__, "header_length": n,
                "metadata": header.pop("__metadata__"), "tensors": {}}
    for name, t in tensors.items():
        assert raw_bytes(loaded[name]) == raw_bytes(t) and loaded[name].dtype == t.dtype, name
        entry = describe(t)
        entry["shape"] = header[name]["shape"]  # F4: the logical shape (two values per byte)
        entry["data_offsets"] = header[name]["data_offsets"]
        expected["tensors"][name] = entry
    with open(os.path.join(OUT, "official_dtypes.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")


def pattern(seed, count, dtype_name):
    """Byte j of a tensor with this seed: (j*131 + seed*71 + 7) mod 256 (BOOL: that & 1). Swift repeats it."""
    data = bytes(((j * 131 + seed * 71 + 7) & 0xFF) & (1 if dtype_name == "BOOL" else 0xFF) for j in range(count))
    return torch.frombuffer(bytearray(data), dtype=torch.uint8) if count else torch.zeros(0, dtype=torch.uint8)


def writer_reference():
    torch_dtype = {v: k for k, v in DTYPE_NAMES.items()}
    # Names chosen to exercise the writer's sort (dtype rank, then bytes: "B" < "a", "a.10" < "a.9") and
    # serde_json's escapes. Shapes include a scalar and 0-element tensors.
    specs = [
        ("a.9", "F32", [3]), ("a.10", "F32", [2, 2]), ("B.upper", "F32", []), ("z", "F64", [1]),
        ("emb", "BF16", [3, 1, 2]), ("h", "F16", [5]), ("e4", "F8_E4M3", [7]), ("e5", "F8_E5M2", [1, 3]),
        ("ids", "I64", [2]), ("i32", "I32", [0, 4]), ("i16", "I16", [3]), ("i8", "I8", [2]), ("u8", "U8", [4]),
        ("mask", "BOOL", [3]), ("zero", "F16", [0]),
        ("quote\"back\\slash\ttab\nline\x01\x1fctrl\x7fdel/", "F32", [1]),
        ("ünï.码.🙂", "BF16", [2]), ("é", "F32", [1]), ("e\u0301", "F32", [1]),
    ]
    tensors, listed = {}, []
    for seed, (name, dtype_name, shape) in enumerate(specs):
        dt = torch_dtype[dtype_name]
        count = math.prod(shape) * torch.tensor([], dtype=dt).element_size()
        t = pattern(seed, count, dtype_name)
        t = t.view(dt).reshape(shape) if count else torch.zeros(shape, dtype=dt)
        tensors[name] = t
        listed.append({"name": name, "dtype": dtype_name, "shape": shape, "seed": seed})
    metadata = {"format": "pt\n\"quoted\" \\ ünï"}
    save_file(tensors, os.path.join(OUT, "writer_reference.safetensors"), metadata=metadata)
    with open(os.path.join(OUT, "writer_reference.json"), "w", encoding="utf-8") as f:
        json.dump({"safetensors": safetensors.__version__, "torch": torch.__version__,
                   "metadata": metadata, "tensors": listed}, f, indent=1, ensure_ascii=False)
        f.write("\n")
    save_file({}, os.path.join(OUT, "writer_empty.safetensors"))


def sharded():
    folder = os.path.join(OUT, "sharded")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    g = torch.Generator().manual_seed(1)
    shards = {
        "model-00001-of-00002.safetensors": {"blocks.0.weight": torch.randn(4, 3, generator=g),
                                             "blocks.0.bias": torch.randn(4, generator=g).to(torch.bfloat16)},
        "model-00002-of-00002.safetensors": {"blocks.1.weight": torch.randn(2, 4, generator=g).to(torch.float16),
                                             "head": torch.randn(3, generator=g)},
    }
    weight_map, total = {}, 0
    for file, tensors in shards.items():
        save_file(tensors, os.path.join(folder, file), metadata={"format": "pt"})
        for name, t in tensors.items():
            weight_map[name] = file
            total += t.numel() * t.element_size()
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    official_dtypes()
    writer_reference()
    sharded()
    print("wrote", OUT)
