#!/usr/bin/env python3
"""Quantized-weight goldens for BantamQuant: files in the formats people download, written the way
ComfyUI, bitsandbytes and Forge write them, with their dequantized tensors; and bitsandbytes' and torch's
quantization results for random inputs, so Bantam's quantizers can be checked bit for bit.

Reference stack (the versions the committed fixtures were made with):
    torch 2.13.0+cpu, bitsandbytes 0.50.2 (its CPU quantize_4bit / dequantize_4bit), safetensors 0.8.0,
    numpy 2.4.6

Writes Tests/Fixtures/quant/ (about 1 MB):
  comfy_fp8_plain.safetensors      plain fp8 (Comfy's flux1-dev-fp8 style): F8_E4M3 / F8_E5M2 weights, no scales
  comfy_fp8_scaled.safetensors     legacy scaled fp8: `scaled_fp8` marker (F8_E4M3, shape [0]), per layer
                                   `.weight` F8_E4M3 + `.scale_weight` F32 [] (+ `.scale_input` F32 [])
  comfy_quant.safetensors          comfy_quant: `.comfy_quant` U8 JSON, `.weight` F8, `.weight_scale` F32 [],
                                   `.input_scale` F32 []
  comfy_quant_metadata.safetensors the same configs in __metadata__["_quantization_metadata"]
  bnb_nf4_v2.safetensors           bitsandbytes NF4 as Forge / diffusers save it (`Linear4bit._save_to_state_dict`:
                                   `.weight` U8 [n/2, 1] + `quantize_4bit(...)[1].as_dict(packed=True)` under `.weight.`)
  bnb_nf4_v1.safetensors           the same with compress_statistics=True (double-quantized absmax)
  expected.safetensors             for every quantized layer of those files, `<file stem>/<layer>.weight`: the f32
                                   dequantization (torch: `w8.float() * scale`; bitsandbytes: dequantize_4bit with
                                   dtype float32) and `<file stem>/<layer>.weight.native`: bitsandbytes' result in the
                                   layer's own dtype; for v1 also `.weight.absmax_f32` (the decoded absmax)
  nf4_quantize.safetensors         inputs (f32, bf16, f16; full and partial blocks; values exactly on the code
                                   midpoints; zero blocks) and bitsandbytes' packed codes and absmax for each
  nf4_codes.safetensors            all 16 NF4 codes in both nibble positions dequantized by bitsandbytes
  fp8_quantize.safetensors         inputs and torch's per-row / per-tensor / plain FP8 quantization
                                   (`scale = amax / fp8max` (1 if amax is 0), `w8 = (w * (1 / scale)).to(fp8)`)
  fp8_codes.safetensors            all 256 codes of e4m3fn and e5m2 times a few scales, as torch computes them
  flux_tiny_forge_nf4_mixed.safetensors  a Forge-style all-in-one file made from the flux-tiny fixture: the
                                   transformer in bitsandbytes NF4 v2 (`model.diffusion_model.`), T5 in plain
                                   fp8 e4m3fn (`text_encoders.t5xxl.transformer.`), CLIP-L in f16, the AE in bf16;
                                   expected.safetensors holds `mixed/<transformer key>` = bitsandbytes' f32
                                   dequantization of each NF4 weight

  --check-bantam-nf4 FILE  loads a file written by `bantam quantize --to nf4` with bitsandbytes
  (`Params4bit.from_prequantized`, `Linear4bit.load_state_dict`) and asserts that its codes and absmax equal
  bitsandbytes' own quantize_4bit of the source layer, that dequantize_4bit works and a Linear4bit forward
  runs; writes the result to Tests/Fixtures/quant/bantam_nf4_bnb_check.json.
  --check-bantam-fp8-scaled FILE  loads a `bantam quantize --to fp8-scaled` file the way ComfyUI's
  scaled_fp8 ops do (marker popped, `weight.float() * scale_weight`) and asserts the codes and scales equal
  ComfyUI's recipe computed by torch; writes bantam_fp8_scaled_check.json.

Rerunning reproduces the files bit for bit (fixed seeds).
"""
import hashlib, json, sys
from pathlib import Path

