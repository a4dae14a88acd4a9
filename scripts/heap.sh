# Sourced by ./calq: sizes the JVM heap from the job instead of a fixed share of the machine. A parallel-collector
# heap of 75% of RAM lets a 1B-model job's RSS grow to many GB that are never live; a heap sized to what the job
# holds keeps the peak near the working set. calq_heap_option SUBCOMMAND ARGS... prints one JVM option.
#
# What a job holds, besides ~512 MiB of JVM, code, tokenizer and buffers (weights are memory-mapped, not on the heap):
#   quantize (gptq, rtn): one layer in float32, the hidden states of the calibration set twice (in and out of a layer,
#     bounded by --memory, which spills them), the activations of one sample, and GPTQ's largest site: the Hessian
#     and its copy while accumulating, then the damped copy, its factor and U (20 n^2 bytes for n inputs), plus the
#     packed results of every layer (under a quarter of the bf16 model).
#   eval, imatrix: the activations and logits of one window (--ctx tokens).
#   convert, quantize --format gguf: the largest tensor in float32, its encoding and copies (1.5x its float32 size);
#     the mapped input's pages are dropped after each tensor (MappedPages), so RSS stays near the heap.
# The heap is 1.5x that, at least 1 GiB and at most 75% of RAM. Jobs it cannot size (AWQ, inspect, unknown
# models) keep -XX:MaxRAMPercentage=75. CALQ_JAVA_OPTS=-Xmx... overrides either (it comes later on the line).

calq_config_int() { # FILE KEY: the integer value of "KEY" in a config.json, or empty
  sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$1" | head -1
}

calq_heap_option() {
  local cmd="${1:-}"; [ $# -gt 0 ] && shift
  local model="" nsamples=128 seqlen=512 ctx=512 method=gptq format="" memory="" calibration=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --model|--nsamples|--seqlen|--ctx|--method|--format|--memory|--calibration)
        [ $# -ge 2 ] || break
        case "$1" in
          --model) model="$2" ;; --nsamples) nsamples="$2" ;; --seqlen) seqlen="$2" ;; --ctx) ctx="$2" ;;
          --method) method="$2" ;; --format) format="$2" ;; --memory) memory="$2" ;; --calibration) calibration="$2" ;;
        esac
        shift ;;
      --model=*) model="${1#*=}" ;; --nsamples=*) nsamples="${1#*=}" ;; --seqlen=*) seqlen="${1#*=}" ;;
      --ctx=*) ctx="${1#*=}" ;; --method=*) method="${1#*=}" ;; --format=*) format="${1#*=}" ;;
      --memory=*) memory="${1#*=}" ;; --calibration=*) calibration="${1#*=}" ;;
    esac
    shift
  done
  local fallback="-XX:MaxRAMPercentage=75" cfg="$model/config.json"
  case "$cmd" in quantize|eval|imatrix|convert) ;; *) echo "$fallback"; return ;; esac
  [ -n "$model" ] && [ -f "$cfg" ] || { echo "$fallback"; return; }
  [ "$method" = awq ] && { echo "$fallback"; return; }
  local hidden inter layers vocab
  hidden=$(calq_config_int "$cfg" hidden_size); inter=$(calq_config_int "$cfg" intermediate_size)
  layers=$(calq_config_int "$cfg" num_hidden_layers); vocab=$(calq_config_int "$cfg" vocab_size)
  [ -n "$hidden" ] && [ -n "$inter" ] && [ -n "$layers" ] && [ -n "$vocab" ] && [ "$layers" -gt 0 ] || { echo "$fallback"; return; }
  case "$nsamples$seqlen$ctx" in *[!0-9]*) echo "$fallback"; return ;; esac
  local model_bytes
  model_bytes=$(find "$model" -maxdepth 1 -name '*.safetensors' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}')
  local layer_f32=$(( model_bytes / layers * 2 ))
  local widest=$(( inter > hidden ? inter : hidden ))
  local biggest=$(( (vocab > inter ? vocab : inter) * hidden ))   # elements of the largest tensor
  local est
  case "$cmd" in
    eval|imatrix)
      est=$(( ctx * (vocab + 3 * inter + 6 * hidden) * 4 * 2 )) ;;
    convert)
      est=$(( biggest * 4 * 3 / 2 )) ;;
    quantize)
      if [ "$format" = gguf ]; then
        est=$(( biggest * 4 * 3 / 2 + seqlen * (vocab + 3 * inter + 6 * hidden) * 4 * 2 ))
      else
        local states=$(( 2 * nsamples * seqlen * hidden * 4 ))
        if [ -n "$memory" ]; then
          local m; m=$(calq_size_bytes "$memory")
          [ -n "$m" ] && [ "$m" -lt "$states" ] && states=$m
        fi
        local solver=0
        [ "$method" = gptq ] && solver=$(( 20 * widest * widest + 8 * (3 * hidden * hidden + inter * inter) ))
        [ -z "$calibration" ] && [ "$method" = rtn ] && states=0
        est=$(( layer_f32 + states + seqlen * (3 * inter + 6 * hidden) * 4 * 2 + solver + model_bytes / 2 ))
      fi ;;
  esac
  local mib=$(( 1024 * 1024 ))
  local heap=$(( (est * 3 / 2 + 512 * mib) / mib ))
  local ram_mib
  ram_mib=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo 2>/dev/null)
  [ "$heap" -lt 1024 ] && heap=1024
  [ -n "$ram_mib" ] && [ "$heap" -gt $(( ram_mib * 3 / 4 )) ] && heap=$(( ram_mib * 3 / 4 ))
  echo "-Xmx${heap}m"
}

calq_size_bytes() { # 8g, 1500m, 123456 -> bytes (empty when unreadable)
  local v="${1,,}" n unit
  v="${v%b}"
  n="${v%[kmgt]}"; unit="${v:${#n}}"
  case "$n" in ''|*[!0-9]*) return ;; esac
  case "$unit" in k) echo $(( n * 1024 )) ;; m) echo $(( n * 1024 * 1024 )) ;; g) echo $(( n * 1024 * 1024 * 1024 )) ;;
    t) echo $(( n * 1024 * 1024 * 1024 * 1024 )) ;; *) echo "$n" ;; esac
}
