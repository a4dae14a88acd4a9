# Sourced by ./calq: sizes the JVM heap from the job instead of a fixed share of the machine. A parallel-collector
# heap of 75% of RAM lets a 1B-model job's RSS grow to many GB that are never live; a heap sized to what the job
# holds keeps the peak near the working set. calq_heap_option SUBCOMMAND ARGS... prints one JVM option;
# calq_heap_estimate SUBCOMMAND ARGS... prints the estimate in bytes it is made from (empty when the job is not sized),
# which the option passes on as -Dcalq.heap.estimate: the calibration runner's default memory budget.
#
# What a job holds, besides ~512 MiB of JVM, code, tokenizer and buffers (weights are memory-mapped, not on the heap):
#   quantize (gptq, rtn, awq): the calibration runner's estimate (CalibrationRunner.estimate, which the in-process
#     check uses; HeapEstimateTest holds the two equal): the hidden states of the calibration set twice (in and out of
#     a layer; bounded here by --memory, which spills them), one layer in float32, the activations of one sample and
#     the method's working bytes. GPTQ/RTN (GptqMethod.workingBytes): the Hessian accumulators (one site at a time in
#     true-sequential mode), the solver at the widest site (the Hessian kept for the error report plus the damped
#     factor and U: 20 n^2 bytes for n inputs; RTN 16 n^2), five float32 copies of the largest projection while it
#     is quantized, and every layer's packed codes, scales and zero points until the checkpoint is written. AWQ
#     (AwqModelQuantizer.workingBytes): one layer's cached inputs x 1.5, three float32 copies of the layer's
#     projections (the search's originals, scaled and clipped ones), the packed results (and a float32 copy of every
#     projection with --format gguf or --also-gguf). heap.sh counts nsamples x seqlen tokens, an upper bound of
#     AWQ's blocks cut from nsamples documents.
#   awq+gptq: the larger of GPTQ's working bytes and AWQ's scale search's cache (AwqScaling: one layer's inputs at
#     its sites for the first 8192 tokens, or --awq-max-tokens, x 1.5), which it releases before GPTQ's stages.
#   --method gptq --format gguf with --gptq-target full-precision (the default) doubles the hidden states and adds the second stream's buffers and Delta (24 n^2 a site).
#   eval, imatrix: the activations and logits of one forward pass: as many --ctx windows as fit in 2048 tokens
#     (PerplexityEvaluator.TOKENS_PER_PASS), at least one.
#   convert, quantize --format gguf: one row block of the converter (RowBlockEncoder: 16 MiB of float32 and its
#     encoding; matrices are encoded a block at a time and the mapped pages read are dropped), plus for quantize the
#     importance-matrix pass over one forward pass of --seqlen windows (activations and logits).
# The heap is 1.5x that plus 512 MiB, at least 1 GiB (convert and plain GGUF quantize: no floor) and at most 75% of RAM. Jobs it cannot size (inspect, unknown
# models) keep -XX:MaxRAMPercentage=75. CALQ_JAVA_OPTS=-Xmx... overrides either (it comes later on the line).

calq_pass_tokens() { # WINDOW: the tokens of one evaluation pass, whole windows up to 2048 tokens (at least one)
  local w="$1"; [ "$w" -gt 0 ] || { echo 0; return; }
  if [ "$w" -ge 2048 ]; then echo "$w"; else echo $(( 2048 / w * w )); fi
}

calq_config_int() { # FILE KEY: the integer value of "KEY" in a config.json, or empty
  sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$1" | head -1
}

