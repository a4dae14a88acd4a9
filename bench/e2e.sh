#!/usr/bin/env bash
# End-to-end benchmark on the shared model: wall time, throughput and peak RSS of calq's main jobs, as a table.
# Usage: bench/e2e.sh [--quick]   (--quick: 64 eval chunks and 32 calibration samples instead of the full runs)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${CALQ_SHARED:-../shared}"
MODEL="$SHARED/models/tinyllama-en-58m"
WIKI="$SHARED/datasets/wikitext-2-raw/wiki.test.raw"
CALIB="$SHARED/datasets/calibration/calibration-en.txt"
[ -d "$MODEL" ] || { echo "bench/e2e.sh: $MODEL not found (set CALQ_SHARED)" >&2; exit 1; }
CHUNKS=""; NSAMPLES=128
if [ "${1:-}" = "--quick" ]; then CHUNKS="--chunks 64"; NSAMPLES=32; fi
OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT
./calq --version >/dev/null   # build once, outside the timings

rows=()
run() { # name, tokens (for tokens/s; 0 = none), command...
  local name="$1" tokens="$2"; shift 2
  /usr/bin/time -f "%e %M" -o "$OUT/time" "$@" >"$OUT/stdout" 2>"$OUT/stderr" || { cat "$OUT/stderr" >&2; exit 1; }
  read -r secs rss_kb <"$OUT/time"
  local tps="-"
  [ "$tokens" != 0 ] && tps=$(awk -v t="$tokens" -v s="$secs" 'BEGIN{printf "%.0f", t/s}')
  rows+=("$(printf '%-34s %9.1f %10s %9.0f' "$name" "$secs" "$tps" "$((rss_kb / 1024))")")
}

run "eval wiki.test.raw (ctx 512)" 0 ./calq eval --model "$MODEL" --text "$WIKI" $CHUNKS --json
eval_tps=$(sed -n 's/.*"tokens_per_second" *: *\([0-9.]*\).*/\1/p' "$OUT/stdout" | head -1)
run "imatrix calibration-en (ctx 512)" 0 ./calq imatrix --model "$MODEL" --calibration "$CALIB" --output "$OUT/imatrix.gguf"
imatrix_line=$(tail -1 "$OUT/stdout")
run "gptq 4-bit g128 ($NSAMPLES x 512)" $((NSAMPLES * 512)) ./calq quantize --model "$MODEL" --calibration "$CALIB" \
    --nsamples "$NSAMPLES" --seqlen 512 --output "$OUT/gptq"
run "rtn 4-bit g128 (no calibration)" 0 ./calq quantize --model "$MODEL" --method rtn --output "$OUT/rtn"
run "gguf Q4_K_M with imatrix" 0 ./calq convert --model "$MODEL" --type Q4_K_M --imatrix "$OUT/imatrix.gguf" --output "$OUT/q4km.gguf"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-34s %9s %10s %9s\n' "job" "seconds" "tokens/s" "RSS MiB"
printf '%s\n' "${rows[@]}"
echo "eval tokens/s (forward only, from --json): ${eval_tps:-?}"
echo "imatrix: $imatrix_line"
