#!/usr/bin/env bash
# Rebuilds models/stand-code-mini.gguf, its F16 source models/source/stand-code-mini-f16.gguf and
# models/MODEL_CARD.md from scratch:
#   corpus (npm pack) -> BPE tokenizer + FIM + tokenisation -> training -> F16 GGUF export
#   -> Q8_0 copy (the shipped file) -> checks -> model card
#
# Needs Debian packages (for /usr/bin/python3):  python3-torch python3-numpy libopenblas0-openmp
#   sudo apt-get install python3-torch python3-numpy libopenblas0-openmp
# plus node/npm with access to the npm registry (build time only). No GPU.
#
# Environment:
#   STAND_MODEL_TOKENS    training token budget (default 16000000)
#   STAND_MODEL_DEADLINE  optional end time for training (anything `date -d` accepts, e.g. "17:50");
#                         the LR schedule then follows wall-clock progress so it completes by then
# Intermediate data: tools/model/.work/ (gitignored). Takes about 1.5 h on 2 CPU cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=/usr/bin/python3
missing=()
for pkg in python3-torch python3-numpy libopenblas0-openmp; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "model:build needs these Debian packages: ${missing[*]}" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
"$PY" -c "import torch, numpy" || { echo "model:build: $PY cannot import torch/numpy" >&2; exit 1; }

mkdir -p tools/model/.work
export OMP_WAIT_POLICY=PASSIVE

echo "== corpus"
node tools/model/corpus.mjs
echo "== tokenizer, FIM, tokenisation"
"$PY" tools/model/prepare.py
echo "== training"
args=(--tokens "${STAND_MODEL_TOKENS:-16000000}" --threads 2)
if [ -n "${STAND_MODEL_DEADLINE:-}" ]; then args+=(--deadline "$(date -d "$STAND_MODEL_DEADLINE" +%s)"); fi
"$PY" tools/model/train.py "${args[@]}" 2>&1 | tee tools/model/.work/train.log
echo "== export"
"$PY" tools/model/export.py
echo "== Q8_0 copy (the shipped file: faster than F16 on a CPU, most of all for a batch of tokens)"
npm run -s model:twin -- --shape source --type q8_0 --out models/stand-code-mini.gguf
echo "== checks"
node tools/model/check.mjs --json tools/model/.work/check.json
echo "== model card"
node tools/model/card.mjs
ls -l models/stand-code-mini.gguf models/source/stand-code-mini-f16.gguf