calq_heap_estimate() {
  local cmd="${1:-}"; [ $# -gt 0 ] && shift
  local model="" nsamples=128 seqlen=512 ctx=512 method="" format="" memory="" calibration="" bits=4 group=128
  local trueseq=1 awqmax="" floats=0 fullstream=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --model|--nsamples|--seqlen|--ctx|--method|--format|--memory|--calibration|--bits|--group-size|--awq-max-tokens|--also-gguf)
        [ $# -ge 2 ] || break
        case "$1" in
          --model) model="$2" ;; --nsamples) nsamples="$2" ;; --seqlen) seqlen="$2" ;; --ctx) ctx="$2" ;;
          --method) method="$2" ;; --format) format="$2" ;; --memory) memory="$2" ;; --calibration) calibration="$2" ;;
          --bits) bits="$2" ;; --group-size) group="$2" ;; --awq-max-tokens) awqmax="$2" ;; --also-gguf) floats=1 ;;
        esac
        shift ;;
      --model=*) model="${1#*=}" ;; --nsamples=*) nsamples="${1#*=}" ;; --seqlen=*) seqlen="${1#*=}" ;;
      --ctx=*) ctx="${1#*=}" ;; --method=*) method="${1#*=}" ;; --format=*) format="${1#*=}" ;;
      --memory=*) memory="${1#*=}" ;; --calibration=*) calibration="${1#*=}" ;; --bits=*) bits="${1#*=}" ;;
      --group-size=*) group="${1#*=}" ;; --awq-max-tokens=*) awqmax="${1#*=}" ;; --also-gguf=*) floats=1 ;;
      --no-true-sequential) trueseq=0 ;; --true-sequential) trueseq=1 ;;
      --gptq-target=*) [ "${1#*=}" = full-precision ] && fullstream=1 || fullstream=0 ;;
      --gptq-target) [ "${2:-}" = full-precision ] && fullstream=1 || fullstream=0 ;;
    esac
    shift
  done
  local cfg="$model/config.json"
  case "$cmd" in quantize|eval|imatrix|convert) ;; *) return ;; esac
  [ -n "$model" ] && [ -f "$cfg" ] || return
  local h inter layers vocab heads kvh hd
  h=$(calq_config_int "$cfg" hidden_size); inter=$(calq_config_int "$cfg" intermediate_size)
  layers=$(calq_config_int "$cfg" num_hidden_layers); vocab=$(calq_config_int "$cfg" vocab_size)
  heads=$(calq_config_int "$cfg" num_attention_heads); kvh=$(calq_config_int "$cfg" num_key_value_heads)
  hd=$(calq_config_int "$cfg" head_dim)
  [ -n "$h" ] && [ -n "$inter" ] && [ -n "$layers" ] && [ -n "$vocab" ] && [ -n "$heads" ] && [ "$layers" -gt 0 ] && [ "$heads" -gt 0 ] || return
  [ -n "$kvh" ] || kvh=$heads
  [ -n "$hd" ] || hd=$(( h / heads ))
  case "$nsamples$seqlen$ctx$bits${group#-}${awqmax}" in *[!0-9]*) return ;; esac
  [ "$bits" -ge 1 ] || return
  [ -n "$method" ] || { [ "$format" = gguf ] && method=rtn || method=gptq; }
  [ "$format" = nf4 ] && { bits=4; group=64; }
  [ "$format" = gguf ] && [ "$method" = awq ] && floats=1
  local q=$(( heads * hd )) kv=$(( kvh * hd ))
  # The GGUF converter's row block (RowBlockEncoder: 16 MiB of float32 and its encoding) and the 1-D tensors.
  local block=$(( 64 * 1024 * 1024 ))
  case "$cmd" in
    eval|imatrix) echo $(( $(calq_pass_tokens "$ctx") * (vocab + 3 * inter + 6 * h) * 4 * 2 )); return ;;
    convert) echo $(( block )); return ;;
  esac
  if [ "$format" = gguf ] && [ "$method" = rtn ]; then
    local pass=0; [ -n "$calibration" ] && pass=$(( $(calq_pass_tokens "$seqlen") * (vocab + 3 * inter + 6 * h) * 4 * 2 ))
    echo $(( block + pass )); return
  fi
  # One layer's projections, [out in] each: q k v o gate up down.
  local shapes="$q $h $kv $h $kv $h $h $q $inter $h $inter $h $h $inter"
  local params=0 maxproj=0 results=0 o i n g codes
  set -- $shapes
  while [ $# -ge 2 ]; do
    o=$1; i=$2; shift 2; n=$(( o * i ))
    params=$(( params + n )); [ "$n" -gt "$maxproj" ] && maxproj=$n
    if [ "$group" -gt 0 ]; then g=$(( (i + group - 1) / group )); else g=1; fi
    if [ "$bits" -le 4 ]; then codes=$(( (n + 1) / 2 )); elif [ "$bits" -le 8 ]; then codes=$n; else codes=$(( 4 * n )); fi
    results=$(( results + codes + 8 * g * o + 4 * i ))
  done
  results=$(( results * layers ))
  local layer=$(( 4 * (params + 2 * h) ))
  local act=$(( 4 * (seqlen * (2 * q + 2 * kv + 2 * inter + 3 * h) + heads * seqlen * (hd + 1)) ))
  local xy=$(( 2 * seqlen * h * 4 ))
  local states=$(( 2 * nsamples * seqlen * h * 4 ))
  # --gptq-target full-precision: the full-precision stream's two stores, its pass buffers, one sample's site inputs
  # and Delta's accumulators (GgufGptqMethod.workingBytes: 24 n^2 a site beside the Hessian's)
  local stream=0
  [ -n "$fullstream" ] || { [ "$format" = gguf ] && [ "$method" = gptq ] && fullstream=1; } # the default target there
  if [ "$fullstream" = 1 ]; then
    states=$(( 2 * states ))
    stream=$(( 2 * seqlen * h * 4 + seqlen * (2 * h + q + inter) * 4 + 24 * (2 * h * h + q * q + inter * inter) ))
  fi
  if [ -n "$memory" ]; then
    local m; m=$(calq_size_bytes "$memory")
    [ -n "$m" ] && [ "$m" -lt "$states" ] && states=$m
  fi
  local work
  if [ "$method" = awq ]; then
    local tokens=$(( nsamples * seqlen ))
    [ -n "$awqmax" ] && [ "$awqmax" -lt "$tokens" ] && tokens=$awqmax
    work=$(( 4 * (2 * h + q + inter) * tokens * 3 / 2 + 3 * 4 * params + results ))
    [ "$floats" = 1 ] && work=$(( work + 4 * params * layers ))
  else
    local dmax=$h; [ "$q" -gt "$dmax" ] && dmax=$q; [ "$inter" -gt "$dmax" ] && dmax=$inter
    local sumsq=$(( 2 * h * h + q * q + inter * inter ))
    local per=20 first=12; [ "$method" = rtn ] && { per=16; first=8; }
    local solver=$(( per * dmax * dmax ))
    if [ "$trueseq" = 0 ]; then
      local all=$(( 8 * sumsq + first * h * h )); [ "$all" -gt "$solver" ] && solver=$all
    fi
    work=$(( solver + 5 * 4 * maxproj + results ))
    if [ "$method" = awq+gptq ]; then
      # AWQ's scale search runs first on each layer and releases its cache before GPTQ's stages (ChainedMethod:
      # the larger of the two): one layer's inputs at its sites for the first --awq-max-tokens (8192) tokens, x 1.5
      local atok=$(( nsamples * seqlen )) amax=${awqmax:-8192}
      [ "$amax" -lt "$atok" ] && atok=$amax
      local scaling=$(( 4 * (2 * h + q + inter) * atok * 3 / 2 ))
      [ "$scaling" -gt "$work" ] && work=$scaling
    fi
    if [ -z "$calibration" ] && [ "$method" = rtn ]; then
      echo $(( layer + 5 * 4 * maxproj + results )); return
    fi
  fi
  echo $(( states + layer + act + xy + work + stream ))
}

