#!/usr/bin/env python3
"""Token ids of a ~300-prompt corpus from the reference tokenizers, for BantamTokenizers' parity tests.

Reference stack (the versions the committed file was made with; see requirements.txt):
    transformers 5.23.0, tokenizers 0.23.3, sentencepiece 0.2.3

Reads the tokenizer files of Tests/Fixtures/flux-tiny/ (made by flux_tiny_goldens.py) and writes
Tests/BantamTokenizersTests/Fixtures/:

  tokenizer_corpus.json   {"versions", "prompts", and per prompt the ids of each tokenizer below}
  t5-flux-format/tokenizer.json.template
                          the tiny T5 unigram model written the way the FLUX.1 tokenizer_2/tokenizer.json
                          is (transformers 4, legacy=false: Precompiled + Strip(right) + Replace(" {2,}", "▁")
                          normalizers, Metaspace(prepend_scheme "first")), with its 320 KB precompiled
                          charsmap replaced by the placeholder @PRECOMPILED_CHARSMAP@; the charsmap is the one
                          in tokenizers/t5/spiece.model and the Swift test puts it back (base64).

Ids per prompt (all unpadded; CLIP with <|startoftext|>/<|endoftext|>, truncated at 77; T5 with </s>,
truncated at 512):
  clip       CLIPTokenizer (transformers 5 = the `tokenizers` fast pipeline) on tokenizers/clip
             vocab.json + merges.txt (1000 tokens); checked here to equal diffusers/tokenizer/tokenizer.json.
  clip_full  the same on the real CLIP-L vocabulary (49408 tokens, vocab derived from clip-full/merges.txt as
             OpenAI's simple_tokenizer does).
  t5         T5Tokenizer.from_pretrained on a folder holding only tokenizers/t5/spiece.model (transformers 5
             converts it: Precompiled normalizer, WhitespaceSplit + Metaspace(always), 100 <extra_id_N>).
  t5_flux    the FLUX-format tokenizer.json above; stored only where it differs from `t5` (else null).
  t5_spm     the sentencepiece library itself (sp.encode(p)[:511] + [</s>]); only where it differs from `t5`.
  t5_4k, t5_4k_spm   the same two for unigram-4k/spiece.model (below).

  unigram-4k/spiece.model
                          a 4000-piece unigram model trained here (T5's special ids, "identity" normalization,
                          so no 240 KB charsmap) on generated text, whose many whole-word pieces make the
                          Viterbi segmentation compete far more than in the tiny, mostly one-character model.

Run from the repository root: /work/gold-venv/bin/python scripts/goldens/tokenizer_goldens.py
Deterministic (fixed seed); rerunning with the pinned versions reproduces the files byte for byte.
"""
import json, random, shutil, sys, tempfile
from pathlib import Path

import sentencepiece as spm
import tokenizers
import transformers
from tokenizers import Tokenizer
from transformers import CLIPTokenizer, PreTrainedTokenizerFast, T5Tokenizer

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "Tests" / "Fixtures" / "flux-tiny"
OUT = ROOT / "Tests" / "BantamTokenizersTests" / "Fixtures"
PLACEHOLDER = "@PRECOMPILED_CHARSMAP@"

WORDS = ("a photo of the cat dog city night jungle astronaut color palette muted cold warm red blue green "
         "yellow square circle small large above below background detailed intricate painting portrait "
         "landscape mountain river forest ocean sky cloud sun moon star light shadow glass metal wood stone "
         "fire water snow rain tree flower bird fish horse robot castle tower bridge street car train boat "
         "cinematic lighting, 8k, ultra-detailed, trending on artstation, bokeh, f/1.8, 35mm").split()
