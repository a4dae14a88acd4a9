#!/usr/bin/env bash
# End-to-end benchmark at a real size: calq's jobs on a random 1B-class model (Llama-3.2-1B's shape, written by
# dev.calq.bench.BenchModel), with llama.cpp's tools on the same model's F16 GGUF side by side when a llama.cpp build
# is at hand. Prints wall time, tokens/s and peak RSS (/usr/bin/time) of each job. Quality numbers on random weights
# mean nothing; speed and memory do. Ratios against llama.cpp need a quiet machine: the load average is printed.
#
# Usage: bench/e2e-1b.sh [SCRATCH_DIR]   (default /tmp/calq-e2e-1b; the model, ~2 GB, is generated there once)
# Environment: LLAMA_CPP_BIN (folder with llama-perplexity, llama-imatrix, llama-quantize; rows skipped if absent),
#   CALQ_SHARED (../shared), SHAPE (llama-3.2-1b), EVAL_CHUNKS (4), IMATRIX_CHUNKS (8), NSAMPLES (8), JOBS (a
#   space-separated subset of: eval imatrix convert gguf rtn gptq awq; gguf = quantize --format gguf, its own
#   importance-matrix pass included).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${CALQ_SHARED:-../shared}"
SCRATCH="${1:-/tmp/calq-e2e-1b}"
SHAPE="${SHAPE:-llama-3.2-1b}"
EVAL_CHUNKS="${EVAL_CHUNKS:-4}"; IMATRIX_CHUNKS="${IMATRIX_CHUNKS:-8}"; NSAMPLES="${NSAMPLES:-8}"
JOBS="${JOBS:-eval imatrix convert gguf rtn gptq awq}"
LLAMA="${LLAMA_CPP_BIN:-}"
TOKENIZER="$SHARED/models/tinyllama-en-58m"
WIKI="$SHARED/datasets/wikitext-2-raw/wiki.test.raw"
CALIB="$SHARED/datasets/calibration/calibration-en.txt"
[ -d "$TOKENIZER" ] || { echo "bench/e2e-1b.sh: $TOKENIZER not found (set CALQ_SHARED)" >&2; exit 1; }
mkdir -p "$SCRATCH"
MODEL="$SCRATCH/$SHAPE"
OUT="$SCRATCH/out"; rm -rf "$OUT"; mkdir -p "$OUT"
source scripts/java-home.sh
if [ ! -d "$MODEL" ]; then
  mvn -B -q -ntp -pl bench -am package -DskipTests
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.calq.bench.BenchModel \
    --shape "$SHAPE" --tokenizer "$TOKENIZER" --seed 0 --output "$MODEL" 2>/dev/null
fi
./calq --version >/dev/null   # build once, outside the timings
has() { case " $JOBS " in *" $1 "*) return 0 ;; esac; return 1; }
llama() { [ -n "$LLAMA" ] && [ -x "$LLAMA/$1" ]; }

rows=()
run() { # name, tokens (for tokens/s; 0 = none), command...
  local name="$1" tokens="$2"; shift 2
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  if ! /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >"$OUT/stdout" 2>"$OUT/stderr"; then
    echo "bench/e2e-1b.sh: $name failed:" >&2; tail -5 "$OUT/stderr" >&2; rows+=("$(printf '%-44s %s' "$name" "FAILED")"); return 0
  fi
  read -r secs rss_kb <"$OUT/time"
  local tps="-"
  [ "$tokens" != 0 ] && tps=$(awk -v t="$tokens" -v s="$secs" 'BEGIN{printf "%.0f", t/s}')
  rows+=("$(printf '%-44s %9.1f %10s %9.0f %6s' "$name" "$secs" "$tps" "$((rss_kb / 1024))" "$load")")
  echo "${rows[-1]}" >&2   # as it finishes: a long run shows its rows before the table
}
notes=()

if has eval || has imatrix || has convert; then
  run "calq convert --type F16 (for llama.cpp)" 0 ./calq convert --model "$MODEL" --type F16 --output "$OUT/f16.gguf"