import numpy as np
import torch
import bitsandbytes as bnb
import bitsandbytes.functional as F
from safetensors import safe_open
from safetensors.torch import save_file, load_file
from bitsandbytes.backends.default.ops import _dequantize_4bit_compute

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "quant"
TINY = ROOT / "Tests" / "Fixtures" / "flux-tiny"
VERSIONS = {"generator": "scripts/goldens/quant_goldens.py", "torch": torch.__version__,
            "bitsandbytes": bnb.__version__, "numpy": np.__version__}

E4M3, E5M2 = torch.float8_e4m3fn, torch.float8_e5m2
FP8MAX = {E4M3: 448.0, E5M2: 57344.0}


def save(tensors, path, metadata):
    """safetensors' save_file, then the header's __metadata__ re-emitted with sorted keys: the library
    writes it in Rust HashMap order, which changes from run to run; sorting makes reruns byte-identical
    (the header keeps its length, so the data does not move)."""
    save_file(tensors, path, metadata=metadata)
    with open(path, "r+b") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
        text = json.dumps(header, separators=(",", ":")).encode()
        assert len(text) <= n
        f.seek(8)
        f.write(text + b" " * (n - len(text)))


def gen(seed):
    return torch.Generator().manual_seed(seed)


def randn(shape, seed, scale=1.0, dtype=torch.float32):
    return (torch.randn(shape, generator=gen(seed)) * scale).to(dtype)


# ---------------------------------------------------------------- FP8 (ComfyUI's recipe, torch's casts)

def fp8_quantize(w, dtype, granularity):
    """w (any float) -> (codes as fp8, scales f32 per row). granularity: 'row', 'tensor' or 'none'."""
    w = w.float()
    rows = w.shape[0]
    if granularity == "none":
        return w.to(dtype), torch.ones(rows)
    amax = w.abs().amax(dim=1) if granularity == "row" else w.abs().amax().expand(rows)
    scale = torch.where(amax > 0, amax / FP8MAX[dtype], torch.ones_like(amax))
    return (w * (1.0 / scale)[:, None]).to(dtype), scale.contiguous()


def fp8_dequantize(codes, scales):
    return codes.float() * scales[:, None]


def fp8_goldens():
    inputs = {
        "a_f32": randn((17, 33), 1, 0.05),
        "b_bf16": randn((7, 129), 2, 0.02, torch.bfloat16),
        "c_f16": randn((5, 64), 3, 1.0, torch.float16),
    }
    edge = randn((6, 40), 4, 0.03)
    edge[0] = 0                                   # zero row: scale 1, codes 0
    edge[1, 3] = 1e6                              # one huge value dominates the row
    edge[2] *= 1e-7                               # tiny row: scaled up to the FP8 range
    edge[3] = torch.linspace(-500, 500, 40)       # beyond 448 for the plain cast (saturates in torch 2.13)
    edge[4, :] = 448.0
    edge[5, ::2] = -edge[5, ::2]
    inputs["d_edge_f32"] = edge
    out = {}
    for name, w in inputs.items():
        out[f"{name}.input"] = w
        for dtype, dname in ((E4M3, "e4m3fn"), (E5M2, "e5m2")):
            for g in ("row", "tensor", "none"):
                if dtype == E5M2 and g == "none" and name == "d_edge_f32":
                    continue                      # torch's e5m2 cast gives Inf past 61440; Bantam saturates
                codes, scales = fp8_quantize(w, dtype, g)
                out[f"{name}.{dname}.{g}.codes"] = codes
                out[f"{name}.{dname}.{g}.scales"] = scales
                out[f"{name}.{dname}.{g}.dequantized"] = fp8_dequantize(codes, scales)
    save(out, OUT / "fp8_quantize.safetensors", VERSIONS)

    codes = {}
    all_codes = torch.arange(256, dtype=torch.uint8)
    for dtype, dname in ((E4M3, "e4m3fn"), (E5M2, "e5m2")):
        f = all_codes.view(dtype)
        for i, s in enumerate([1.0, 0.0013427734375, 3.7e-5, 2.5]):
            scale = torch.tensor(s, dtype=torch.float32)
            codes[f"{dname}.scale{i}"] = scale.reshape(1)
            codes[f"{dname}.scale{i}.values"] = f.float() * scale
    save(codes, OUT / "fp8_codes.safetensors", VERSIONS)


