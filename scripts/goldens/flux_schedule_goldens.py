#!/usr/bin/env python3
"""FLUX.1 flow-matching schedules as diffusers' FluxPipeline computes them, for Bantam's schedule tests.

Reference stack: diffusers 0.42.1, torch 2.13.0+cpu, numpy 2.4.6, safetensors 0.8.0 (see requirements.txt).

Writes Tests/Fixtures/pipeline/flux-schedules.safetensors (a few kB), float32 tensors per case
`{variant}.steps{N}.tokens{L}`:
  .sigmas      scheduler.sigmas after set_timesteps (N values, then the terminal 0)
  .timesteps   scheduler.timesteps (sigma * 1000, float32)
  .model       timestep / 1000 as FluxPipeline passes it to the transformer (float32)
dev: FLUX.1-dev's scheduler config (dynamic exponential shift, mu from the image token count L);
schnell: FLUX.1-schnell's (shift 1.0, no dynamic shifting). As FluxPipeline: sigmas = linspace(1, 1/N, N).
"""
from pathlib import Path

import numpy as np
import torch
import diffusers
import safetensors
from safetensors.torch import save_file
from diffusers import FlowMatchEulerDiscreteScheduler
from diffusers.pipelines.flux.pipeline_flux import calculate_shift

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "pipeline" / "flux-schedules.safetensors"

DEV = dict(base_image_seq_len=256, base_shift=0.5, max_image_seq_len=4096, max_shift=1.15, shift=3.0,
           use_dynamic_shifting=True, num_train_timesteps=1000)
SCHNELL = dict(base_image_seq_len=256, base_shift=0.5, max_image_seq_len=4096, max_shift=1.15, shift=1.0,
               use_dynamic_shifting=False, num_train_timesteps=1000)
CASES = [("dev", 4, 64), ("dev", 28, 4096), ("dev", 50, 4096), ("dev", 20, 1024), ("dev", 1, 256),
         ("dev", 8, 3600), ("dev", 30, 9216), ("dev", 13, 16), ("dev", 28, 2304),
         ("schnell", 4, 4096), ("schnell", 1, 4096), ("schnell", 9, 1024)]


def main():
    out = {}
    for variant, steps, tokens in CASES:
        scheduler = FlowMatchEulerDiscreteScheduler(**(DEV if variant == "dev" else SCHNELL))
        sigmas = np.linspace(1.0, 1 / steps, steps)
        mu = calculate_shift(tokens, 256, 4096, 0.5, 1.15)
        scheduler.set_timesteps(steps, sigmas=sigmas, mu=mu)
        name = f"{variant}.steps{steps}.tokens{tokens}"
        out[name + ".sigmas"] = scheduler.sigmas.to(torch.float32)
        out[name + ".timesteps"] = scheduler.timesteps.to(torch.float32)
        out[name + ".model"] = scheduler.timesteps.to(torch.float32) / 1000
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in out.items()}, OUT, metadata={
        "generator": "scripts/goldens/flux_schedule_goldens.py", "diffusers": diffusers.__version__,
        "torch": torch.__version__, "numpy": np.__version__, "safetensors": safetensors.__version__})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.1f} kB)")


if __name__ == "__main__":
    main()