fi
if has eval; then
  run "calq eval ($EVAL_CHUNKS x 512)" $((EVAL_CHUNKS * 512)) ./calq eval --model "$MODEL" --text "$WIKI" --chunks "$EVAL_CHUNKS" --json
  notes+=("calq eval forward tokens/s (--json): $(sed -n 's/.*"tokens_per_second" *: *\([0-9.]*\).*/\1/p' "$OUT/stdout" | head -1 || true)")
  echo "${notes[-1]}" >&2
  if llama llama-perplexity; then
    run "llama-perplexity F16 ($EVAL_CHUNKS x 512, 2 threads)" $((EVAL_CHUNKS * 512)) \
      "$LLAMA/llama-perplexity" -m "$OUT/f16.gguf" -f "$WIKI" -c 512 --chunks "$EVAL_CHUNKS" -t 2
    notes+=("llama-perplexity: $(grep -o '[0-9.]* seconds per pass' "$OUT/stderr" | head -1 || true) (one pass = one batch: n_seq = 2048 / 512 = 4 chunks at the default -b 2048, so tokens/s = 2048 / that; see its n_seq line)")
    echo "${notes[-1]}" >&2
  fi
fi
if has imatrix; then
  run "calq imatrix ($IMATRIX_CHUNKS x 512)" $((IMATRIX_CHUNKS * 512)) ./calq imatrix --model "$MODEL" --calibration "$CALIB" \
    --chunks "$IMATRIX_CHUNKS" --output "$OUT/imatrix.gguf"
  if llama llama-imatrix; then
    run "llama-imatrix F16 ($IMATRIX_CHUNKS x 512, 2 threads)" $((IMATRIX_CHUNKS * 512)) \
      "$LLAMA/llama-imatrix" -m "$OUT/f16.gguf" -f "$CALIB" -c 512 --chunks "$IMATRIX_CHUNKS" -t 2 -o "$OUT/llama-imatrix.gguf"
  fi
fi
if has convert; then
  imx=(); [ -f "$OUT/imatrix.gguf" ] && imx=(--imatrix "$OUT/imatrix.gguf")
  run "calq convert --type Q4_K_M ${imx:+--imatrix}" 0 ./calq convert --model "$MODEL" --type Q4_K_M "${imx[@]}" --output "$OUT/q4km.gguf"
  if llama llama-quantize; then
    limx=(); [ -f "$OUT/imatrix.gguf" ] && limx=(--imatrix "$OUT/imatrix.gguf")
    run "llama-quantize F16 -> Q4_K_M ${limx:+--imatrix} (2 threads)" 0 \
      "$LLAMA/llama-quantize" "${limx[@]}" "$OUT/f16.gguf" "$OUT/llama-q4km.gguf" Q4_K_M 2
  fi
fi
if has gguf; then
  run "calq quantize --format gguf Q4_K_M ($IMATRIX_CHUNKS x 512)" $((IMATRIX_CHUNKS * 512)) ./calq quantize --model "$MODEL" --format gguf \
    --type Q4_K_M --calibration "$CALIB" --nsamples "$IMATRIX_CHUNKS" --seqlen 512 --output "$OUT/gguf-q4km.gguf"
fi
if has rtn; then
  run "calq quantize --method rtn" 0 ./calq quantize --model "$MODEL" --method rtn --output "$OUT/rtn"
fi
if has gptq; then
  run "calq quantize gptq ($NSAMPLES x 512)" $((NSAMPLES * 512)) ./calq quantize --model "$MODEL" --calibration "$CALIB" \
    --nsamples "$NSAMPLES" --seqlen 512 --output "$OUT/gptq"
  notes+=("gptq per-layer table (forward = observed passes, update = Hessian copy, factor and quantization loop):")
  notes+=("$(grep -E '^layer +passes|^all ' "$OUT/stderr" || true)")
  notes+=("$(grep -E '^gptq phases:|^memory:|^calibration:' "$OUT/stderr" || true)")
fi
if has awq; then
  run "calq quantize --method awq ($NSAMPLES x 512)" $((NSAMPLES * 512)) ./calq quantize --model "$MODEL" --method awq \
    --calibration "$CALIB" --nsamples "$NSAMPLES" --seqlen 512 --output "$OUT/awq"
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); model: $SHAPE ($MODEL)"
printf '%-44s %9s %10s %9s %6s\n' "job" "seconds" "tokens/s" "RSS MiB" "load"
printf '%s\n' "${rows[@]}"
printf '%s\n' "${notes[@]}"
