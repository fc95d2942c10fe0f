#!/usr/bin/env bash
# The GPU kit's run.sh (made by `npm run gpu-kit`, see scripts/gpu-kit.mjs). On a Linux x64 machine
# with an NVIDIA GPU, nvcc, CMake and a C++ compiler, and no network or Node needed:
#
#   run.sh RESULTS_DIR                      the proof (on an H200 two 10-minute runs of it: see 3.)
#   run.sh RESULTS_DIR [npm run bench flags…] one benchmark with those flags
#   run.sh RESULTS_DIR --profile [npm run bench:profile flags…]
#                                           where a step's time goes (bench/stepProfile.ts), printed
#
# 1. unpacks the kit into $STAND_GPU_WORK (default /tmp/stand-gpu-kit), once;
# 2. builds libggml-cuda.so with this machine's nvcc for this machine's GPU, once, and puts it
#    beside node-llama-cpp's prebuilt linux-x64-cuda binaries;
# 3. the proof: writes the cost twins of the embedded model (qwen2.5-1.5b and qwen2.5-7b, F16,
#    sparse: seconds, a few MB on disk; see tools/twin) into the work folder, then benchmarks the
#    7b twin, the 1.5b twin and the embedded model at N = 16, 1, 4 and T = 0, 0.7, one run per model
#    and N, writing RESULTS_DIR/bench-cuda-<model>-n<N>.json and RESULTS_DIR/proof.log (timings).
#    Runs stop at a deadline (the budget, from the start of this script), most important first;
#    a run cut short says so in proof.log and writes no JSON. On an H200 (2026-12-04) the build
#    took 153 s and the 7b twin's three runs about 6 minutes, so the first run of the proof ends
#    with the 7b twin and a second run of the same command does the rest.
#    With flags instead: one benchmark, RESULTS_DIR/bench-cuda.json unless --out is given.
#    (On the CPU, STAND_GPU_KIT_CPU=1 below, the files say cpu instead of cuda.)
# Run it again: steps 1 and 2, the twins and every run whose JSON is in RESULTS_DIR are skipped.
#
# Environment: STAND_CUDA_ARCHITECTURES overrides the GPU architecture (default: this GPU's),
# STAND_CUDA_FLASH_ATTENTION=ON builds flash attention too. For the proof: STAND_GPU_KIT_BUDGET
# (seconds, default 570), STAND_GPU_KIT_TWINS (default "qwen2.5-7b qwen2.5-1.5b"),
# STAND_GPU_KIT_TRAJECTORIES (default "16 1 4"), STAND_GPU_KIT_PROMPTS (how many of the prompt
# set, default 4), STAND_GPU_KIT_TOKENS (default 48), STAND_GPU_KIT_REPETITIONS (default 2),
# STAND_GPU_KIT_TEMPERATURES (default "0,0.7"). STAND_GPU_KIT_CPU=1 skips the CUDA build and
# benchmarks on the CPU (a kit made with --cpu): that proves the kit end to end without a GPU.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 RESULTS_DIR [npm run bench flags…]" >&2
  exit 2
