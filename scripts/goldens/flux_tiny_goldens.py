#!/usr/bin/env python3
"""Tiny random-weight FLUX.1 pipelines and their reference outputs, for Bantam's parity tests.

Reference stack (the versions the committed fixtures were made with; see requirements.txt):
    torch 2.13.0+cpu, diffusers 0.42.1, transformers 5.23.0, safetensors 0.8.0,
    tokenizers 0.23.3, sentencepiece 0.2.3, open_clip_torch 3.3.0 (only its CLIP BPE merges file)

Writes Tests/Fixtures/flux-tiny/ (a few MB in all):
  tokenizers/clip/{vocab.json,merges.txt}   CLIP BPE: the real CLIP merges truncated to a 1000-token vocab
  tokenizers/t5/{spiece.model,tokenizer.json}  a SentencePiece unigram model trained here (+100 extra ids)
  diffusers/        FluxPipeline.save_pretrained (transformer sharded with an index.json), float32
  bfl/              flux1-tiny-dev.safetensors (BFL transformer keys), ae.safetensors (BFL AE keys),
                    clip_l.safetensors, t5xxl.safetensors (HF text-encoder keys), flux1-tiny-schnell.safetensors
  comfy/flux1-tiny-dev-aio.safetensors   ComfyUI all-in-one (model.diffusion_model., text_encoders.*, vae.)
  reference.safetensors + reference.json   inputs and outputs of each stage, and whole generations

Every weight is redrawn from a seeded normal so that no layer is trivially zero. Everything runs in float32
on the CPU. Rerunning the script reproduces the files bit for bit.
"""
import gzip, io, json, os, shutil, sys, zipfile
from pathlib import Path

import numpy as np
import torch
import sentencepiece as spm
from safetensors.torch import save_file
from transformers import (CLIPTextConfig, CLIPTextModel, CLIPTokenizer, CLIPTokenizerFast, T5Config,
                          T5EncoderModel, T5Tokenizer, T5TokenizerFast)
from diffusers import AutoencoderKL, FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "flux-tiny"
WORK = Path(os.environ.get("TMPDIR", "/tmp")) / "bantam-flux-tiny-work"

# Tiny configuration: every structural feature of FLUX.1 (double and single blocks, guidance embedding,
# 3-axis RoPE, CLIP pooled + T5 sequence conditioning, a 16-channel AE), scaled down.
HIDDEN_HEADS, HEAD_DIM = 2, 16            # hidden 32
AXES = (4, 6, 6)                          # sums to HEAD_DIM
TEXT_DIM = 32                             # T5 d_model = joint_attention_dim
POOLED_DIM = 32                           # CLIP hidden = pooled_projection_dim
LATENT_CHANNELS = 16
T5_LEN = 32                               # max_sequence_length of the tiny pipeline
IMAGE = 32                                # pixels; the tiny AE downsamples by 2
PROMPTS = [
    "a photo of a cyberpunk city at night, intricate details",
    "Astronaut in a jungle, cold color palette, muted colors",
    "",
    "two small red circles above a blue square on a yellow background",
    "Ünïcödé — naïve café, 東京の夜景 🌃, 1234567 & <tags> 'quotes' \"double\"",
    "  leading and   multiple   spaces\tand\ttabs\nnewline  ",
    "don't won't it's I'm we'll they've she'd",
    " ".join(["a very long prompt that repeats"] * 40),
]


