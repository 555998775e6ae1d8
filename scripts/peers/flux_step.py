"""The diffusers peer of `bantam bench flux`, run on the GPU machine (diffusers 0.42.1 from a carried
wheel, the machine's PyTorch 2.11; see docs/benchmarks.md for how it is called).

  python3 scripts/peers/flux_step.py speed [--double 19 --single 38]
      diffusers' FluxTransformer2DModel (FLUX.1-dev config, random weights, BF16, eager, SDPA) timed on one
      denoising step at 1024x1024 (4096 image + 512 text tokens): median of 5 synchronized steps after
      2 warm-up steps, peak allocated memory. Prints one JSON line starting with PEER.

  python3 scripts/peers/flux_step.py parity DIR [--double 4 --single 8]
      the same model at full width and the given depth, seeded: writes DIR/transformer.safetensors
      (diffusers tensor names, BF16) and DIR/inputs.safetensors in bench flux's convention (img, img_ids,
      txt, txt_ids, y, timesteps, guidance) with two references: `expected` (diffusers' BF16 output) and
      `expected_f32` (the same BF16 weights and inputs run in float32). `bantam bench flux --weights
      DIR/transformer.safetensors --inputs DIR/inputs.safetensors` then prints its relative error against
      both; this script prints diffusers' own BF16 error against the float32 run, the yardstick.
"""
import argparse, json, os, time

import torch
from safetensors.torch import save_file
from diffusers import FluxTransformer2DModel


def config(double, single):
    return dict(patch_size=1, in_channels=64, num_layers=double, num_single_layers=single, attention_head_dim=128,
                num_attention_heads=24, joint_attention_dim=4096, pooled_projection_dim=768,
                guidance_embeds=True, axes_dims_rope=(16, 56, 56))


def build(double, single, dtype=torch.bfloat16, seed=0):
    torch.manual_seed(seed)
    torch.set_default_dtype(dtype)
    with torch.device("cuda"):
        model = FluxTransformer2DModel(**config(double, single))
    torch.set_default_dtype(torch.float32)
    return model.eval().requires_grad_(False)


def inputs(seed=1, image_side=64, text_tokens=512):
    g = torch.Generator(device="cuda").manual_seed(seed)
    l = image_side * image_side
    img = torch.randn(1, l, 64, device="cuda", generator=g)
    txt = torch.randn(1, text_tokens, 4096, device="cuda", generator=g)
    y = torch.randn(1, 768, device="cuda", generator=g)
    img_ids = torch.zeros(l, 3, device="cuda")
    img_ids[:, 1] = torch.arange(image_side, device="cuda").repeat_interleave(image_side)
    img_ids[:, 2] = torch.arange(image_side, device="cuda").repeat(image_side)
    txt_ids = torch.zeros(text_tokens, 3, device="cuda")
    return dict(img=img, txt=txt, y=y, img_ids=img_ids, txt_ids=txt_ids,
                timesteps=torch.tensor([0.5], device="cuda"), guidance=torch.tensor([3.5], device="cuda"))


def forward(model, x, dtype):
    return model(hidden_states=x["img"].to(dtype), encoder_hidden_states=x["txt"].to(dtype),
                 pooled_projections=x["y"].to(dtype), timestep=x["timesteps"].to(dtype), img_ids=x["img_ids"],
                 txt_ids=x["txt_ids"], guidance=x["guidance"].to(dtype), return_dict=False)[0]


def speed(args):
    model = build(args.double, args.single)
    x = inputs()
    torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats()
    times = []
    with torch.inference_mode():
        for _ in range(2):
            forward(model, x, torch.bfloat16)
        for _ in range(5):
            torch.cuda.synchronize(); t = time.perf_counter()
            forward(model, x, torch.bfloat16)
            torch.cuda.synchronize(); times.append(time.perf_counter() - t)
    times.sort()
    print("PEER " + json.dumps(dict(peer="diffusers 0.42.1 BF16 eager SDPA", torch=torch.__version__,
                                    double=args.double, single=args.single, ms_per_step=round(times[2] * 1000, 2),
                                    ms_min=round(times[0] * 1000, 2),
                                    peak_allocated_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2))), flush=True)


def parity(args):
    os.makedirs(args.dir, exist_ok=True)
    model = build(args.double, args.single)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(args.dir, "transformer.safetensors"))
    x = inputs()
    for k in ("img", "txt", "y"):   # both runs see the same BF16-representable inputs
        x[k] = x[k].to(torch.bfloat16).float()
    with torch.inference_mode():
        out_bf16 = forward(model, x, torch.bfloat16).float()
        model = model.float()
        out_f32 = forward(model, x, torch.float32).float()
    err = ((out_bf16 - out_f32).norm() / out_f32.norm()).item()
    tensors = {k: v.contiguous().cpu() for k, v in x.items()}
    tensors["expected"] = out_bf16.cpu()
    tensors["expected_f32"] = out_f32.cpu()
    # bench flux reads img, txt and y in its compute dtype: store them as the BF16 values diffusers ran on.
    for k in ("img", "txt", "y"):
        tensors[k] = tensors[k].to(torch.bfloat16)
    save_file(tensors, os.path.join(args.dir, "inputs.safetensors"))
    print("PARITY " + json.dumps(dict(double=args.double, single=args.single, output_std=round(out_f32.std().item(), 4),
                                      diffusers_bf16_vs_f32=err)), flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["speed", "parity"])
    p.add_argument("dir", nargs="?", default="/tmp/flux-parity")
    p.add_argument("--double", type=int, default=None)
    p.add_argument("--single", type=int, default=None)
    a = p.parse_args()
    if a.double is None: a.double = 19 if a.mode == "speed" else 4
    if a.single is None: a.single = 38 if a.mode == "speed" else 8
    speed(a) if a.mode == "speed" else parity(a)
