#!/usr/bin/env python3
"""Extra goldens for Bantam's FLUX transformer tests (the tiny model itself comes from flux_tiny_goldens.py).

Reference stack: torch 2.13.0+cpu, diffusers 0.42.1, safetensors 0.8.0, numpy 2.4.6.

Writes Tests/Fixtures/flux-transformer/:
  keys/flux1-{dev,schnell}-bfl.txt         full-size BFL single-file names and shapes (no weights), one tensor a
                                           line: `name d0,d1,...`
  keys/flux1-{dev,schnell}-diffusers.txt   FluxTransformer2DModel.state_dict() names and shapes at the FLUX.1 config
  dev-output-exact-exp.safetensors         `transformer.dev.output` of the tiny dev model (flux-tiny/diffusers/
                                           transformer, same inputs as flux-tiny/reference.safetensors) with one
                                           change: the 128 timestep-embedding frequencies exp(-ln(10000)·i/128)
                                           correctly rounded to f32 instead of torch's vectorized expf, which is
                                           off by one ulp at i = 13, 44, 119. At guidance 3.5 the embedding's
                                           angles reach 3500 rad, so that ulp moves the output by ~1e-5 of its
                                           scale; this file lets the tests check everything else more tightly.

The key sets are made on the meta device (no memory, no download). The BFL key set is written from the BFL module tree (formats.md §2.2) and then checked against diffusers: its own
BFL→diffusers converter (convert_flux_transformer_checkpoint_to_diffusers) must turn it into exactly the
diffusers model's state dict, names and shapes, consuming every key. The counts and parameter totals of
formats.md §2.2 (780 / 776 tensors, 11,901,408,320 parameters for dev) are asserted too.
"""
import math
from pathlib import Path

import numpy as np
import torch
import diffusers.models.embeddings as embeddings
from safetensors.torch import load_file, save_file
from diffusers import FluxTransformer2DModel
from diffusers.loaders.single_file_utils import convert_flux_transformer_checkpoint_to_diffusers

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "flux-transformer"
TINY = ROOT / "Tests" / "Fixtures" / "flux-tiny"

HIDDEN, MLP, HEAD_DIM, IN, CONTEXT, POOLED, DOUBLE, SINGLE = 3072, 12288, 128, 64, 4096, 768, 19, 38


def bfl_keys(guidance: bool) -> dict:
    """name -> shape of the BFL `Flux` module tree (src/flux/model.py, src/flux/modules/layers.py)."""
    h = HIDDEN
    keys = {}
    def linear(name, n_in, n_out):
        keys[f"{name}.weight"] = (n_out, n_in)
        keys[f"{name}.bias"] = (n_out,)
    linear("img_in", IN, h)
    linear("txt_in", CONTEXT, h)
    embedders = [("time_in", 256), ("vector_in", POOLED)] + ([("guidance_in", 256)] if guidance else [])
    for name, n_in in embedders:
        linear(f"{name}.in_layer", n_in, h)
        linear(f"{name}.out_layer", h, h)
    for i in range(DOUBLE):
        for s in ("img", "txt"):
            p = f"double_blocks.{i}.{s}"
            linear(f"{p}_mod.lin", h, 6 * h)
            linear(f"{p}_attn.qkv", h, 3 * h)
            keys[f"{p}_attn.norm.query_norm.scale"] = (HEAD_DIM,)
            keys[f"{p}_attn.norm.key_norm.scale"] = (HEAD_DIM,)
            linear(f"{p}_attn.proj", h, h)
            linear(f"{p}_mlp.0", h, MLP)
            linear(f"{p}_mlp.2", MLP, h)
    for i in range(SINGLE):
        p = f"single_blocks.{i}"
        linear(f"{p}.linear1", h, 3 * h + MLP)
        linear(f"{p}.linear2", h + MLP, h)
        keys[f"{p}.norm.query_norm.scale"] = (HEAD_DIM,)
        keys[f"{p}.norm.key_norm.scale"] = (HEAD_DIM,)
        linear(f"{p}.modulation.lin", h, 3 * h)
    linear("final_layer.linear", h, IN)
    linear("final_layer.adaLN_modulation.1", h, 2 * h)
    return keys


def write(name: str, shapes: dict):
    lines = [f"{k} {','.join(str(d) for d in shape)}" for k, shape in sorted(shapes.items())]
    (OUT / "keys" / name).write_text("\n".join(lines) + "\n")


def exact_exp_timestep_embedding(timesteps, embedding_dim, flip_sin_to_cos=False, downscale_freq_shift=1, scale=1,
                                 max_period=10000):
    """diffusers' get_timestep_embedding with the frequencies' exp evaluated in f64 and rounded once to f32."""
    half = embedding_dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / (half - downscale_freq_shift)
    freqs = torch.from_numpy(np.exp(exponent.double().numpy()).astype(np.float32))
    emb = scale * (timesteps[:, None].float() * freqs[None, :])
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb


def dev_output_exact_exp():
    torch.set_num_threads(1)
    ref = load_file(TINY / "reference.safetensors")
    model = FluxTransformer2DModel.from_pretrained(TINY / "diffusers" / "transformer").eval()
    def run():
        with torch.no_grad():
            return model(hidden_states=ref["transformer.img"], encoder_hidden_states=ref["transformer.txt"],
                         pooled_projections=ref["transformer.pooled"], timestep=torch.tensor([0.7]),
                         img_ids=ref["transformer.img_ids"], txt_ids=ref["transformer.txt_ids"],
                         guidance=torch.tensor([3.5]), return_dict=False)[0]
    assert torch.equal(run(), ref["transformer.dev.output"])   # the same model and inputs as the reference
    original = embeddings.get_timestep_embedding
    embeddings.get_timestep_embedding = exact_exp_timestep_embedding
    try:
        out = run()
    finally:
        embeddings.get_timestep_embedding = original
    shift = (out - ref["transformer.dev.output"]).abs().max().item()
    save_file({"transformer.dev.output": out.contiguous()}, OUT / "dev-output-exact-exp.safetensors",
              metadata={"generator": "scripts/goldens/flux_transformer_goldens.py", "torch": torch.__version__,
                        "diffusers": __import__("diffusers").__version__})
    print(f"dev output with correctly rounded frequencies: max shift from the reference {shift:.3g}")


def main():
    (OUT / "keys").mkdir(parents=True, exist_ok=True)
    for variant, guidance, count in [("dev", True, 780), ("schnell", False, 776)]:
        bfl = bfl_keys(guidance)
        assert len(bfl) == count, (variant, len(bfl))
        params = sum(torch.Size(s).numel() for s in bfl.values())
        if variant == "dev":
            assert params == 11_901_408_320, params
        with torch.device("meta"):
            model = FluxTransformer2DModel(guidance_embeds=guidance)   # the FLUX.1 defaults (formats.md §2.1)
            diffusers = {k: tuple(v.shape) for k, v in model.state_dict().items()}
            converted = convert_flux_transformer_checkpoint_to_diffusers(
                {k: torch.empty(s) for k, s in bfl.items()})
        assert {k: tuple(v.shape) for k, v in converted.items()} == diffusers, variant
        write(f"flux1-{variant}-bfl.txt", bfl)
        write(f"flux1-{variant}-diffusers.txt", diffusers)
        print(f"{variant}: {len(bfl)} BFL tensors, {len(diffusers)} diffusers tensors, {params:,} parameters")
    dev_output_exact_exp()


if __name__ == "__main__":
    main()