calq_heap_option() {
  local est; est=$(calq_heap_estimate "$@")
  [ -n "$est" ] || { echo "-XX:MaxRAMPercentage=75"; return; }
  local mib=$(( 1024 * 1024 ))
  local heap=$(( (est * 3 / 2 + 512 * mib) / mib ))
  local ram_mib
  ram_mib=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null)
  # A floor for jobs with parts the estimate leaves out (tokenizers, reports); the GGUF writer's jobs are all in it.
  local floor=1024
  case "${1:-}" in convert) floor=0 ;; quantize) calq_is_gguf_rtn "$@" && floor=0 ;; esac
  [ "$heap" -lt "$floor" ] && heap=$floor
  [ -n "$ram_mib" ] && [ "$heap" -gt $(( ram_mib * 3 / 4 )) ] && heap=$(( ram_mib * 3 / 4 ))
  echo "-Xmx${heap}m -Dcalq.heap.estimate=$est"
}

calq_is_gguf_rtn() { # quantize ARGS: true for --format gguf with method rtn (the default there), no size target
  shift
  local format="" method=rtn
  while [ $# -gt 0 ]; do
    case "$1" in
      --format) format="${2:-}" ;; --format=*) format="${1#*=}" ;; --method) method="${2:-}" ;; --method=*) method="${1#*=}" ;;
      --target-size|--target-size=*|--target-bpw|--target-bpw=*) return 1 ;;
    esac
    shift
  done
  [ "$format" = gguf ] && [ "$method" = rtn ]
}

calq_size_bytes() { # 8g, 1500m, 123456 -> bytes (empty when unreadable)
  local v="${1,,}" n unit
  v="${v%b}"
  n="${v%[kmgt]}"; unit="${v:${#n}}"
  case "$n" in ''|*[!0-9]*) return ;; esac
  case "$unit" in k) echo $(( n * 1024 )) ;; m) echo $(( n * 1024 * 1024 )) ;; g) echo $(( n * 1024 * 1024 * 1024 )) ;;
    t) echo $(( n * 1024 * 1024 * 1024 * 1024 )) ;; *) echo "$n" ;; esac
}