# ---------------------------------------------------------------- NF4 (bitsandbytes)

def nf4_quantize(w, nested=False):
    return F.quantize_4bit(w, blocksize=64, quant_type="nf4", compress_statistics=nested)


# bitsandbytes' reference NF4 dequantization (backends/default/ops.py, run eagerly, without torch.compile):
# element e of the flattened weight is code[nibble e] * absmax[e // blocksize] in f32, then cast. The CUDA
# kernels that wrote the published files compute the same. bitsandbytes 0.50.2's CPU C++ kernel
# (`cdequantize_blockwise_cpu_nf4_*`, used by F.dequantize_4bit on the CPU) instead indexes absmax per row
# as row * (n // blocksize) + col // blocksize, which differs whenever the in-features n are not a multiple of
# the block size (e.g. every layer of the hidden-32 flux-tiny model); the goldens therefore use the reference.
_reference_dequantize_4bit = getattr(_dequantize_4bit_compute, "__wrapped__", _dequantize_4bit_compute)


def nf4_dequantize(packed, state, dtype=None):
    absmax = state.absmax
    if state.nested:
        absmax = F.dequantize_blockwise(state.absmax, state.state2)
        absmax += state.offset
        absmax = absmax.float()
    out = _reference_dequantize_4bit(packed.reshape(-1), absmax, state.code, state.blocksize, state.shape, dtype or state.dtype)
    if state.shape[-1] % state.blocksize == 0:       # where bitsandbytes' CPU kernel is right, it must agree
        kernel = F.dequantize_4bit(packed, state)
        assert torch.equal(kernel.to(out.dtype), out) or dtype not in (None, state.dtype)
    return out


def midpoint_blocks():
    """Blocks whose scaled values fall exactly on the NF4 decision points (and one ulp either side)."""
    code = F.get_4bit_type("nf4", device="cpu").float()
    mid = (code[:-1] + code[1:]) / 2
    below = torch.nextafter(mid, torch.tensor(-2.0))
    above = torch.nextafter(mid, torch.tensor(2.0))
    rows = []
    for amax in (1.0, 0.5):
        base = torch.cat([torch.tensor([1.0]), mid, -mid, below, above, -below[:3]])[:64] * amax
        rows.append(base)
    zero = torch.zeros(64)
    spiky = randn((64,), 5, 1e-4); spiky[10] = 3.0            # codes of the small values collapse to 0
    rows += [zero, spiky]
    return torch.stack(rows)                                  # [4, 64]


def nf4_goldens():
    inputs = {
        "a_f32": randn((129, 64), 11, 0.05),
        "b_bf16": randn((33, 18), 12, 0.02, torch.bfloat16),     # 594 = 9 blocks + 18
        "c_f16": randn((7, 130), 13, 1.0, torch.float16),        # 910 = 14 blocks + 14
        "d_midpoints_f32": midpoint_blocks(),
        "e_partial_zero_f32": torch.cat([randn((64,), 14), torch.zeros(36)]).reshape(2, 50),
        "f_uniform_f32": (torch.rand((3, 4096), generator=gen(15)) * 2 - 1) * 0.3,
    }
    out = {}
    for name, w in inputs.items():
        packed, state = nf4_quantize(w)
        out[f"{name}.input"] = w
        out[f"{name}.codes"] = packed.reshape(-1)
        out[f"{name}.absmax"] = state.absmax
    save(out, OUT / "nf4_quantize.safetensors", VERSIONS)

    # Every code in both nibble positions: bytes 0x00..0xFF, absmax per 64-element block.
    packed = torch.arange(256, dtype=torch.uint8).repeat(2)          # 1024 elements = 16 blocks
    absmax = torch.linspace(0.01, 3.0, 16, dtype=torch.float32)
    state = nf4_quantize(torch.zeros(16, 64))[1]
    state.absmax = absmax
    state.dtype = torch.float32
    deq = nf4_dequantize(packed.reshape(-1, 1), state)
    save({"packed": packed, "absmax": absmax, "quant_map": state.code.float(),
          "dequantized": deq.reshape(-1)}, OUT / "nf4_codes.safetensors", VERSIONS)