SCRIPTS = [
    "naïve café résumé façade jalapeño Ångström", "Ünïcödé ÀÉÎÕÜ ñ ç ß ẞ œ æ ø", "Ελληνικά ΟΔΥΣΣΕΥΣ σίσυφος",
    "Русский текст, ЁЖИК в тумане", "العربية مرحبا بالعالم", "עברית שלום עולם", "हिन्दी नमस्ते दुनिया",
    "ภาษาไทย สวัสดีชาวโลก", "東京の夜景", "中文字符测试，你好世界。", "日本語のテキスト：カタカナとひらがな",
    "한국어 텍스트 안녕하세요", "ქართული ენა", "Հայերեն", "Tiếng Việt có dấu", "İstanbul ıslak ŞEHİR",
    "ǅemal ǈubljana ǋegoš", "ﬁne ﬂour ﬀ", "Ⅻ ⅻ ① ② ⑳ ㈱", "½ ¼ ¾ x² H₂O 10⁻³", "ｈａｌｆ ＦＵＬＬ ＷＩＤＴＨ １２３",
    "ｶﾀｶﾅ ﾊﾟﾋﾟﾌﾟ ｶﾞｷﾞ", "𝐁𝐨𝐥𝐝 𝑖𝑡𝑎𝑙𝑖𝑐 𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "ℌℑℜ ℕ ℤ ℂ ℃ ℉ № ™ ℠", "㍻ ㌔ ㎏ ㎞ ㏄",
    "각 각 ᄒᆞᆫ", "ㄱㅏ ㅎㅏㄴ", "Ⓐⓑⓒ ⒜⒝", "ａｂｃ！？（）［］｛｝＜＞", "«guillemets» „Anführung“ ‘single’ “double”",
    "em—dash en–dash ellipsis… bullet• middle·dot", "§ ¶ © ® ° ± × ÷ µ", "₹ € £ ¥ ₩ ₿ $", "∑ ∫ √ ∞ ≈ ≠ ≤ ≥ → ⇒",
]
EMOJI = ["🌃", "🐱", "🚀🌕", "👩‍🚀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇯🇵🇫🇷", "👍🏽", "1️⃣ #️⃣", "❤️", "☕", "🧑🏿‍🎨",
         "😀😃😄😁", "🫠", "✨🎨🖌️"]
NFD_PAIRS = [("é", "e\u0301"), ("Å", "A\u030a"), ("ñ", "n\u0303"), ("ü", "u\u0308"), ("ệ", "e\u0323\u0302"),
             ("ǖ", "u\u0308\u0304"), ("가", "\u1100\u1161"), ("각", "\u1100\u1161\u11a8"), ("が", "か\u3099"),
             ("ガ", "ｶﾞ"), ("Ω", "\u2126"), ("Å", "\u212b"), ("ḍ̇", "d\u0307\u0323"), ("q̣̇", "q\u0307\u0323")]
SPACES = ["\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u2029", "\u0085", "\u200b", "\ufeff",
          "\u180e", "\u2003", "\u202f", "\u1680", "\u000b", "\u000c"]
LITERALS = ["<|endoftext|>", "<|startoftext|>", "<|ENDOFTEXT|>", "<extra_id_5>", "<extra_id_0>", "<extra_id_99>",
            "<extra_id_100>", "<extra_id_5", "</s>", "<pad>", "<unk>", "＜/s＞", "<s>", "▁", "▁▁x"]


