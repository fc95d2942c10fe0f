"""Train the embedded code model (CPU, PyTorch 1.13, fixed seed).

Usage: /usr/bin/python3 tools/model/train.py [--tokens N] [--deadline EPOCH_SECONDS]
Reads .work/train.bin, .work/val.bin; writes .work/ckpt.pt and .work/train_log.json.
Phase 1 trains on 512-token windows; the last LONG_FRAC of the steps use 1024-token
windows (same tokens per step) so the exported context length can be 1024.
"""
import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads collapse on a shared 2-core CPU
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import Config, Model  # noqa: E402

WORK = os.path.join(HERE, ".work")
SEED = 1234
TOKENS_PER_STEP = 4096  # 8 x 512, or 4 x 1024 in the long phase
LONG_FRAC = 0.12
PEAK_LR = 1.5e-3
MIN_LR_FRAC = 0.1
WARMUP = 100
EVAL_EVERY = 200
EVAL_WINDOWS = 48

CONFIG = Config(vocab_size=4096, dim=256, n_layers=6, n_heads=4, n_kv_heads=2, ffn_dim=768, ctx=1024)


def batches(data, T, rng):
    """Non-overlapping windows of T+1 tokens in a seeded random order, repeated if exhausted."""
    n = (len(data) - 1) // T
    while True:
        for i in rng.permutation(n):
            yield i * T


def evaluate(model, val, T=512):
    model.eval()
    n = (len(val) - 1) // T
    idx = np.linspace(0, n - 1, min(EVAL_WINDOWS, n)).astype(np.int64) * T
    tot = 0.0
    cnt = 0
    with torch.no_grad():
        for s in range(0, len(idx), 8):
            xs = np.stack([val[i : i + T + 1] for i in idx[s : s + 8]]).astype(np.int64)
            x = torch.from_numpy(xs)
            logits = model(x[:, :-1]).float()
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="sum")
            tot += loss.item()
            cnt += x[:, 1:].numel()
    model.train()
    return tot / cnt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=12_000_000)
    ap.add_argument("--deadline", type=float, default=0,
                    help="unix time; if given, schedule progress is max(step/steps, elapsed/time_left) so the cosine "
                         "schedule (and the 1024 phase) completes by then even on a contended CPU")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(SEED)
    train = np.memmap(os.path.join(WORK, "train.bin"), dtype=np.uint16, mode="r")
    val = np.fromfile(os.path.join(WORK, "val.bin"), dtype=np.uint16)

    model = Model(CONFIG)
    print(f"train: {model.n_params()} parameters, {args.tokens} tokens", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=PEAK_LR, betas=(0.9, 0.95), eps=1e-8,
    )
    steps = args.tokens // TOKENS_PER_STEP
    short_it = batches(train, 512, rng)
    long_it = batches(train, 1024, rng)

    t_start = time.time()
    budget_s = args.deadline - t_start if args.deadline else 0

    def progress(s):
        p = s / steps
        if budget_s > 0:
            p = max(p, (time.time() - t_start) / budget_s)
        return min(p, 1.0)

    def lr_at(s, p):
        if s < WARMUP:
            return PEAK_LR * (s + 1) / WARMUP
        q = max(0.0, (p - WARMUP / steps) / (1 - WARMUP / steps))
        return PEAK_LR * (MIN_LR_FRAC + (1 - MIN_LR_FRAC) * 0.5 * (1 + math.cos(math.pi * q)))

    log = {"config": CONFIG.to_dict(), "params": model.n_params(), "planned_steps": steps, "tokens_per_step": TOKENS_PER_STEP,
           "peak_lr": PEAK_LR, "seed": SEED, "evals": [], "train_loss": []}
    t0 = time.time()
    ema = None
    step = 0
    stopped_early = False
    for step in range(steps):
        p = progress(step)
        if p >= 1.0:
            stopped_early = True
            print("train: time budget used, stopping", flush=True)
            break
        T = 1024 if p >= 1 - LONG_FRAC else 512
        B = TOKENS_PER_STEP // T
        it = long_it if T == 1024 else short_it
        xs = np.stack([train[o : o + T + 1] for o in (next(it) for _ in range(B))]).astype(np.int64)
        x = torch.from_numpy(xs)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, p)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, CONFIG.vocab_size), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 50 == 0:
            el = time.time() - t0
            print(f"step {step}/{steps} T={T} loss {ema:.3f} lr {lr_at(step, p):.2e} p {p:.3f} {el:.0f}s {(step + 1) * TOKENS_PER_STEP / el:.0f} tok/s", flush=True)
            log["train_loss"].append({"step": step, "loss": round(ema, 4), "seconds": round(el, 1)})
        if (step + 1) % EVAL_EVERY == 0 or step == steps - 1:
            vl = evaluate(model, val)
            el = time.time() - t0
            log["evals"].append({"step": step + 1, "tokens": (step + 1) * TOKENS_PER_STEP, "val_loss": round(vl, 4),
                                 "val_ppl": round(math.exp(vl), 2), "seconds": round(el, 1)})
            print(f"eval step {step + 1}: val loss {vl:.4f} ppl {math.exp(vl):.2f}", flush=True)
            torch.save({"config": CONFIG.to_dict(), "model": model.state_dict(), "step": step + 1}, os.path.join(WORK, "ckpt.pt"))
            with open(os.path.join(WORK, "train_log.json"), "w") as f:
                json.dump(log, f, indent=1)
    step = step if stopped_early else step + 1  # number of steps done
    vl512 = evaluate(model, val, 512)
    vl1024 = evaluate(model, val, 1024)
    log.update({"steps_done": step, "tokens_trained": step * TOKENS_PER_STEP, "seconds": round(time.time() - t0, 1),
                "stopped_early": stopped_early, "final_val_loss_512": round(vl512, 4), "final_val_ppl_512": round(math.exp(vl512), 2),
                "final_val_loss_1024": round(vl1024, 4), "final_val_ppl_1024": round(math.exp(vl1024), 2),
                "threads": args.threads, "torch": torch.__version__})
    torch.save({"config": CONFIG.to_dict(), "model": model.state_dict(), "step": step}, os.path.join(WORK, "ckpt.pt"))
    with open(os.path.join(WORK, "train_log.json"), "w") as f:
        json.dump(log, f, indent=1)
    print("train:", json.dumps({k: v for k, v in log.items() if k not in ("evals", "train_loss")}), flush=True)


if __name__ == "__main__":
    main()
