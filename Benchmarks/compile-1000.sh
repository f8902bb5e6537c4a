#!/usr/bin/env bash
# Compile benchmark: `promptc compile` (release build) over 1,000 generated specs.
# Usage: Benchmarks/compile-1000.sh [COUNT] [RUNS]
# Prints each run's wall time and the median. Goal: under 1 s on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000}
runs=${2:-5}
work=Benchmarks/.work
rm -rf "$work" && mkdir -p "$work/Prompts"

swift build -c release --product promptc >/dev/null
promptc=$(swift build -c release --show-bin-path)/promptc

# Each generated spec is the sentiment example with its own name: the real mix of schemas,
# enums, patterns, templates, a model chain and examples.
python3 - "$count" "$work/Prompts" <<'PY'
import sys, pathlib
count, folder = int(sys.argv[1]), pathlib.Path(sys.argv[2])
template = pathlib.Path("Prompts/sentiment.yaml").read_text()
for i in range(count):
    name = f"sentiment_{i:04d}"
    spec = template.replace("name: sentiment", f"name: {name}").replace("route: POST /v1/sentiment", f"route: POST /v1/{name}")
    (folder / f"{name}.yaml").write_text(spec)
PY

times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$promptc" compile "$work/Prompts" -o "$work/Generated" >/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
echo "compile of $count specs, $runs runs (ms): ${times[*]}"
echo "median: ${sorted[$(( runs / 2 ))]} ms"