def seeded_reinit(model: torch.nn.Module, seed: int):
    """Redraws every parameter: matrices ~ N(0, 1/fan_in), norm scales 1 + 0.1·N, other vectors 0.1·N."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)
            elif any(s in name for s in ("norm", "scale", "layer_norm")) and name.endswith(("weight", "scale")):
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def clip_tokenizer_files(target: Path, vocab_size: int = 1000):
    """CLIP's byte-level BPE with the real merges (from open_clip's bpe_simple_vocab_16e6.txt.gz), truncated
    so that vocab = 256 bytes + 256 `byte</w>` + merges + 2 specials = vocab_size."""
    import site
    gz = None
    for base in site.getsitepackages() + [str(WORK)]:
        candidate = Path(base) / "open_clip" / "bpe_simple_vocab_16e6.txt.gz"
        if candidate.exists():
            gz = candidate
    if gz is None:
        wheel = next(Path(WORK).glob("open_clip_torch-*.whl"), None)
        if wheel is None:
            sys.exit("need open_clip_torch's wheel: pip download --no-deps open_clip_torch==3.3.0 -d " + str(WORK))
        with zipfile.ZipFile(wheel) as z:
            data = z.read("open_clip/bpe_simple_vocab_16e6.txt.gz")
    else:
        data = gz.read_bytes()
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    merges_all = lines[1:49152 - 256 - 2 + 1]
    n_merges = vocab_size - 512 - 2
    merges = [tuple(m.split()) for m in merges_all[:n_merges]]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    byte_symbols = [chr(c) for c in cs]
    vocab = byte_symbols + [s + "</w>" for s in byte_symbols] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == vocab_size, len(vocab)
    target.mkdir(parents=True, exist_ok=True)
    (target / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
    (target / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    # The full merges list as the real CLIP-L tokenizer uses it (49408 tokens), for tokenizer-only tests.
    full = target.parent / "clip-full"
    full.mkdir(parents=True, exist_ok=True)
    (full / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges_all) + "\n")


def t5_tokenizer_files(target: Path, pieces: int = 900):
    """A SentencePiece unigram model trained on a generated corpus, with T5's special ids (pad 0, eos 1,
    unk 2, no bos) and nmt_nfkc normalization; T5Tokenizer adds <extra_id_0..99>."""
    target.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    words = ("a photo of the cat dog city night jungle astronaut color palette muted cold warm red blue "
             "green yellow square circle triangle small large above below left right background detailed "
             "intricate painting portrait landscape mountain river forest ocean sky cloud sun moon star "
             "light shadow glass metal wood stone fire water snow rain tree flower bird fish horse robot "
             "castle tower bridge street car train boat ship plane dragon knight queen king child woman man "
             "café naïve ünïcödé 東京 夜景 東 京 — don't won't it's I'm we'll 0 1 2 3 4 5 6 7 8 9 , . ! ? ' \" & < >").split()
    syllables = "ka ri to mu se an el or in ta ne lo vi ra sh th qu ing ed er es ly ous tion pre con".split()
    words += ["".join(rng.choice(syllables, size=rng.integers(1, 5))) for _ in range(3000)]
    corpus = WORK / "t5_corpus.txt"
    with corpus.open("w") as f:
        for _ in range(20000):
            f.write(" ".join(rng.choice(words, size=rng.integers(3, 14))) + "\n")
        for p in PROMPTS:
            f.write(p.replace("\n", " ") + "\n")
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(target / "spiece"), vocab_size=pieces, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, normalization_rule_name="nmt_nfkc",
        character_coverage=1.0, seed_sentencepiece_size=100000, num_threads=1, shuffle_input_sentence=False,
        input_sentence_size=0)
    (target / "spiece.vocab").unlink()
    # transformers 5 converts spiece.model to a fast tokenizer only through from_pretrained on a folder that
    # holds it (the vocab_file argument of T5TokenizerFast is ignored there).
    only = WORK / "t5-spiece-only"
    only.mkdir(parents=True, exist_ok=True)
    shutil.copy(target / "spiece.model", only / "spiece.model")
    fast = T5Tokenizer.from_pretrained(str(only), extra_ids=100, legacy=False)
    assert len(fast) == pieces + 100, len(fast)
    fast.backend_tokenizer.save(str(target / "tokenizer.json"))


def diffusers_to_bfl_transformer(sd: dict, double: int, single: int, hidden: int) -> dict:
    """The inverse of diffusers' convert_flux_transformer_checkpoint_to_diffusers (formats.md §2.3)."""
    out = {}
    used = set()
    class Tracking(dict):
        def __getitem__(self, k):
            used.add(k)
            return dict.__getitem__(self, k)
    sd = Tracking(sd)
    def put(k, v): out[k] = v.contiguous()
    put("img_in.weight", sd["x_embedder.weight"]); put("img_in.bias", sd["x_embedder.bias"])
    put("txt_in.weight", sd["context_embedder.weight"]); put("txt_in.bias", sd["context_embedder.bias"])
    for bfl, dif in [("time_in", "timestep_embedder"), ("vector_in", "text_embedder"), ("guidance_in", "guidance_embedder")]:
        for a, b in [("in_layer", "linear_1"), ("out_layer", "linear_2")]:
            for t in ("weight", "bias"):
                key = f"time_text_embed.{dif}.{b}.{t}"
                if key in sd:
                    put(f"{bfl}.{a}.{t}", sd[key])
    for i in range(double):
        p = f"transformer_blocks.{i}."
        q = f"double_blocks.{i}."
        for s, mod, qkv, norms, proj, mlp in [
            ("img", "norm1", ("to_q", "to_k", "to_v"), ("norm_q", "norm_k"), "to_out.0", "ff"),
            ("txt", "norm1_context", ("add_q_proj", "add_k_proj", "add_v_proj"), ("norm_added_q", "norm_added_k"), "to_add_out", "ff_context")]:
            for t in ("weight", "bias"):
                put(f"{q}{s}_mod.lin.{t}", sd[f"{p}{mod}.linear.{t}"])
                put(f"{q}{s}_attn.qkv.{t}", torch.cat([sd[f"{p}attn.{n}.{t}"] for n in qkv], 0))
                put(f"{q}{s}_attn.proj.{t}", sd[f"{p}attn.{proj}.{t}"])
                put(f"{q}{s}_mlp.0.{t}", sd[f"{p}{mlp}.net.0.proj.{t}"])
                put(f"{q}{s}_mlp.2.{t}", sd[f"{p}{mlp}.net.2.{t}"])
            put(f"{q}{s}_attn.norm.query_norm.scale", sd[f"{p}attn.{norms[0]}.weight"])
            put(f"{q}{s}_attn.norm.key_norm.scale", sd[f"{p}attn.{norms[1]}.weight"])
    for i in range(single):
        p = f"single_transformer_blocks.{i}."
        q = f"single_blocks.{i}."
        for t in ("weight", "bias"):
            put(f"{q}modulation.lin.{t}", sd[f"{p}norm.linear.{t}"])
            put(f"{q}linear1.{t}", torch.cat([sd[f"{p}attn.to_q.{t}"], sd[f"{p}attn.to_k.{t}"],
                                              sd[f"{p}attn.to_v.{t}"], sd[f"{p}proj_mlp.{t}"]], 0))
            put(f"{q}linear2.{t}", sd[f"{p}proj_out.{t}"])
        put(f"{q}norm.query_norm.scale", sd[f"{p}attn.norm_q.weight"])
        put(f"{q}norm.key_norm.scale", sd[f"{p}attn.norm_k.weight"])
    for t in ("weight", "bias"):
        put(f"final_layer.linear.{t}", sd[f"proj_out.{t}"])
        scale, shift = sd[f"norm_out.linear.{t}"].chunk(2, 0)
        put(f"final_layer.adaLN_modulation.1.{t}", torch.cat([shift, scale], 0))
    assert used == set(sd.keys()), sorted(set(sd.keys()) - used)
    return out


