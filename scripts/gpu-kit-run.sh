#!/usr/bin/env bash
# The GPU kit's run.sh (made by `npm run gpu-kit`, see scripts/gpu-kit.mjs). On a Linux x64 machine
# with an NVIDIA GPU, nvcc, CMake and a C++ compiler, and no network or Node needed:
#
#   run.sh RESULTS_DIR [npm run bench flags…]
#
# 1. unpacks the kit into $STAND_GPU_WORK (default /tmp/stand-gpu-kit), once;
# 2. builds libggml-cuda.so with this machine's nvcc for this machine's GPU, once, and puts it
#    beside node-llama-cpp's prebuilt linux-x64-cuda binaries;
# 3. runs the benchmark with --gpu cuda, writing RESULTS_DIR/bench-cuda.json unless --out is given.
# Run it again with other flags: steps 1 and 2 are skipped. STAND_CUDA_ARCHITECTURES overrides the
# GPU architecture (default: this GPU's), STAND_CUDA_FLASH_ATTENTION=ON builds flash attention too.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 RESULTS_DIR [npm run bench flags…]" >&2
  exit 2
fi
kit=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
results=$(cd "$1" && pwd)
shift
work=${STAND_GPU_WORK:-/tmp/stand-gpu-kit}
say() { echo "[gpu-kit] $*" >&2; }

# 1. Unpack.
mkdir -p "$work"
if [ -f "$kit/node.xz" ] && [ ! -x "$work/node" ]; then
  xz -dc "$kit/node.xz" > "$work/node.partial" && chmod +x "$work/node.partial" && mv "$work/node.partial" "$work/node"
fi
[ -x "$work/node" ] && export PATH="$work:$PATH"
command -v node > /dev/null || { say "no Node: put one on PATH, or make the kit without --no-node"; exit 1; }
[ -d "$work/app" ] || tar -xJf "$kit/app.tar.xz" -C "$work"
[ -d "$work/llama.cpp" ] || tar -xJf "$kit/llama.cpp.tar.xz" -C "$work"

# 2. The CUDA backend, for this GPU with this toolkit.
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
  started=$(date +%s)
  cmake -S "$work/llama.cpp" -B "$work/build" -G "$generator" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_path" \
    -DCMAKE_CUDA_ARCHITECTURES="${architectures:-native}" \
    -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON -DGGML_CUDA=ON -DGGML_CUDA_FA="$flash_attention" -DGGML_CUDA_NCCL=OFF -DGGML_CPU=OFF \
    -DGGML_NATIVE=OFF -DGGML_CCACHE=OFF -DGGML_BUILD_NUMBER=1 \
    -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF > "$work/configure.log" 2>&1 \
    || { tail -n 40 "$work/configure.log" >&2; say "configuring llama.cpp failed (whole log: $work/configure.log)"; exit 1; }
  cmake --build "$work/build" --target ggml-cuda -j "$(nproc)" > "$work/build.log" 2>&1 \
    || { tail -n 40 "$work/build.log" >&2; say "building ggml-cuda failed (whole log: $work/build.log)"; exit 1; }
  built=$(find "$work/build" -name libggml-cuda.so -print -quit)
  cp "$built" "$binaries/libggml-cuda.so"
  say "built in $(($(date +%s) - started)) s"
fi
# The backend links the toolkit's libcudart and libcublas by soname; container images often mount
# the driver's libcuda under /usr/local/nvidia.
for libraries in "$toolkit/lib64" "$toolkit/targets/x86_64-linux/lib" /usr/local/nvidia/lib64; do
  [ -d "$libraries" ] && export LD_LIBRARY_PATH="$libraries${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done

# 3. The benchmark.
out=("--out" "$results/bench-cuda.json")
for flag in "$@"; do
  [ "$flag" = "--out" ] && out=()
done
cd "$work/app"
node bench.cjs --gpu cuda "${out[@]}" "$@"
