"""Tokenizer training + FIM transform + tokenisation of the corpus.

Reads tools/model/.work/corpus/{train,val}.jsonl (written by corpus.mjs), writes
  .work/tokenizer.json        byte-level BPE (tokens, merges, specials)
  .work/train.bin, val.bin    uint16 token streams (documents separated by EOS)
  .work/prepare.json          statistics
"""
import hashlib
import json
import os
import random
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, ".work")
VOCAB = 4096
BPE_SAMPLE_BYTES = 20_000_000
FIM_RATE = 0.4
SEG_CHARS = 1600  # FIM examples are built from line-aligned segments of about this size
SEED = 1234


def read(path):
    with open(path) as f:
        return [json.loads(l) for l in f]


def segments(text, rng):
    """Split text at line boundaries into pieces of roughly SEG_CHARS characters."""
    lines = text.splitlines(keepends=True)
    out, cur, n = [], [], 0
    target = rng.randint(SEG_CHARS // 2, SEG_CHARS)
    for ln in lines:
        cur.append(ln)
        n += len(ln)
        if n >= target:
            out.append("".join(cur))
            cur, n = [], 0
            target = rng.randint(SEG_CHARS // 2, SEG_CHARS)
    if cur:
        out.append("".join(cur))
    return out


def fim_split(seg, rng):
    """Return (prefix, middle, suffix). Half the time the middle is 1-4 whole lines
    (or the rest of a line), otherwise two uniform character positions."""
    if rng.random() < 0.5:
        lines = seg.splitlines(keepends=True)
        if len(lines) >= 2:
            i = rng.randrange(len(lines))
            k = min(len(lines) - i, rng.randint(1, 4))
            pre_l = "".join(lines[:i])
            mid = "".join(lines[i : i + k])
            suf = "".join(lines[i + k :])
            if rng.random() < 0.5 and len(mid) > 2:  # start the middle inside the first line
                cut = rng.randrange(len(lines[i]))
                return pre_l + mid[:cut], mid[cut:], suf
            return pre_l, mid, suf
    a, b = sorted(rng.randrange(len(seg) + 1) for _ in range(2))
    return seg[:a], seg[a:b], seg[b:]


def tokenize_docs(docs, enc, rng):
    sp = enc.specials
    eos, pre, suf, mid = sp["<|endoftext|>"], sp["<fim_prefix>"], sp["<fim_suffix>"], sp["<fim_middle>"]
    out = []
    n_fim = n_seg = 0
    for d in docs:
        for seg in segments(d["text"], rng):
            n_seg += 1
            if rng.random() < FIM_RATE:
                n_fim += 1
                p, m, s = fim_split(seg, rng)
                out.append(pre)
                out.extend(enc.encode(p))
                out.append(suf)
                out.extend(enc.encode(s))
                out.append(mid)
                out.extend(enc.encode(m))
                out.append(eos)
            else:
                out.extend(enc.encode(seg))
        out.append(eos)
    return np.array(out, dtype=np.uint16), n_fim, n_seg


def main():
    t0 = time.time()
    train_docs = read(os.path.join(WORK, "corpus", "train.jsonl"))
    val_docs = read(os.path.join(WORK, "corpus", "val.jsonl"))
    # Deterministic shuffle of training files (by content hash) so packages interleave.
    train_docs.sort(key=lambda d: hashlib.sha256((d["pkg"] + d["path"]).encode()).hexdigest())

    tok_path = os.path.join(WORK, "tokenizer.json")
    sample, n = [], 0
    for d in train_docs:
        if n >= BPE_SAMPLE_BYTES:
            break
        sample.append(d["text"])
        n += len(d["text"])
    print(f"prepare: training BPE on {n / 1e6:.1f} MB ({len(sample)} files)", flush=True)
    tok = bpe.train(sample, VOCAB, log=lambda s: print(s, flush=True))
    bpe.save(tok, tok_path)
    t1 = time.time()
    print(f"prepare: BPE done in {t1 - t0:.0f}s", flush=True)

    enc = bpe.Encoder(tok)
    rng = random.Random(SEED)
    val, vf, vs = tokenize_docs(val_docs, enc, rng)
    val.tofile(os.path.join(WORK, "val.bin"))
    train, tf, ts = tokenize_docs(train_docs, enc, rng)
    train.tofile(os.path.join(WORK, "train.bin"))
    chars = sum(len(d["text"]) for d in train_docs)
    stats = {
        "vocab": len(tok["tokens"]),
        "specials": tok["specials"],
        "bpe_sample_bytes": n,
        "train_files": len(train_docs),
        "val_files": len(val_docs),
        "train_chars": chars,
        "train_tokens": int(train.size),
        "val_tokens": int(val.size),
        "chars_per_token": chars / max(1, train.size),
        "fim_segments": tf + vf,
        "segments": ts + vs,
        "fim_rate": FIM_RATE,
        "seconds": time.time() - t0,
    }
    with open(os.path.join(WORK, "prepare.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print("prepare:", json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