def corpus():
    rng = random.Random(20260521)
    prompts = ["", " ", "  ", "\t\n", "a", "A", ".", "'", "''", "1", "12", "a b", " a", "a ", "  a  b  "]
    ref = json.loads((FIX / "reference.json").read_text())
    prompts += ref["prompts"]

    def words(n):
        return " ".join(rng.choice(WORDS) for _ in range(n))

    # Plain prompts, mixed case and punctuation.
    for _ in range(40):
        w = words(rng.randint(2, 25)).split()
        w = [x.capitalize() if rng.random() < 0.2 else x.upper() if rng.random() < 0.05 else x for x in w]
        sep = [" ", " ", " ", ", ", "; ", " - ", "... ", "! ", "? ", " / ", " (", ") "]
        prompts.append("".join(x + rng.choice(sep) for x in w).strip())
    # Scripts, alone and mixed with English.
    prompts += SCRIPTS
    for s in SCRIPTS:
        prompts.append(f"{words(3)} {s} {words(2)}")
    # Emoji.
    prompts += [f"{words(2)} {e} {words(2)}" for e in EMOJI]
    prompts.append("".join(EMOJI))
    # NFC / NFD pairs: the same text composed and decomposed.
    for nfc, nfd in NFD_PAIRS:
        prompts.append(f"{nfc} caf{nfc}s {nfc}{nfc}")
        prompts.append(f"{nfd} caf{nfd}s {nfd}{nfd}")
        prompts.append(f"ＡＢ{nfd} ｘ{nfd}")
    # Combining marks with nothing to compose with, and unusual orders.
    prompts += ["e\u0301\u0301\u0301", "\u0301 leading mark", "x\u20dd y\u0336z", "a\u0308\u0323 a\u0323\u0308",
                "Ａ\u0301 Ｅ\u0300 ｏ\u0308", "ﬁ\u0301", "ㄱ\u0301", "①\u0301"]
    # Whitespace of every kind, runs of spaces, leading and trailing.
    for s in SPACES:
        prompts.append(f"{words(2)}{s}{words(2)}")
        prompts.append(f"{s}{words(1)}{s}{s}{words(1)}{s}")
    prompts += ["a  b   c    d", "   leading", "trailing   ", "  both  ", "tab\tsep\tvalues", "line\nbreak\n\nend",
                " \t \n mixed \u3000 \u00a0 spaces \r\n"]
    # Numbers.
    prompts += ["1234567", "3.14159 and 2.71828", "1,000,000 people", "year 2024, 4k 8K 16k", "x1 y22 z333",
                "٣٤٥ ٠١٢", "४५६ digits", "①②③ ⅠⅡⅢ", "0.5x 1e-3 -42 +7", "phone: (555) 123-4567", "#1 top10"]
    # Apostrophes and contractions.
    prompts += ["don't won't it's I'm we'll they've she'd", "DON'T WON'T IT'S I'M WE'LL THEY'VE SHE'D",
                "rock'n'roll", "'tis the season", "it’s a curly apostrophe", "''quoted''", "cats' toys", "o'clock",
                "'s 't 're 've 'm 'll 'd", "x's y't z're", "'stop'", "l'été d'or"]
    # HTML entities (OpenAI's tokenizer would unescape them; HF does not) and markup.
    prompts += ["fish &amp; chips &lt;3 &quot;q&quot; &#39;s", "<b>bold</b> <i>it</i>", "a<b>c", "x&y"]
    # Special-token text inside prompts.
    for lit in LITERALS:
        prompts.append(lit)
        prompts.append(f"{words(2)} {lit} {words(2)}")
        prompts.append(f"x{lit}y")
    prompts += ["<|endoftext|><|endoftext|>", "<extra_id_1><extra_id_2> a", "a </s> b </s>", "<pad><unk></s>",
                " <extra_id_7> lead", "tail <extra_id_7> ", "<|startoftext|>a photo<|endoftext|>"]
    # Control characters.
    prompts += ["bell\x07ring", "esc\x1b[0m", "del\x7fete", "nul\x00byte", "soh\x01 \x02stx", "zw\u200djoiner",
                "bidi\u202eoverride\u202c", "soft\u00adhyphen", "var\ufe0fsel"]
    # Long prompts: ~2000 characters of words, a single long word, long CJK, long emoji.
    for n in (80, 150, 330):
        prompts.append(words(n))
    prompts.append(("Ultra detailed " + words(400))[:2000])
    prompts.append("a" * 2000)
    prompts.append("ab" * 1000)
    prompts.append("東京の夜景" * 400)
    prompts.append("🌃" * 500)
    prompts.append(("x" + " " * 7) * 250)
    prompts.append("1" * 300)
    prompts.append(("naïve café, " * 170)[:2000])
    # Random mixtures of everything above.
    pool = WORDS + SCRIPTS + EMOJI + [p for pair in NFD_PAIRS for p in pair] + SPACES + LITERALS + \
        ["don't", "it's", "'", "&amp;", "123", "4", ",", ".", "!!", "??", "...", "-", "_", "~", "`", "^", "|"]
    while len(prompts) < 300:
        k = rng.randint(1, 30)
        prompts.append("".join(rng.choice(pool) + rng.choice(["", " ", " ", "  ", "\t"]) for _ in range(k)))
    # Deduplicate, keeping the first occurrence.
    seen, out = set(), []
    for p in prompts:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def train_unigram_4k(target: Path, work: Path):
    """A word-level unigram model with T5's ids (pad 0, eos 1, unk 2, no bos) and no normalization rules."""
    rng = random.Random(4000)
    vocab = WORDS + [w for s in SCRIPTS for w in s.split()] + EMOJI + \
        "the and with over under between through sunlight moonlight reflection watercolor oil canvas".split()
    syllables = ("ka ri to mu se an el or in ta ne lo vi ra sh th qu ing ed er es ly ous tion pre con "
                 "bra cle dro fin gal hep jor kev lum mar nix opa pul quo rus sta tre ulm ver wix yor zan").split()
    vocab += ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 5))) for _ in range(12000)]
    corpus = work / "unigram4k.txt"
    with corpus.open("w") as f:
        for _ in range(40000):
            f.write(" ".join(rng.choice(vocab) for _ in range(rng.randint(3, 16))) + "\n")
    target.mkdir(parents=True, exist_ok=True)
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(work / "unigram4k"), vocab_size=4000, model_type="unigram",
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1, normalization_rule_name="identity", character_coverage=0.9995,
        num_threads=1, shuffle_input_sentence=False, input_sentence_size=0, minloglevel=2)
    shutil.copy(work / "unigram4k.model", target / "spiece.model")


