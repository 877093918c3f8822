#!/usr/bin/env bash
# The GPU measurements in bench/results/gpu-*: the fused output-layer loss rows (the default
# plan, lean, the Pallas kernel and fixed chunk sizes, each against the unfused step: the
# chunking table), the kernels at both accuracy levels, the model rows, the remat table and the
# fused-loss tests, each part bounded so that one part's overrun leaves the others' results.
# Usage: OUT=dir bash bench/run_gpu.sh
set -u
OUT=${OUT:-jax_act_bench}
mkdir -p "$OUT"
export PYTHONPATH=$PWD
python3 -c "import jax, sys; print(jax.__version__, jax.devices(), sys.version)" > "$OUT/env.txt" 2>&1
timeout 200 python3 -m jax_act bench --losses-only --dtypes float32 bfloat16 \
  --losses 4096,512,32768 4096,1024,131072 16384,1024,32768 16384,1024,131072 \
  --loss-chunks 128 1024 2048 4096,1024 --budget 1 --max-samples 15 \
  --out "$OUT/gpu-losses.json" > "$OUT/gpu-losses.txt" 2> "$OUT/gpu-losses.err"
timeout 150 python3 -m jax_act bench --accuracy default highest --sizes 16 20 24 --modes jit \
  --no-models --no-losses --budget 0.02 --max-samples 30 --out "$OUT/gpu.json" > "$OUT/gpu.txt" 2> "$OUT/gpu.err"
timeout 90 python3 -m jax_act bench --models-only --dtypes float32 bfloat16 --budget 0.5 --max-samples 15 \
  --out "$OUT/gpu-models.json" > "$OUT/gpu-models.txt" 2> "$OUT/gpu-models.err"
timeout 60 python3 bench/remat.py --out "$OUT/gpu-remat" > /dev/null 2> "$OUT/gpu-remat.err"
timeout 60 python3 -m pytest -q -p no:cacheprovider -p no:xdist -o addopts="" tests/test_linear_ce.py tests/test_dropin.py \
  > "$OUT/gpu-tests.txt" 2>&1
echo done >> "$OUT/env.txt"
