#!/usr/bin/env bash
# The GPU measurements in bench/results/gpu-*: kernels at both accuracy levels, the fused
# output-layer loss rows, and the fused-loss tests, each part bounded so that one part's
# overrun leaves the others' results. Usage: OUT=dir bash bench/run_gpu.sh
set -u
OUT=${OUT:-jax_act_bench}
mkdir -p "$OUT"
export PYTHONPATH=$PWD
python3 -c "import jax, sys; print(jax.__version__, jax.devices(), sys.version)" > "$OUT/env.txt" 2>&1
timeout 150 python3 -m jax_act bench --losses-only --dtypes float32 bfloat16 \
  --losses 4096,512,32768 4096,1024,131072 16384,1024,32768 16384,1024,131072 \
  --budget 1 --max-samples 20 --out "$OUT/gpu-losses.json" > "$OUT/gpu-losses.txt" 2> "$OUT/gpu-losses.err"
timeout 200 python3 -m jax_act bench --accuracy default highest --sizes 20 24 --modes jit \
  --no-models --no-losses --budget 0.02 --max-samples 30 --out "$OUT/gpu.json" > "$OUT/gpu.txt" 2> "$OUT/gpu.err"
timeout 90 python3 -m pytest -q -p no:cacheprovider -p no:xdist -o addopts="" tests/test_linear_ce.py tests/test_dropin.py \
  > "$OUT/gpu-tests.txt" 2>&1
echo done >> "$OUT/env.txt"
