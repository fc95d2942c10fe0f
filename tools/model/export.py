"""Export .work/ckpt.pt to models/source/stand-code-mini-f16.gguf (GGUF v3, F16 matrices, F32 norms;
build.sh then quantises it into the shipped models/stand-code-mini.gguf)
and write tools/model/parity-reference.json (PyTorch log-probabilities for check.mjs).
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpe  # noqa: E402
import gguf  # noqa: E402
from gguf import F32, U32, array  # noqa: E402
from model import Config, Model  # noqa: E402

WORK = os.path.join(HERE, ".work")
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "models", "source", "stand-code-mini-f16.gguf")
REF = os.path.join(HERE, "parity-reference.json")
PARITY_TOKENS = 128
PARITY_POSITIONS = 16
PARITY_IDS_PER_POSITION = 48


def main():
    ckpt = sys.argv[1] if len(sys.argv) > 1 else os.path.join(WORK, "ckpt.pt")
    ck = torch.load(ckpt, map_location="cpu")
    cfg = Config(**ck["config"])
    model = Model(cfg)
    model.load_state_dict(ck["model"])
    model.eval()
    tok = bpe.load(os.path.join(WORK, "tokenizer.json"))
    sp = tok["specials"]
    eos = sp["<|endoftext|>"]
    n_tokens = len(tok["tokens"])
    assert n_tokens == cfg.vocab_size
    token_type = [3 if t in sp else 1 for t in tok["tokens"]]
    hd = cfg.dim // cfg.n_heads

    kv = [
        ("general.architecture", "llama"),
        ("general.name", "stand-code-mini"),
        ("general.description", "Tiny TypeScript/JavaScript code model with fill-in-the-middle, trained from scratch for STAND"),
        ("general.license", "MIT"),
        ("general.file_type", U32(1)),  # MOSTLY_F16
        ("general.alignment", U32(gguf.ALIGN)),
        ("llama.vocab_size", U32(cfg.vocab_size)),
        ("llama.context_length", U32(cfg.ctx)),
        ("llama.embedding_length", U32(cfg.dim)),
        ("llama.block_count", U32(cfg.n_layers)),
        ("llama.feed_forward_length", U32(cfg.ffn_dim)),
        ("llama.attention.head_count", U32(cfg.n_heads)),
        ("llama.attention.head_count_kv", U32(cfg.n_kv_heads)),
        ("llama.rope.dimension_count", U32(hd)),
        ("llama.rope.freq_base", F32(cfg.rope_base)),
        ("llama.attention.layer_norm_rms_epsilon", F32(cfg.norm_eps)),
        ("tokenizer.ggml.model", "gpt2"),
        ("tokenizer.ggml.pre", "qwen2"),
        ("tokenizer.ggml.tokens", array(gguf.STRING, tok["tokens"])),
        ("tokenizer.ggml.token_type", array(gguf.INT32, token_type)),
        ("tokenizer.ggml.merges", array(gguf.STRING, tok["merges"])),
        ("tokenizer.ggml.bos_token_id", U32(eos)),
        ("tokenizer.ggml.eos_token_id", U32(eos)),
        ("tokenizer.ggml.eot_token_id", U32(eos)),
        ("tokenizer.ggml.padding_token_id", U32(sp["<fim_pad>"])),
        ("tokenizer.ggml.add_bos_token", False),
        ("tokenizer.ggml.add_eos_token", False),
        # FIM, current keys ...
        ("tokenizer.ggml.fim_pre_token_id", U32(sp["<fim_prefix>"])),
        ("tokenizer.ggml.fim_suf_token_id", U32(sp["<fim_suffix>"])),
        ("tokenizer.ggml.fim_mid_token_id", U32(sp["<fim_middle>"])),
        ("tokenizer.ggml.fim_pad_token_id", U32(sp["<fim_pad>"])),
        # ... and the older aliases
        ("tokenizer.ggml.prefix_token_id", U32(sp["<fim_prefix>"])),
        ("tokenizer.ggml.suffix_token_id", U32(sp["<fim_suffix>"])),
        ("tokenizer.ggml.middle_token_id", U32(sp["<fim_middle>"])),
    ]

    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    f16 = lambda a: a.astype(np.float16)  # noqa: E731
    tensors = [
        ("token_embd.weight", f16(sd["tok.weight"])),
        ("output_norm.weight", sd["norm.weight"].astype(np.float32)),
        ("output.weight", f16(sd["tok.weight"])),
    ]
    for i in range(cfg.n_layers):
        p = f"blocks.{i}."
        tensors += [
            (f"blk.{i}.attn_norm.weight", sd[p + "attn_norm.weight"].astype(np.float32)),
            (f"blk.{i}.attn_q.weight", f16(sd[p + "wq.weight"])),
            (f"blk.{i}.attn_k.weight", f16(sd[p + "wk.weight"])),
            (f"blk.{i}.attn_v.weight", f16(sd[p + "wv.weight"])),
            (f"blk.{i}.attn_output.weight", f16(sd[p + "wo.weight"])),
            (f"blk.{i}.ffn_norm.weight", sd[p + "ffn_norm.weight"].astype(np.float32)),
            (f"blk.{i}.ffn_gate.weight", f16(sd[p + "w_gate.weight"])),
            (f"blk.{i}.ffn_up.weight", f16(sd[p + "w_up.weight"])),
            (f"blk.{i}.ffn_down.weight", f16(sd[p + "w_down.weight"])),
        ]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    gguf.write(OUT, kv, tensors)
    size = os.path.getsize(OUT)
    print(f"export: {OUT} ({size / 1e6:.2f} MB, {len(tensors)} tensors, {len(kv)} keys)")

    # Parity reference: the same model with its weights rounded to F16 (exactly what the file holds).
    with torch.no_grad():
        for name, prm in model.named_parameters():
            if prm.dim() >= 2:
                prm.copy_(prm.half().float())
    enc = bpe.Encoder(tok)
    with open(os.path.join(WORK, "corpus", "val.jsonl")) as f:
        doc = json.loads(f.readline())
    ids = enc.encode(doc["text"])[:PARITY_TOKENS]
    with torch.no_grad():
        lp = torch.log_softmax(model(torch.tensor([ids])).double()[0], dim=-1)
    centred = lp - lp.mean(dim=-1, keepdim=True)
    rng = np.random.default_rng(0)
    positions = sorted(set(np.linspace(0, len(ids) - 1, PARITY_POSITIONS).astype(int).tolist()))
    entries = []
    for pos in positions:
        row = centred[pos]
        top = torch.topk(row, PARITY_IDS_PER_POSITION // 2).indices.tolist()
        rnd = [int(x) for x in rng.choice(n_tokens, PARITY_IDS_PER_POSITION - len(top), replace=False) if int(x) not in top]
        sel = top + rnd
        entries.append({"position": pos, "ids": sel, "centredLogProbs": [round(float(row[i]), 5) for i in sel]})
    ref = {
        "description": "PyTorch (weights rounded to F16) log-probabilities centred by their mean over the vocabulary, "
                       "for the next token after tokens[0..position]. Written by tools/model/export.py.",
        "model": "models/source/stand-code-mini-f16.gguf",
        "source": f"{doc['pkg']} {doc['path']}",
        "vocabSize": n_tokens,
        "tokens": ids,
        "argmax": centred.argmax(dim=-1).tolist(),
        "positions": entries,
    }
    with open(REF, "w") as f:
        json.dump(ref, f)
    print(f"export: wrote {REF}")
    # Python-encoder ids for the held-out files, compared with llama.cpp's by check.mjs.
    with open(os.path.join(WORK, "corpus", "val.jsonl")) as f, open(os.path.join(WORK, "val_ids.jsonl"), "w") as o:
        for line in f:
            d = json.loads(line)
            o.write(json.dumps({"path": d["path"], "text": d["text"], "ids": enc.encode(d["text"])}) + "\n")


if __name__ == "__main__":
    main()
