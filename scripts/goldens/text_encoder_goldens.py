#!/usr/bin/env python3
"""Goldens for Bantam's text encoders beyond the tiny FLUX fixtures (Tests/Fixtures/flux-tiny).

Reference stack: torch 2.13.0+cpu, transformers 5.23.0, safetensors 0.8.0 (see requirements.txt).

Writes Tests/Fixtures/text-encoders/:
  t5_relative_buckets.safetensors   transformers' T5Attention._relative_position_bucket for every relative
                             position in a range, for a few (buckets, max_distance, bidirectional) settings,
                             including T5's own (32, 128): `cases` [N, 4] i32 holds (num_buckets, max_distance,
                             bidirectional, first relative position) per case, `case{i}` the buckets (i32) of
                             positions first, first+1, .... torch computes the logarithmic buckets in f32 and
                             truncates, so the boundaries are worth pinning.
  bf16_outputs.safetensors   the tiny CLIP and T5 of flux-tiny/diffusers loaded with torch_dtype=bfloat16 and
                             run on reference.safetensors' clip.input_ids / t5.input_ids (outputs stored as f32):
                             how far transformers' own bf16 run is from its f32 reference, for comparison.

Run from the repository root after flux_tiny_goldens.py: python scripts/goldens/text_encoder_goldens.py
"""
from pathlib import Path

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import CLIPTextModel, T5EncoderModel
from transformers.models.t5.modeling_t5 import T5Attention

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "Tests" / "Fixtures" / "flux-tiny"
OUT = ROOT / "Tests" / "Fixtures" / "text-encoders"
# One metadata key: safetensors writes several in a random order, which would make reruns differ.
METADATA = {"generator": f"scripts/goldens/text_encoder_goldens.py (torch {torch.__version__}, "
                         f"transformers {transformers.__version__})"}


def buckets():
    cases, tensors = [], {}
    for num_buckets, max_distance, bidirectional, span in [(32, 128, True, 1100), (32, 128, False, 300),
                                                            (64, 256, True, 1100), (8, 20, True, 100),
                                                            (12, 50, True, 200)]:
        rel = torch.arange(-span, span + 1, dtype=torch.long)
        b = T5Attention._relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets,
                                                  max_distance=max_distance)
        tensors[f"case{len(cases)}"] = b.to(torch.int32).contiguous()
        cases.append([num_buckets, max_distance, int(bidirectional), -span])
    tensors["cases"] = torch.tensor(cases, dtype=torch.int32)
    save_file(tensors, OUT / "t5_relative_buckets.safetensors",
              metadata=METADATA)


def bf16_outputs():
    ref = load_file(TINY / "reference.safetensors")
    out = {}
    with torch.no_grad():
        clip = CLIPTextModel.from_pretrained(TINY / "diffusers" / "text_encoder", torch_dtype=torch.bfloat16).eval()
        o = clip(ref["clip.input_ids"].long())
        out["clip.pooled"] = o.pooler_output.float()
        out["clip.last_hidden"] = o.last_hidden_state.float()
        t5 = T5EncoderModel.from_pretrained(TINY / "diffusers" / "text_encoder_2", torch_dtype=torch.bfloat16).eval()
        assert t5.encoder.block[0].layer[1].DenseReluDense.wo.weight.dtype == torch.bfloat16  # no fp32 wo in bf16
        out["t5.hidden"] = t5(ref["t5.input_ids"].long()).last_hidden_state.float()
    for k in out:
        f32 = ref[k]
        print(f"{k}: transformers bf16 vs f32 max abs {float((out[k] - f32).abs().max()):.4g}, "
              f"max |f32| {float(f32.abs().max()):.4g}")
    save_file({k: v.contiguous() for k, v in out.items()}, OUT / "bf16_outputs.safetensors",
              metadata=METADATA)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    buckets()
    bf16_outputs()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