fi
started=$(date +%s)
kit=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
results=$(cd "$1" && pwd)
shift
work=${STAND_GPU_WORK:-/tmp/stand-gpu-kit}
cpu_only=${STAND_GPU_KIT_CPU:-}
# The proof (no bench flags) logs its progress to RESULTS_DIR/proof.log too.
log=/dev/null
if [ $# -eq 0 ]; then
  log="$results/proof.log"
  : > "$log"
fi
say() {
  echo "[gpu-kit] $(($(date +%s) - started)) s: $*" | tee -a "$log" >&2
}

# 1. Unpack.
mkdir -p "$work"
if [ -f "$kit/node.xz" ] && [ ! -x "$work/node" ]; then
  xz -dc "$kit/node.xz" > "$work/node.partial" && chmod +x "$work/node.partial" && mv "$work/node.partial" "$work/node"
fi
[ -x "$work/node" ] && export PATH="$work:$PATH"
command -v node > /dev/null || { say "no Node: put one on PATH, or make the kit without --no-node"; exit 1; }
[ -d "$work/app" ] || tar -xJf "$kit/app.tar.xz" -C "$work"
[ -d "$work/llama.cpp" ] || tar -xJf "$kit/llama.cpp.tar.xz" -C "$work"
say "unpacked into $work"

# 2. The CUDA backend, for this GPU with this toolkit.
if [ -n "$cpu_only" ]; then
  gpu=false
  backend=cpu
  [ -d "$work/app/node_modules/@node-llama-cpp/linux-x64" ] || { say "STAND_GPU_KIT_CPU needs a kit made with --cpu"; exit 1; }
  say "STAND_GPU_KIT_CPU: no CUDA backend built; benchmarking on the CPU"
else
  gpu=cuda
  backend=cuda
  binaries="$work/app/node_modules/@node-llama-cpp/linux-x64-cuda/bins/linux-x64-cuda"
  nvcc_path=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  [ -x "$nvcc_path" ] || { say "no nvcc on PATH or in /usr/local/cuda/bin"; exit 1; }
  toolkit=$(dirname "$(dirname "$(readlink -f "$nvcc_path")")")
  if [ ! -f "$binaries/libggml-cuda.so" ]; then
    capability=$( (nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2> /dev/null || true) | head -n 1 | tr -d ' .')
    architectures=${STAND_CUDA_ARCHITECTURES:-${capability:+${capability}-real}}
    # Flash attention's kernels are most of the build time, and STAND's contexts do without them
    # (node-llama-cpp's "auto" leaves it off where the backend lacks them).
    flash_attention=${STAND_CUDA_FLASH_ATTENTION:-OFF}
    say "building libggml-cuda.so with $("$nvcc_path" --version | grep -o 'release [0-9.]*') for ${architectures:-native} on $(nproc) cores"
    generator=$(command -v ninja > /dev/null && echo Ninja || echo "Unix Makefiles")
    cmake -S "$work/llama.cpp" -B "$work/build" -G "$generator" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_path" \
      -DCMAKE_CUDA_ARCHITECTURES="${architectures:-native}" \
      -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_CUDA=ON -DGGML_CUDA_FA="$flash_attention" -DGGML_CUDA_NCCL=OFF -DGGML_CPU=OFF \
      -DGGML_NATIVE=OFF -DGGML_CCACHE=OFF -DGGML_BUILD_NUMBER=1 \
      -DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON -DCMAKE_BUILD_RPATH='$ORIGIN' \
      -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF > "$work/configure.log" 2>&1 \
      || { tail -n 40 "$work/configure.log" >&2; say "configuring llama.cpp failed (whole log: $work/configure.log)"; exit 1; }
    cmake --build "$work/build" --target ggml-cuda -j "$(nproc)" > "$work/build.log" 2>&1 \
      || { tail -n 40 "$work/build.log" >&2; say "building ggml-cuda failed (whole log: $work/build.log)"; exit 1; }
    built=$(find "$work/build" -name libggml-cuda.so -print -quit)
    cp "$built" "$binaries/libggml-cuda.so.partial"
    mv "$binaries/libggml-cuda.so.partial" "$binaries/libggml-cuda.so"
    say "built libggml-cuda.so"
  fi
  # The backend links the toolkit's libcudart and libcublas by soname; container images often mount
  # the driver's libcuda under /usr/local/nvidia.
  for libraries in "$toolkit/lib64" "$toolkit/targets/x86_64-linux/lib" /usr/local/nvidia/lib64; do
    [ -d "$libraries" ] && export LD_LIBRARY_PATH="$libraries${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  done
  # The backend must use node-llama-cpp's libggml-base.so, not a second copy from the build folder
  # (a build without the soname and runpath flags above linked libggml-base.so.0 from there: two
  # ggml-base instances, and llama.cpp's debug log printed past node-llama-cpp's logger).
  if command -v ldd > /dev/null; then
    base=$(ldd "$binaries/libggml-cuda.so" | awk '/libggml-base/ { print $3 }')
    [ "$base" = "$binaries/libggml-base.so" ] || { say "libggml-cuda.so links ${base:-no libggml-base}, not $binaries/libggml-base.so"; exit 1; }
  fi
  (nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2> /dev/null || true) | while read -r line; do say "GPU: $line"; done
fi
cd "$work/app"

# 3a. One profile or one benchmark with the given flags.
if [ "${1:-}" = "--profile" ]; then
  shift
  exec node profile.cjs --gpu "$gpu" "$@"
fi
if [ $# -gt 0 ]; then
  out=("--out" "$results/bench-$backend.json")
  for flag in "$@"; do
    [ "$flag" = "--out" ] && out=()
  done
  exec node bench.cjs --gpu "$gpu" "${out[@]}" "$@"
fi

# 3b. The proof.
deadline=$((started + ${STAND_GPU_KIT_BUDGET:-570}))
twins=${STAND_GPU_KIT_TWINS:-qwen2.5-7b qwen2.5-1.5b}
prompts="$work/prompts-${STAND_GPU_KIT_PROMPTS:-4}.jsonl"
head -n "${STAND_GPU_KIT_PROMPTS:-4}" bench/prompts.jsonl > "$prompts"
mkdir -p "$work/twins"
for shape in $twins; do
  if [ ! -f "$work/twins/$shape.gguf" ]; then
    node twin.cjs --shape "$shape" --out "$work/twins/$shape.gguf" --sparse | while read -r line; do say "$line"; done
  fi
done
failures=0
for model in $twins stand-code-mini; do
  path="$work/twins/$model.gguf"
  [ "$model" = stand-code-mini ] && path=models/stand-code-mini.gguf
  for trajectories in ${STAND_GPU_KIT_TRAJECTORIES:-16 1 4}; do
    left=$((deadline - $(date +%s)))
    name="bench-$backend-$model-n$trajectories.json"
    if [ -f "$results/$name" ]; then
      say "$name: written by an earlier run"
      continue
    fi
    if [ "$left" -le 10 ]; then
      say "$name: skipped, the budget is spent"
      failures=$((failures + 1))
      continue
    fi
    run_started=$(date +%s)
    status=0
    timeout --signal=INT --kill-after=10 "$left" node bench.cjs --gpu "$gpu" --model "$path" --prompts "$prompts" \
      --trajectories "$trajectories" --temperature "${STAND_GPU_KIT_TEMPERATURES:-0,0.7}" --max-tokens "${STAND_GPU_KIT_TOKENS:-48}" \
      --repetitions "${STAND_GPU_KIT_REPETITIONS:-2}" --out "$results/$name" > "$results/${name%.json}.txt" 2>&1 || status=$?
    if [ "$status" -eq 0 ]; then
      say "$name: written in $(($(date +%s) - run_started)) s"
    else
      say "$name: failed or cut short (exit $status) after $(($(date +%s) - run_started)) s; see ${name%.json}.txt"
      failures=$((failures + 1))
    fi
  done
done
say "proof done in $(($(date +%s) - started)) s; $failures run(s) missing"
[ "$failures" -eq 0 ]
