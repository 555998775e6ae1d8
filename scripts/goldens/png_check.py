#!/usr/bin/env python3
"""Checks the PNG files Bantam's encoder wrote (Tests/Fixtures/pipeline/png/) with independent decoders.

Reference stack: Pillow 13.0.0, Python's zlib, numpy 2.4.6.

For every fixture: PIL decodes it (pixels must equal the formulas below, which PNGTests.swift shares),
PIL's `text` must hold the written text chunks, `zlib.decompress` must accept the concatenated IDAT data,
and for the FLUX parameters text the parse of AUTOMATIC1111's `parse_generation_parameters` (its regex,
re-stated here) must give back the prompt, the negative prompt and every pair.

The files are written by the Swift test (BANTAM_WRITE_PNG_FIXTURES=1 swift test --filter PNGTests); after
that, run this script once; PNGTests then checks that the encoder keeps producing exactly these bytes.
"""
import json
import re
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
DIR = ROOT / "Tests" / "Fixtures" / "pipeline" / "png"

# AUTOMATIC1111 modules/infotext_utils.py
re_param = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def a1111_parse(x):
    prompt, negative, done = "", "", False
    *lines, lastline = x.strip().split("\n")
    if len(re_param.findall(lastline)) < 3:
        lines.append(lastline)
        lastline = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            done = True
            line = line[16:].strip()
        if done:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    res = {"Prompt": prompt, "Negative prompt": negative}
    for k, v in re_param.findall(lastline):
        if v and v[0] == '"' and v[-1] == '"':
            v = json.loads(v)
        res[k] = v
    return res


class LCG:
    def __init__(self, state):
        self.state = state

    def byte(self):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 16) & 255


def image(w, h, f):
    out = np.zeros((h, w, 3), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            out[y, x] = [v & 255 for v in f(x, y)]
    return out


def fixtures():
    noise, grain, mixed = LCG(1), LCG(99), LCG(3)
    return {
        "tiny-1x1.png": (image(1, 1, lambda x, y: (255, 0, 128)), {}),
        "gradient-17x9.png": (image(17, 9, lambda x, y: (x * 15, y * 28, x * y * 7 + 3)), None),
        "noise-64x48.png": (image(64, 48, lambda x, y: (noise.byte(), noise.byte(), noise.byte())),
                            {"parameters": "東京の夜景 🌃, naïve café\nSteps: 4, Sampler: Euler, Seed: 7",
                             "Comment": "Latin-1 only: café"}),
        "smooth-160x120.png": (image(160, 120, lambda x, y: (x + 2 * y + (grain.byte() & 3), (x * x + y * y) >> 6,
                                                             128 + (x * y >> 5))), {"Software": "Bantam"}),
        "bands-256x160.png": (image(256, 160, lambda x, y: (mixed.byte(), mixed.byte(), mixed.byte()) if y % 64 < 32
                                    else (x, y, (x ^ y) & 0xF0)), {}),
    }


FLUX_EXPECTED = {"Prompt": "a photo of a red fox, intricate details", "Negative prompt": "blurry, low quality",
                 "Steps": "4", "Sampler": "Euler", "Schedule type": "Simple", "CFG scale": "1",
                 "Distilled CFG Scale": "3.5", "Seed": "42", "Size": "17x9", "Model": "flux1-dev",
                 "Model path": 'C:\\models\\flux1-dev, "fp8".safetensors', "Version": "Bantam"}


def idat(data):
    at, out = 8, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        if data[at + 4:at + 8] == b"IDAT":
            out += data[at + 8:at + 8 + length]
        at += 12 + length
    return out


def main():
    ok = True
    for name, (pixels, text) in fixtures().items():
        path = DIR / name
        data = path.read_bytes()
        img = Image.open(path)
        img.load()
        got = np.asarray(img.convert("RGB"))
        zlib.decompress(idat(data))
        problems = []
        if img.mode != "RGB" or got.shape != pixels.shape or not np.array_equal(got, pixels):
            problems.append("pixels differ")
        if text is None:
            parsed = a1111_parse(img.text.get("parameters", ""))
            if parsed != FLUX_EXPECTED:
                problems.append(f"A1111 parse gives {parsed}")
        elif dict(img.text) != text:
            problems.append(f"text is {dict(img.text)}")
        print(f"{name}: {'OK' if not problems else '; '.join(problems)}")
        ok = ok and not problems
    print(f"Pillow {PIL.__version__}, numpy {np.__version__}, zlib {zlib.ZLIB_RUNTIME_VERSION}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
