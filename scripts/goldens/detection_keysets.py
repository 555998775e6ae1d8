"""Golden key sets for checkpoint detection: every tensor name and shape that the reference libraries
give each published model, written to Tests/Fixtures/library-keysets/<name>.txt (read by
Tests/BantamIOTests/Detection/LibraryKeySets.swift).

Library versions used (from /work/gold-venv): torch 2.13.0, diffusers 0.42.1, transformers 5.23.0.

Each model is built from its published configuration on PyTorch's "meta" device, so no weight is
allocated and nothing is downloaded; the state_dict gives the names and shapes a checkpoint saved by
that library holds (dtypes are not part of it: the Swift tests choose them). Checked with save_pretrained
on tiny configs: the saved names equal the state_dict's, except tied copies, which are not saved (T5's
encoder.embed_tokens.weight); transformers 5 saves CLIPTextModel without the "text_model." stem that
older files (and CLIPTextModelWithProjection) have. The Swift tests check that
detection names each one correctly, independently of the hand-written key sets in
Tests/BantamTestSupport/SyntheticKeySets.swift.

Rerun:  /work/gold-venv/bin/python scripts/goldens/detection_keysets.py
"""
from pathlib import Path

import diffusers
import torch
import transformers
from diffusers import AutoencoderKL, FluxTransformer2DModel, QwenImageTransformer2DModel, SD3Transformer2DModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, T5Config, T5EncoderModel

OUT = Path(__file__).resolve().parents[2] / "Tests/Fixtures/library-keysets"


def models():
    """(Swift name, description, constructor) for each published model."""
    return [
        ("fluxDevDiffusers", "FLUX.1-dev transformer (diffusers FluxTransformer2DModel, published config)",
         lambda: FluxTransformer2DModel(guidance_embeds=True)),
        ("fluxAutoencoderDiffusers", "FLUX.1 VAE (diffusers AutoencoderKL, FLUX.1-dev vae/config.json values)",
         lambda: AutoencoderKL(in_channels=3, out_channels=3, down_block_types=["DownEncoderBlock2D"] * 4,
                               up_block_types=["UpDecoderBlock2D"] * 4, block_out_channels=[128, 256, 512, 512],
                               layers_per_block=2, latent_channels=16, use_quant_conv=False,
                               use_post_quant_conv=False, mid_block_add_attention=True)),
        ("t5xxlEncoder", "T5-XXL v1.1 encoder (transformers T5EncoderModel, google/t5-v1_1-xxl sizes)",
         lambda: T5EncoderModel(T5Config(d_model=4096, d_ff=10240, d_kv=64, num_heads=64, num_layers=24,
                                         vocab_size=32128, feed_forward_proj="gated-gelu"))),
        ("clipLText", "CLIP-L text tower (transformers CLIPTextModel, openai/clip-vit-large-patch14 sizes)",
         lambda: CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                              num_attention_heads=12, max_position_embeddings=77, vocab_size=49408))),
        ("clipGText", "OpenCLIP bigG text tower (transformers CLIPTextModelWithProjection, SD3 text_encoder_2 sizes)",
         lambda: CLIPTextModelWithProjection(CLIPTextConfig(hidden_size=1280, intermediate_size=5120,
                                                            num_hidden_layers=32, num_attention_heads=20,
                                                            max_position_embeddings=77, vocab_size=49408,
                                                            projection_dim=1280))),
        ("sd35LargeDiffusers", "SD3.5 Large transformer (diffusers SD3Transformer2DModel)",
         lambda: SD3Transformer2DModel(sample_size=128, patch_size=2, in_channels=16, num_layers=38,
                                       attention_head_dim=64, num_attention_heads=38, joint_attention_dim=4096,
                                       caption_projection_dim=2432, pooled_projection_dim=2048, out_channels=16,
                                       pos_embed_max_size=192, qk_norm="rms_norm")),
        ("sd35MediumDiffusers", "SD3.5 Medium transformer (diffusers SD3Transformer2DModel)",
         lambda: SD3Transformer2DModel(sample_size=128, patch_size=2, in_channels=16, num_layers=24,
                                       attention_head_dim=64, num_attention_heads=24, joint_attention_dim=4096,
                                       caption_projection_dim=1536, pooled_projection_dim=2048, out_channels=16,
                                       pos_embed_max_size=384, qk_norm="rms_norm",
                                       dual_attention_layers=tuple(range(13)))),
        ("sd3MediumDiffusers", "SD3 Medium transformer (diffusers SD3Transformer2DModel)",
         lambda: SD3Transformer2DModel(sample_size=128, patch_size=2, in_channels=16, num_layers=24,
                                       attention_head_dim=64, num_attention_heads=24, joint_attention_dim=4096,
                                       caption_projection_dim=1536, pooled_projection_dim=2048, out_channels=16,
                                       pos_embed_max_size=192)),
        # Published widths, 3 of the 60 blocks: Qwen-Image has no depth-dependent variant, and the other 57
        # blocks would add 110 kB of identical lines.
        ("qwenImageDiffusers", "Qwen-Image transformer (diffusers QwenImageTransformer2DModel defaults, num_layers 3 of 60)",
         lambda: QwenImageTransformer2DModel(num_layers=3)),
    ]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    header = ("# Generated by scripts/goldens/detection_keysets.py with torch %s, diffusers %s, transformers %s.\n"
              "# Every tensor of the model's state_dict as \"name d0,d1,...\", one per line, built from the\n"
              "# published configuration on the meta device (no weights).\n"
              % (torch.__version__.split("+")[0], diffusers.__version__, transformers.__version__))
    for name, description, make in models():
        with torch.device("meta"):
            model = make()
        state = model.state_dict()
        params = sum(t.numel() for t in state.values())
        lines = [f"# {description}: {len(state)} tensors, {params:,} parameters."]
        lines += [f"{key} {','.join(str(d) for d in tensor.shape)}" for key, tensor in state.items()]
        (OUT / f"{name}.txt").write_text(header + "\n".join(lines) + "\n")
        print(f"{name}: {len(state)} tensors, {params:,} parameters")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