def bnb_layer_entries(prefix, w, nested):
    """The keys bitsandbytes' Linear4bit._save_to_state_dict writes for a weight (Forge saves the same)."""
    packed, state = nf4_quantize(w, nested)
    entries = {prefix + ".weight": packed}
    for k, v in state.as_dict(packed=True).items():
        entries[prefix + ".weight." + k] = v
    expected = {
        prefix + ".weight": nf4_dequantize(packed, state, torch.float32),
        prefix + ".weight.native": nf4_dequantize(packed, state),
    }
    if nested:
        absmax = F.dequantize_blockwise(state.absmax, state.state2)
        absmax += state.offset
        expected[prefix + ".weight.absmax_f32"] = absmax
    return entries, expected


# ---------------------------------------------------------------- files in the published formats

def format_files():
    expected = {}

    def record(stem, layer, w):
        expected[f"{stem}/{layer}.weight"] = w.contiguous()

    # Plain fp8: weights cast, everything else as it was.
    w0, w1 = randn((96, 40), 21, 0.05, torch.bfloat16), randn((32, 18), 22, 0.04, torch.bfloat16)
    plain = {"layers.0.weight": w0.to(E4M3), "layers.0.bias": randn((96,), 23, 0.1, torch.bfloat16),
             "layers.1.weight": w1.to(E5M2), "norm.scale": randn((40,), 24, 1.0, torch.bfloat16)}
    save(plain, OUT / "comfy_fp8_plain.safetensors", VERSIONS)
    record("comfy_fp8_plain", "layers.0", plain["layers.0.weight"].float())
    record("comfy_fp8_plain", "layers.1", plain["layers.1.weight"].float())

    # Legacy scaled fp8 (ComfyUI model_detection / scaled_fp8_ops): marker + scale_weight (+ scale_input).
    scaled = {"scaled_fp8": torch.tensor([], dtype=E4M3)}
    layers = [("layers.0", randn((64, 48), 25, 0.03), 0.8), ("layers.1", randn((40, 64), 26, 2.0), None)]
    for name, w, input_scale in layers:
        codes, scales = fp8_quantize(w, E4M3, "tensor")
        scaled[name + ".weight"] = codes
        scaled[name + ".scale_weight"] = scales[0].clone().reshape(())
        scaled[name + ".bias"] = randn((w.shape[0],), 27, 0.1, torch.bfloat16)
        if input_scale is not None:
            scaled[name + ".scale_input"] = torch.tensor(input_scale, dtype=torch.float32)
        record("comfy_fp8_scaled", name, codes.float() * scaled[name + ".scale_weight"])
    scaled["layers.2.weight"] = randn((16, 40), 28, 0.05, torch.bfloat16)      # not quantized
    save(scaled, OUT / "comfy_fp8_scaled.safetensors", VERSIONS)

    # comfy_quant (ComfyUI mixed precision): per-layer JSON, weight_scale, input_scale.
    configs = {"layers.0": {"format": "float8_e4m3fn"},
               "layers.1": {"format": "float8_e4m3fn", "full_precision_matrix_mult": True}}
    cq, cq_meta = {}, {}
    for (name, cfg), seed in zip(configs.items(), (31, 32)):
        w = randn((48, 32), seed, 0.07)
        codes, scales = fp8_quantize(w, E4M3, "tensor")
        for target in (cq, cq_meta):
            target[name + ".weight"] = codes
            target[name + ".weight_scale"] = scales[0].clone().reshape(())
            target[name + ".input_scale"] = torch.tensor(1.5, dtype=torch.float32)
        cq[name + ".comfy_quant"] = torch.tensor(list(json.dumps(cfg).encode()), dtype=torch.uint8)
        record("comfy_quant", name, codes.float() * scales[0])
        record("comfy_quant_metadata", name, codes.float() * scales[0])
    save(cq, OUT / "comfy_quant.safetensors", VERSIONS)
    meta = dict(VERSIONS, _quantization_metadata=json.dumps({"layers": configs}))
    save(cq_meta, OUT / "comfy_quant_metadata.safetensors", meta)

    # bitsandbytes NF4, v2 (float32 absmax) and v1 (double-quantized absmax).
    shapes = [("layers.0", (96, 40), torch.bfloat16), ("layers.1", (64, 64), torch.float16),
              ("layers.2", (80, 256), torch.bfloat16), ("layers.3", (33, 18), torch.float32)]
    for stem, nested in (("bnb_nf4_v2", False), ("bnb_nf4_v1", True)):
        tensors = {}
        for i, (name, shape, dtype) in enumerate(shapes):
            w = randn(shape, 40 + i, 0.05, dtype)
            entries, exp = bnb_layer_entries(name, w, nested)
            tensors.update(entries)
            tensors[name + ".bias"] = randn((shape[0],), 50 + i, 0.1, dtype)
            for k, v in exp.items():
                expected[f"{stem}/{k}"] = v.contiguous()
        save(tensors, OUT / f"{stem}.safetensors", VERSIONS)

    # A Forge-style all-in-one file from the flux-tiny fixture.
    mixed = {}
    dit = load_file(TINY / "bfl" / "flux1-tiny-dev.safetensors")
    for k, v in sorted(dit.items()):
        if k.endswith(".weight") and v.dim() == 2:
            entries, exp = bnb_layer_entries(k[: -len(".weight")], v.to(torch.bfloat16), False)
            mixed.update({"model.diffusion_model." + n: t for n, t in entries.items()})
            expected["mixed/" + k] = exp[k].contiguous()
        else:
            mixed["model.diffusion_model." + k] = v.to(torch.bfloat16)
    for k, v in load_file(TINY / "bfl" / "t5xxl.safetensors").items():
        fp8 = v.dim() == 2 and "relative_attention_bias" not in k
        mixed["text_encoders.t5xxl.transformer." + k] = v.to(E4M3) if fp8 else v.to(torch.float16)
    for k, v in load_file(TINY / "bfl" / "clip_l.safetensors").items():
        mixed["text_encoders.clip_l.transformer." + k] = v.to(torch.float16) if v.is_floating_point() else v
    for k, v in load_file(TINY / "bfl" / "ae.safetensors").items():
        mixed["vae." + k] = v.to(torch.bfloat16)
    save(mixed, OUT / "flux_tiny_forge_nf4_mixed.safetensors", VERSIONS)

    save(expected, OUT / "expected.safetensors", VERSIONS)