def diffusers_to_bfl_vae(sd: dict, levels: int, layers: int) -> dict:
    """The inverse of diffusers' AE conversion (formats.md §2.8): down_blocks/up_blocks/mid_block names back to
    encoder.down/decoder.up (reversed)/mid, attention linears back to 1×1 convs."""
    out = {}
    def res(src, dst):
        for a, b in [("norm1", "norm1"), ("conv1", "conv1"), ("norm2", "norm2"), ("conv2", "conv2"), ("conv_shortcut", "nin_shortcut")]:
            for t in ("weight", "bias"):
                if f"{src}.{a}.{t}" in sd:
                    out[f"{dst}.{b}.{t}"] = sd[f"{src}.{a}.{t}"]
    for part in ("encoder", "decoder"):
        for t in ("weight", "bias"):
            out[f"{part}.conv_in.{t}"] = sd[f"{part}.conv_in.{t}"]
            out[f"{part}.norm_out.{t}"] = sd[f"{part}.conv_norm_out.{t}"]
            out[f"{part}.conv_out.{t}"] = sd[f"{part}.conv_out.{t}"]
        res(f"{part}.mid_block.resnets.0", f"{part}.mid.block_1")
        res(f"{part}.mid_block.resnets.1", f"{part}.mid.block_2")
        a = f"{part}.mid_block.attentions.0"
        for d, b in [("group_norm", "norm"), ("to_q", "q"), ("to_k", "k"), ("to_v", "v"), ("to_out.0", "proj_out")]:
            w = sd[f"{a}.{d}.weight"]
            out[f"{part}.mid.attn_1.{b}.weight"] = w[:, :, None, None] if w.dim() == 2 else w
            out[f"{part}.mid.attn_1.{b}.bias"] = sd[f"{a}.{d}.bias"]
    for i in range(levels):
        for j in range(layers):
            res(f"encoder.down_blocks.{i}.resnets.{j}", f"encoder.down.{i}.block.{j}")
        for t in ("weight", "bias"):
            k = f"encoder.down_blocks.{i}.downsamplers.0.conv.{t}"
            if k in sd:
                out[f"encoder.down.{i}.downsample.conv.{t}"] = sd[k]
        for j in range(layers + 1):
            res(f"decoder.up_blocks.{i}.resnets.{j}", f"decoder.up.{levels - 1 - i}.block.{j}")
        for t in ("weight", "bias"):
            k = f"decoder.up_blocks.{i}.upsamplers.0.conv.{t}"
            if k in sd:
                out[f"decoder.up.{levels - 1 - i}.upsample.conv.{t}"] = sd[k]
    assert len(out) == len(sd), (len(out), len(sd), sorted(set(sd) - set(out)))
    return {k: v.contiguous() for k, v in out.items()}


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    WORK.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True)
    tok = OUT / "tokenizers"
    clip_tokenizer_files(tok / "clip")
    t5_tokenizer_files(tok / "t5")

    clip_tok = CLIPTokenizer(str(tok / "clip" / "vocab.json"), str(tok / "clip" / "merges.txt"), pad_token="<|endoftext|>")
    clip_tok.model_max_length = 77
    t5_tok = T5TokenizerFast(tokenizer_file=str(tok / "t5" / "tokenizer.json"), extra_ids=0, pad_token="<pad>",
                             eos_token="</s>", unk_token="<unk>")
    t5_vocab = len(t5_tok)

    clip = CLIPTextModel(CLIPTextConfig(vocab_size=1000, hidden_size=POOLED_DIM, intermediate_size=37,
                                        num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77,
                                        hidden_act="quick_gelu", layer_norm_eps=1e-5, bos_token_id=998,
                                        eos_token_id=999, pad_token_id=999, projection_dim=POOLED_DIM))
    t5 = T5EncoderModel(T5Config(vocab_size=t5_vocab, d_model=TEXT_DIM, d_ff=64, d_kv=8, num_layers=2, num_heads=4,
                                 relative_attention_num_buckets=32, relative_attention_max_distance=128,
                                 feed_forward_proj="gated-gelu", dense_act_fn="gelu_new", is_gated_act=True,
                                 layer_norm_epsilon=1e-6, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0))
    dev = FluxTransformer2DModel(in_channels=4 * LATENT_CHANNELS, num_layers=2, num_single_layers=2,
                                 attention_head_dim=HEAD_DIM, num_attention_heads=HIDDEN_HEADS,
                                 joint_attention_dim=TEXT_DIM, pooled_projection_dim=POOLED_DIM,
                                 guidance_embeds=True, axes_dims_rope=AXES)
    schnell = FluxTransformer2DModel(in_channels=4 * LATENT_CHANNELS, num_layers=1, num_single_layers=1,
                                     attention_head_dim=HEAD_DIM, num_attention_heads=HIDDEN_HEADS,
                                     joint_attention_dim=TEXT_DIM, pooled_projection_dim=POOLED_DIM,
                                     guidance_embeds=False, axes_dims_rope=AXES)
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 16), layers_per_block=1,
                        latent_channels=LATENT_CHANNELS, norm_num_groups=4, sample_size=IMAGE,
                        scaling_factor=0.3611, shift_factor=0.1159, use_quant_conv=False,
                        use_post_quant_conv=False, mid_block_add_attention=True)
    for i, m in enumerate([clip, t5, dev, schnell, vae]):
        seeded_reinit(m, 1000 + i)
        m.eval()
    scheduler = FlowMatchEulerDiscreteScheduler(base_image_seq_len=256, base_shift=0.5, max_image_seq_len=4096,
                                                max_shift=1.15, shift=3.0, use_dynamic_shifting=True)
    pipe = FluxPipeline(scheduler=scheduler, vae=vae, text_encoder=clip, tokenizer=clip_tok,
                        text_encoder_2=t5, tokenizer_2=t5_tok, transformer=dev)
    pipe.set_progress_bar_config(disable=True)

    # Layouts on disk.
    pipe.save_pretrained(OUT / "diffusers", safe_serialization=True, max_shard_size="300KB")
    bfl = OUT / "bfl"; bfl.mkdir()
    sd_dev = diffusers_to_bfl_transformer(dev.state_dict(), 2, 2, 32)
    sd_schnell = diffusers_to_bfl_transformer(schnell.state_dict(), 1, 1, 32)
    sd_ae = diffusers_to_bfl_vae(vae.state_dict(), 2, 1)
    sd_clip = {k: v.contiguous() for k, v in clip.state_dict().items()}
    # HF saves T5 without the tied copy `encoder.embed_tokens.weight`; ComfyUI files may carry it (kept in
    # the all-in-one file below, as a separate copy, so that loaders learn to accept it).
    sd_t5 = {k: v.contiguous() for k, v in t5.state_dict().items() if k != "encoder.embed_tokens.weight"}
    save_file(sd_dev, bfl / "flux1-tiny-dev.safetensors")
    save_file(sd_schnell, bfl / "flux1-tiny-schnell.safetensors")
    save_file(sd_ae, bfl / "ae.safetensors")
    save_file(sd_clip, bfl / "clip_l.safetensors")
    save_file(sd_t5, bfl / "t5xxl.safetensors")
    comfy = OUT / "comfy"; comfy.mkdir()
    aio = {}
    aio.update({"model.diffusion_model." + k: v for k, v in sd_dev.items()})
    aio.update({"text_encoders.clip_l.transformer." + k: v for k, v in sd_clip.items()})
    aio.update({"text_encoders.t5xxl.transformer." + k: v for k, v in sd_t5.items()})
    aio["text_encoders.t5xxl.transformer.encoder.embed_tokens.weight"] = sd_t5["shared.weight"].clone()
    aio.update({"vae." + k: v for k, v in sd_ae.items()})
    save_file(aio, comfy / "flux1-tiny-dev-aio.safetensors")

    ref, meta = {}, {"versions": {"torch": torch.__version__, "diffusers": __import__("diffusers").__version__,
                                  "transformers": __import__("transformers").__version__},
                     "prompts": PROMPTS, "image": IMAGE, "t5_length": T5_LEN}
    with torch.no_grad():
        # Tokenizers: ids for every prompt (CLIP 77; T5 at the tiny pipeline's 32 and at 512 / 256).
        meta["clip_ids"] = [clip_tok(p, padding="max_length", max_length=77, truncation=True).input_ids for p in PROMPTS]
        clip_fast = CLIPTokenizerFast(str(tok / "clip" / "vocab.json"), str(tok / "clip" / "merges.txt"), pad_token="<|endoftext|>")
        meta["clip_ids_fast"] = [clip_fast(p, padding="max_length", max_length=77, truncation=True).input_ids for p in PROMPTS]
        # The SentencePiece library itself on spiece.model (what BFL's reference code tokenizes with): ids,
        # then </s>, then <pad> up to the length.
        sp = spm.SentencePieceProcessor(model_file=str(tok / "t5" / "spiece.model"))
        def t5_slow(p, max_length):
            ids = sp.encode(p)[: max_length - 1] + [1]
            return ids + [0] * (max_length - len(ids))
        for length in (T5_LEN, 256, 512):
            meta[f"t5_ids_{length}"] = [t5_tok(p, padding="max_length", max_length=length, truncation=True).input_ids for p in PROMPTS]
        meta["t5_ids_spm_512"] = [t5_slow(p, 512) for p in PROMPTS]
        full = tok / "clip-full"
        full_vocab = json.loads((tok / "clip" / "vocab.json").read_text())  # placeholder, rebuilt below
        # Real CLIP-L vocabulary (49408) from the full merges, and its ids for the corpus.
        lines = (full / "merges.txt").read_text().split("\n")[1:]
        merges = [tuple(m.split()) for m in lines if m]
        bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
        cs = bs[:]; n = 0
        for b in range(256):
            if b not in bs:
                bs.append(b); cs.append(256 + n); n += 1
        syms = [chr(c) for c in cs]
        vocab = syms + [s + "</w>" for s in syms] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
        (WORK / "clip-full-vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
        real = CLIPTokenizerFast(str(WORK / "clip-full-vocab.json"), str(full / "merges.txt"), pad_token="<|endoftext|>")
        meta["clip_full_ids"] = [real(p, padding="max_length", max_length=77, truncation=True).input_ids for p in PROMPTS]

        # Text encoders on prompt 0.
        ids = torch.tensor([meta["clip_ids"][0]])
        ref["clip.input_ids"] = ids.to(torch.int32)
        clip_out = clip(ids, output_hidden_states=False)
        ref["clip.pooled"] = clip_out.pooler_output
        ref["clip.last_hidden"] = clip_out.last_hidden_state
        ids2 = torch.tensor([meta[f"t5_ids_{T5_LEN}"][0]])
        ref["t5.input_ids"] = ids2.to(torch.int32)
        ref["t5.hidden"] = t5(ids2).last_hidden_state

        # One transformer forward on random inputs (dev and schnell).
        g = torch.Generator().manual_seed(123)
        tokens = (IMAGE // 2 // 2) ** 2
        img = torch.randn(1, tokens, 4 * LATENT_CHANNELS, generator=g)
        txt = torch.randn(1, T5_LEN, TEXT_DIM, generator=g)
        pooled = torch.randn(1, POOLED_DIM, generator=g)
        img_ids = FluxPipeline._prepare_latent_image_ids(1, IMAGE // 4, IMAGE // 4, "cpu", torch.float32)
        txt_ids = torch.zeros(T5_LEN, 3)
        for name, model in [("dev", dev), ("schnell", schnell)]:
            out = model(hidden_states=img, encoder_hidden_states=txt, pooled_projections=pooled,
                        timestep=torch.tensor([0.7]), img_ids=img_ids, txt_ids=txt_ids,
                        guidance=torch.tensor([3.5]) if name == "dev" else None, return_dict=False)[0]
            ref[f"transformer.{name}.output"] = out
        ref["transformer.img"], ref["transformer.txt"], ref["transformer.pooled"] = img, txt, pooled
        ref["transformer.img_ids"], ref["transformer.txt_ids"] = img_ids, txt_ids
        meta["transformer"] = {"timestep": 0.7, "guidance": 3.5}

        # VAE: decode random latents, encode a random image (latent mean, as FLUX uses it).
        z = torch.randn(1, LATENT_CHANNELS, IMAGE // 2, IMAGE // 2, generator=g)
        ref["vae.latents"] = z
        ref["vae.decoded"] = vae.decode(z, return_dict=False)[0]
        x = torch.rand(1, 3, IMAGE, IMAGE, generator=g) * 2 - 1
        ref["vae.image"] = x
        ref["vae.encoded_mean"] = vae.encode(x).latent_dist.mean

        # Whole generations: dev 4 steps guidance 3.5, seed 42; and true CFG with a negative prompt.
        for name, kwargs in [("dev", {}), ("truecfg", {"negative_prompt": PROMPTS[1], "true_cfg_scale": 2.0})]:
            common = dict(prompt=PROMPTS[0], height=IMAGE, width=IMAGE, num_inference_steps=4, guidance_scale=3.5,
                          max_sequence_length=T5_LEN, **kwargs)
            noise = torch.randn(1, LATENT_CHANNELS, IMAGE // 2, IMAGE // 2, generator=torch.Generator().manual_seed(42))
            ref[f"generate.{name}.noise"] = noise
            latents = pipe(**common, generator=torch.Generator().manual_seed(42), output_type="latent").images
            ref[f"generate.{name}.latents"] = latents
            image = pipe(**common, generator=torch.Generator().manual_seed(42), output_type="np").images
            ref[f"generate.{name}.image"] = torch.from_numpy(image)
            ref[f"generate.{name}.sigmas"] = torch.tensor(pipe.scheduler.sigmas, dtype=torch.float32)
        meta["generate"] = {"prompt": PROMPTS[0], "negative_prompt": PROMPTS[1], "seed": 42, "steps": 4,
                            "guidance": 3.5, "true_cfg": 2.0, "width": IMAGE, "height": IMAGE}

    save_file({k: v.contiguous().float() if v.is_floating_point() else v.contiguous() for k, v in ref.items()},
              OUT / "reference.safetensors", metadata={"generator": "scripts/goldens/flux_tiny_goldens.py"})
    (OUT / "reference.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    total = sum(f.stat().st_size for f in OUT.rglob("*") if f.is_file())
    print(f"wrote {OUT} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
