#!/usr/bin/env bash
# Proof that a refactoring moved no output byte: runs the README's quantize/imatrix/convert commands (small
# calibration settings, plus the README's default GPTQ command with --defaults) with two calq checkouts and compares
# the sha256 of every file they write.
#
#   scripts/same-outputs.sh BASE_CHECKOUT NEW_CHECKOUT SCRATCH_DIR [--defaults]
#
# e.g. git worktree add /tmp/calq-base 25dd2e6 && scripts/same-outputs.sh /tmp/calq-base . /tmp/same
# NEW_CHECKOUT none: only record the base side. Each checkout's ./calq builds its own jar. Prints one line per output and exits 1 on the first difference.
# NEW_GPTQ_GGUF_ARGS (environment): extra arguments for the new side's --method gptq --format gguf lines only, for a
# default changed on purpose since the base (e.g. NEW_GPTQ_GGUF_ARGS="--gguf-scales diagonal" against 364089c, before
# issue 12 made hessian the default).
set -euo pipefail
base="$(cd "$1" && pwd)"; new="$2"; [ "$new" = none ] || new="$(cd "$new" && pwd)"; scratch="$3"; defaults="${4:-}"
here="$(cd "$(dirname "$0")/.." && pwd)"; mkdir -p "$scratch"
# Canonical paths: the importance matrices record the calibration file's path as given, so a path spelled through
# the checkout's own folder would make two checkouts' matrices differ in that string alone.
M="$here/../shared/models/tinyllama-en-58m"
[ -d "$M" ] || { echo "same-outputs: $M is missing" >&2; exit 2; }
M="$(cd "$M" && pwd -P)"
C="$(cd "$here/../shared/datasets/calibration" && pwd -P)/calibration-en.txt"
export CALQ_JAVA_OPTS="${CALQ_JAVA_OPTS:--Xmx4g}"
small=(--nsamples 8 --seqlen 128)

run_all() { # checkout outdir [extra args of the --method gptq --format gguf lines]
  local calq="$1/calq" o="$2"; shift 2; local gg=("$@")
  rm -rf "$o"; mkdir -p "$o"
  "$calq" quantize --model "$M" --calibration "$C" "${small[@]}" --output "$o/gptq" --imatrix-output "$o/gptq-imatrix.gguf"
  "$calq" quantize --model "$M" --calibration "$C" "${small[@]}" --act-order --sym --output "$o/gptq-actorder"
  "$calq" quantize --model "$M" --calibration "$C" "${small[@]}" --method rtn --output "$o/rtn"
  "$calq" quantize --model "$M" --method rtn --bits 8 --output "$o/rtn-nocal"
  "$calq" quantize --model "$M" --calibration "$C" --nsamples 4 --seqlen 128 --awq-max-tokens 256 --method awq --output "$o/awq"
  "$calq" quantize --model "$M" --calibration "$C" --nsamples 4 --seqlen 128 --awq-max-tokens 256 --method awq --bits 3 --format gptq --output "$o/awq3-gptq"
  "$calq" imatrix --model "$M" --calibration "$C" --ctx 128 --chunks 8 --output "$o/imatrix.gguf"
  "$calq" imatrix --model "$M" --calibration "$C" --ctx 128 --chunks 8 --legacy --output "$o/imatrix.dat"
  "$calq" quantize --model "$M" --format gguf --type Q4_K_M --imatrix "$o/imatrix.gguf" --output "$o/q4km.gguf"
  "$calq" quantize --model "$M" --format gguf --type IQ4_XS --imatrix "$o/imatrix.gguf" --tensor-type 'ffn_down=Q6_K' --output "$o/iq4xs.gguf"
  "$calq" quantize --model "$M" --format gguf --type Q3_K_M --calibration "$C" "${small[@]}" --output "$o/q3km-cal.gguf"
  "$calq" convert --model "$M" --output "$o/f16.gguf"
  "$calq" convert --model "$M" --type Q8_0 --output "$o/q80.gguf"
  "$calq" convert --model "$M" --type Q4_K_M --imatrix "$o/imatrix.dat" --output "$o/q4km-convert.gguf"
  # The method x encoding pairs and the multi-output option (issue 10): AWQ-scaled GGUF, GPTQ inside the ggml
  # types, GGUF beside a GPTQ checkpoint, NF4 and compressed-tensors checkpoints.
  "$calq" quantize --model "$M" --calibration "$C" --nsamples 4 --seqlen 128 --awq-max-tokens 256 --method awq --format gguf --type Q4_K_M --output "$o/awq-q4km.gguf"
  "$calq" quantize --model "$M" --calibration "$C" "${small[@]}" --method gptq --format gguf --type Q3_K_M ${gg[@]+"${gg[@]}"} --output "$o/gptq-q3km.gguf"
  "$calq" quantize --model "$M" --calibration "$C" "${small[@]}" --output "$o/gptq-also" --also-gguf "Q4_K_M=$o/gptq-also-q4km.gguf"
  "$calq" quantize --model "$M" --calibration "$C" "${small[@]}" --format compressed-tensors --output "$o/gptq-ct"
  "$calq" quantize --model "$M" --method rtn --format nf4 --output "$o/rtn-nf4"
  if [ "$defaults" = --defaults ]; then
    "$calq" quantize --model "$M" --calibration "$C" --output "$o/gptq-defaults"
  fi
}

sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# The base side's sums are kept: a second run against the same SCRATCH_DIR only reruns the new checkout.
if [ ! -f "$scratch/base.sha256" ]; then
  run_all "$base" "$scratch/base" > "$scratch/base.log" 2>&1 || { echo "base run failed: see $scratch/base.log" >&2; exit 2; }
  sums "$scratch/base" > "$scratch/base.sha256"
fi
[ "$new" = none ] && exit 0
read -r -a new_gg <<< "${NEW_GPTQ_GGUF_ARGS:-}"
run_all "$new" "$scratch/new" ${new_gg[@]+"${new_gg[@]}"} > "$scratch/new.log" 2>&1 || { echo "new run failed: see $scratch/new.log" >&2; exit 2; }
sums "$scratch/new" > "$scratch/new.sha256"
cat "$scratch/new.sha256"
# A base side recorded with --defaults also serves a later run without it.
expected="$scratch/base.sha256"
if [ "$defaults" != --defaults ]; then grep -v '^[0-9a-f]*  \./gptq-defaults/' "$scratch/base.sha256" > "$scratch/base-small.sha256"; expected="$scratch/base-small.sha256"; fi
if diff "$expected" "$scratch/new.sha256"; then
  echo "same-outputs: all $(wc -l < "$scratch/new.sha256") files byte-identical"
else
  echo "same-outputs: outputs differ" >&2; exit 1
fi
