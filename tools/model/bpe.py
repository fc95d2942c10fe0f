"""Byte-level BPE (GPT-2 byte alphabet) with the Qwen2 pre-tokenizer split.

Exported to GGUF as tokenizer.ggml.model="gpt2", tokenizer.ggml.pre="qwen2", so
llama.cpp applies the same split regex and the same merges by rank.

Python's `re` has no \\p{L}/\\p{N}; they are approximated by [^\\W\\d_] and \\d,
which is exact for ASCII. tools/model/check.mjs compares this encoder with
llama.cpp's on the held-out files.
"""
import heapq
import json
import re
from collections import Counter

# llama.cpp LLAMA_VOCAB_PRE_TYPE_QWEN2:
# (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}
# | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
L = r"[^\W\d_]"
NOT_LN_CRLF = r"(?:[^\w\r\n]|_)"  # [^\r\n\p{L}\p{N}]
NOT_S_LN = r"(?:[^\w\s]|_)"  # [^\s\p{L}\p{N}]
SPLIT = re.compile(
    r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
    rf"|{NOT_LN_CRLF}?{L}+"
    r"|\d"
    rf"| ?{NOT_S_LN}+[\r\n]*"
    r"|\s*[\r\n]+"
    r"|\s+(?!\S)"
    r"|\s+"
)

SPECIALS = ["<|endoftext|>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>"]


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def pretokenize(text):
    return SPLIT.findall(text)


def train(texts, vocab_size, log=print):
    n_merges = vocab_size - 256 - len(SPECIALS)
    counts = Counter()
    for t in texts:
        counts.update(pretokenize(t))
    words = [list(w.encode("utf-8")) for w in counts]  # symbols are ints (token ids)
    freqs = list(counts.values())
    log(f"bpe: {len(words)} distinct pre-tokens")
    tokens = [B2U[b] for b in range(256)]
    pair_counts = Counter()
    where = {}
    for wi, w in enumerate(words):
        f = freqs[wi]
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += f
            where.setdefault((a, b), set()).add(wi)
    heap = [(-c, tokens[p[0]], tokens[p[1]], p) for p, c in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, _, _, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc or -negc <= 0:
            continue
        a, b = pair
        new_id = len(tokens)
        tokens.append(tokens[a] + tokens[b])
        merges.append(f"{tokens[a]} {tokens[b]}")
        changed = Counter()
        for wi in where.pop(pair, ()):
            w = words[wi]
            f = freqs[wi]
            out = []
            i = 0
            merged = False
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    out.append(new_id)
                    i += 2
                    merged = True
                else:
                    out.append(w[i])
                    i += 1
            if not merged:
                continue
            for p in zip(w, w[1:]):
                changed[p] -= f
            for p in zip(out, out[1:]):
                changed[p] += f
                where.setdefault(p, set()).add(wi)
            words[wi] = out
        for p, d in changed.items():
            if d == 0:
                continue
            pair_counts[p] += d
            if pair_counts[p] > 0:
                heapq.heappush(heap, (-pair_counts[p], tokens[p[0]], tokens[p[1]], p))
        pair_counts.pop(pair, None)
        if len(merges) % 500 == 0:
            log(f"bpe: {len(merges)} merges")
    tokens += SPECIALS
    return {"tokens": tokens, "merges": merges, "specials": {s: tokens.index(s) for s in SPECIALS}}


class Encoder:
    def __init__(self, tok):
        self.tokens = tok["tokens"]
        self.id = {t: i for i, t in enumerate(self.tokens)}
        self.rank = {tuple(m.split(" ")): i for i, m in enumerate(tok["merges"])}
        self.specials = tok["specials"]
        self.cache = {}

    def _bpe(self, word):
        syms = [B2U[b] for b in word.encode("utf-8")]
        while len(syms) > 1:
            best = None
            for i in range(len(syms) - 1):
                r = self.rank.get((syms[i], syms[i + 1]))
                if r is not None and (best is None or r < best[0]):
                    best = (r, i)
            if best is None:
                break
            a, b = syms[best[1]], syms[best[1] + 1]
            out = []
            i = 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        return [self.id[s] for s in syms]

    def encode(self, text):
        ids = []
        cache = self.cache
        for w in pretokenize(text):
            r = cache.get(w)
            if r is None:
                r = self._bpe(w)
                if len(cache) < 2_000_000:
                    cache[w] = r
            ids.extend(r)
        return ids

    def decode(self, ids):
        return bytes(U2B[c] for i in ids if self.tokens[i] not in self.specials for c in self.tokens[i]).decode("utf-8", "replace")


def save(tok, path):
    with open(path, "w") as f:
        json.dump(tok, f, ensure_ascii=False)


def load(path):
    with open(path) as f:
        return json.load(f)
