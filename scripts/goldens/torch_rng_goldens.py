#!/usr/bin/env python3
"""torch.randn / torch.rand on a seeded CPU generator, for Bantam's TorchGenerator tests.

Reference stack: torch 2.13.0+cpu, safetensors 0.8.0 (see requirements.txt). Run on an x86 machine: torch's
x86 `randn` kernel (AVX2, also used on AVX-512 CPUs) is the one Bantam reproduces bit for bit.

Writes Tests/Fixtures/pipeline/torch-rng.safetensors (~0.4 MB), float32 tensors:
  randn.s{seed}.n{n}   torch.randn(n, generator=torch.Generator().manual_seed(seed))
                       seeds 0, 1, 42, 2**32-1, 2**63; n = 1, 15, 16, 17, 33, 1000 (all seeds), 65536 (seed 42)
  rand.s{seed}.n{n}    torch.rand(n, ...) for the same seeds, n = 1, 17, 1000
  seq.{i}              one generator (seed 7) used for randn(3), randn(20), randn(5), rand(4), randn(1) in turn
                       (the small-tensor path caches the second Box-Muller value in the generator)
The metadata records the versions and torch's CPU capability.
"""
from pathlib import Path

import torch
import safetensors
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "pipeline" / "torch-rng.safetensors"
SEEDS = [0, 1, 42, 2**32 - 1, 2**63]


def main():
    out = {}
    for seed in SEEDS:
        sizes = [1, 15, 16, 17, 33, 1000] + ([65536] if seed == 42 else [])
        for n in sizes:
            out[f"randn.s{seed}.n{n}"] = torch.randn(n, generator=torch.Generator().manual_seed(seed))
        for n in (1, 17, 1000):
            out[f"rand.s{seed}.n{n}"] = torch.rand(n, generator=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(7)
    calls = [lambda: torch.randn(3, generator=g), lambda: torch.randn(20, generator=g),
             lambda: torch.randn(5, generator=g), lambda: torch.rand(4, generator=g),
             lambda: torch.randn(1, generator=g)]
    for i, call in enumerate(calls):
        out[f"seq.{i}"] = call()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in out.items()}, OUT, metadata={
        "generator": "scripts/goldens/torch_rng_goldens.py", "torch": torch.__version__,
        "safetensors": safetensors.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability()})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