def clip_full_vocab(merges_path: Path, work: Path) -> Path:
    """The real CLIP-L vocabulary as OpenAI's simple_tokenizer builds it from the merges."""
    lines = merges_path.read_text().split("\n")[1:]
    merges = [tuple(m.split()) for m in lines if m]
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    syms = [chr(c) for c in cs]
    vocab = syms + [s + "</w>" for s in syms] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    path = work / "clip-full-vocab.json"
    path.write_text(json.dumps({t: i for i, t in enumerate(vocab)}, ensure_ascii=False))
    return path


def main():
    work = Path(tempfile.mkdtemp(prefix="bantam-tokgold-"))
    prompts = corpus()
    print(f"{len(prompts)} prompts", file=sys.stderr)

    # CLIP: the tiny vocab from vocab.json + merges.txt, and the diffusers tokenizer.json (same vocab).
    clip = CLIPTokenizer(str(FIX / "tokenizers/clip/vocab.json"), str(FIX / "tokenizers/clip/merges.txt"),
                         pad_token="<|endoftext|>")
    clip_json = PreTrainedTokenizerFast(tokenizer_file=str(FIX / "diffusers/tokenizer/tokenizer.json"))
    full = CLIPTokenizer(str(clip_full_vocab(FIX / "tokenizers/clip-full/merges.txt", work)),
                         str(FIX / "tokenizers/clip-full/merges.txt"), pad_token="<|endoftext|>")

    # T5: transformers 5's conversion of spiece.model (a folder holding only that file).
    (work / "t5").mkdir()
    shutil.copy(FIX / "tokenizers/t5/spiece.model", work / "t5" / "spiece.model")
    t5 = T5Tokenizer.from_pretrained(str(work / "t5"))
    spec = json.loads(t5.backend_tokenizer.to_str())
    assert spec["normalizer"]["type"] == "Precompiled", spec["normalizer"]["type"]
    charsmap = spec["normalizer"]["precompiled_charsmap"]

    # The FLUX.1 tokenizer_2/tokenizer.json layout (transformers 4 conversion, legacy=false).
    flux = dict(spec)
    flux["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Precompiled", "precompiled_charsmap": charsmap},
        {"type": "Strip", "strip_left": False, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "▁"}]}
    flux["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True,
                             "prepend_scheme": "first"}
    flux_text = json.dumps(flux, ensure_ascii=False, separators=(",", ":"))
    t5_flux = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(flux_text), eos_token="</s>",
                                      pad_token="<pad>", unk_token="<unk>")
    sp = spm.SentencePieceProcessor(model_file=str(FIX / "tokenizers/t5/spiece.model"))
    train_unigram_4k(OUT / "unigram-4k", work)
    (work / "t5-4k").mkdir()
    shutil.copy(OUT / "unigram-4k" / "spiece.model", work / "t5-4k" / "spiece.model")
    t5_4k = T5Tokenizer.from_pretrained(str(work / "t5-4k"))
    sp_4k = spm.SentencePieceProcessor(model_file=str(OUT / "unigram-4k" / "spiece.model"))

    rows = {"clip": [], "clip_full": [], "t5": [], "t5_flux": [], "t5_spm": [], "t5_4k": [], "t5_4k_spm": []}
    differ_flux, differ_spm, differ_4k = [], [], []
    for i, p in enumerate(prompts):
        a = clip(p, max_length=77, truncation=True).input_ids
        b = clip_json(p, max_length=77, truncation=True).input_ids
        assert a == b, (p, a, b)
        rows["clip"].append(a)
        rows["clip_full"].append(full(p, max_length=77, truncation=True).input_ids)
        base = t5(p, max_length=512, truncation=True).input_ids
        rows["t5"].append(base)
        f = t5_flux(p, max_length=512, truncation=True).input_ids
        s = sp.encode(p)[:511] + [1]
        rows["t5_flux"].append(None if f == base else f)
        rows["t5_spm"].append(None if s == base else s)
        if f != base:
            differ_flux.append(i)
        if s != base:
            differ_spm.append(i)
        base4 = t5_4k(p, max_length=512, truncation=True).input_ids
        s4 = sp_4k.encode(p)[:511] + [1]
        rows["t5_4k"].append(base4)
        rows["t5_4k_spm"].append(None if s4 == base4 else s4)
        if s4 != base4:
            differ_4k.append(i)

    for name, idx, base, other in [("FLUX-format tokenizer.json", differ_flux, "t5", "t5_flux"),
                                   ("sentencepiece", differ_spm, "t5", "t5_spm"),
                                   ("sentencepiece (unigram-4k)", differ_4k, "t5_4k", "t5_4k_spm")]:
        print(f"{name} differs from transformers' conversion on {len(idx)} prompts:", file=sys.stderr)
        for i in idx:
            print(f"  {i}: {prompts[i]!r}\n     hf  {rows[base][i][:24]}\n     {other[-4:]:4}{rows[other][i][:24]}",
                  file=sys.stderr)

    OUT.mkdir(parents=True, exist_ok=True)
    doc = {"versions": {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                        "sentencepiece": spm.__version__},
           "prompts": prompts, **rows}
    # One prompt per line keeps the file reviewable and diffable.
    lines = ["{", f'"versions":{json.dumps(doc["versions"])},']
    keys = ["prompts", "clip", "clip_full", "t5", "t5_flux", "t5_spm", "t5_4k", "t5_4k_spm"]
    for key in keys:
        items = ",\n".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in doc[key])
        lines.append(f'"{key}":[\n{items}\n]' + ("," if key != keys[-1] else ""))
    lines.append("}")
    (OUT / "tokenizer_corpus.json").write_text("\n".join(lines) + "\n")
    (OUT / "t5-flux-format").mkdir(exist_ok=True)
    (OUT / "t5-flux-format" / "tokenizer.json.template").write_text(flux_text.replace(charsmap, PLACEHOLDER) + "\n")
    shutil.rmtree(work)
    size = (OUT / "tokenizer_corpus.json").stat().st_size
    print(f"wrote {OUT / 'tokenizer_corpus.json'} ({size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