# ---------------------------------------------------------------- checks of files Bantam wrote

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_bantam_nf4(path, source=TINY / "bfl" / "flux1-tiny-dev.safetensors"):
    ours = load_file(path)
    src = load_file(source)
    layers = sorted(k[: -len(".quant_state.bitsandbytes__nf4")] for k in ours if k.endswith(".quant_state.bitsandbytes__nf4"))
    assert layers, "no NF4 layers in " + str(path)
    for weight_key in layers:
        stats = {k[len(weight_key) + 1:]: v for k, v in ours.items() if k.startswith(weight_key + ".")}
        # The path diffusers (create_quantized_param) and Forge take: Params4bit.from_prequantized.
        p = bnb.nn.Params4bit.from_prequantized(data=ours[weight_key], quantized_stats=dict(stats), requires_grad=False, device="cpu")
        reference_codes, reference_state = nf4_quantize(src[weight_key].to(p.quant_state.dtype))
        assert torch.equal(p.data, reference_codes), weight_key + ": codes differ from bitsandbytes' quantize_4bit"
        assert torch.equal(p.quant_state.absmax, reference_state.absmax), weight_key + ": absmax differs"
        assert torch.equal(p.quant_state.code, reference_state.code), weight_key + ": quant_map differs"
        assert p.quant_state.shape == src[weight_key].shape and p.quant_state.blocksize == 64
        assert p.quant_state.as_dict(packed=True)["quant_state.bitsandbytes__nf4"].tolist() == stats["quant_state.bitsandbytes__nf4"].tolist(), weight_key + ": quant_state JSON differs from bitsandbytes'"
        deq = F.dequantize_4bit(p.data, p.quant_state)    # bitsandbytes' CPU kernel (see nf4_dequantize)
        assert torch.equal(deq, F.dequantize_4bit(reference_codes, reference_state))
        assert torch.equal(nf4_dequantize(p.data, p.quant_state), nf4_dequantize(reference_codes, reference_state))
        # A Linear4bit holding the loaded parameter computes (bitsandbytes' own 4-bit matmul path).
        layer = weight_key[: -len(".weight")]
        out_features, in_features = src[weight_key].shape
        module = bnb.nn.Linear4bit(in_features, out_features, bias=layer + ".bias" in ours, quant_type="nf4",
                                   compute_dtype=p.quant_state.dtype)
        module.weight = p
        if layer + ".bias" in ours:
            module.bias = torch.nn.Parameter(ours[layer + ".bias"], requires_grad=False)
        x = torch.randn(2, in_features, generator=gen(7)).to(p.quant_state.dtype)
        y = module(x)
        assert torch.allclose(y.float(), torch.nn.functional.linear(x.float(), deq.float(), module.bias.float() if module.bias is not None else None), rtol=1e-2, atol=1e-3)
    result = {"file_sha256": sha256(path), "source": str(source.relative_to(ROOT)), "nf4_layers": len(layers),
              "codes_absmax_quant_map_and_json_equal_bitsandbytes": True, "params4bit_from_prequantized": "ok",
              "linear4bit_forward_matches_dequantized_linear": True, "metadata": safe_open(path, "pt").metadata(), **VERSIONS}
    (OUT / "bantam_nf4_bnb_check.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"bitsandbytes loads {path}: {len(layers)} NF4 layers identical to its own quantization")


def check_bantam_fp8_scaled(path, source=TINY / "bfl" / "flux1-tiny-dev.safetensors"):
    ours = load_file(path)
    src = load_file(source)
    marker = ours.pop("scaled_fp8")                    # ComfyUI pops the marker before loading
    assert marker.dtype == E4M3 and marker.numel() == 0
    layers = sorted(k[: -len(".scale_weight")] for k in ours if k.endswith(".scale_weight"))
    assert layers
    for layer in layers:
        w8, scale = ours[layer + ".weight"], ours[layer + ".scale_weight"]
        assert w8.dtype == E4M3 and scale.dtype == torch.float32 and scale.shape == ()
        codes, scales = fp8_quantize(src[layer + ".weight"], E4M3, "tensor")
        assert torch.equal(w8.view(torch.uint8), codes.view(torch.uint8)), layer + ": codes differ from ComfyUI's recipe"
        assert torch.equal(scale, scales[0]), layer + ": scale differs"
        weight = w8.to(torch.float32) * scale            # scaled_fp8_op: weight * scale_weight
        assert torch.isfinite(weight).all()
    result = {"file_sha256": sha256(path), "source": str(source.relative_to(ROOT)), "scaled_layers": len(layers),
              "codes_and_scales_equal_comfy_recipe": True, "metadata": safe_open(path, "pt").metadata(), **VERSIONS}
    (OUT / "bantam_fp8_scaled_check.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"ComfyUI-style load of {path}: {len(layers)} scaled layers equal ComfyUI's recipe")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if len(sys.argv) == 3 and sys.argv[1] == "--check-bantam-nf4":
        return check_bantam_nf4(Path(sys.argv[2]))
    if len(sys.argv) == 3 and sys.argv[1] == "--check-bantam-fp8-scaled":
        return check_bantam_fp8_scaled(Path(sys.argv[2]))
    assert torch.__version__.startswith("2.13") and bnb.__version__ == "0.50.2", VERSIONS
    fp8_goldens()
    nf4_goldens()
    format_files()
    for f in sorted(OUT.glob("*.safetensors")):
        print(f"{f.relative_to(ROOT)}: {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
