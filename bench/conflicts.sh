#!/usr/bin/env bash
# Measures conflict detection over the benchmark data (issue: a whole year
# over 100 organisers x 200 events in under 100 ms). Needs the database
# bench/run.sh imports (default /tmp/concord-bench/concord.db); writes the
# territory of bench/territory-config.py beside it.
#
#   bench/conflicts.sh [DB] [RUNS]          (default RUNS 11)
#   FROM=2025-01-01 TO=2025-03-31 bench/conflicts.sh   (another period)
#
# Runs `concord conflicts --format summary --timings` RUNS times with the
# database in the page cache, and prints the medians of the read of the
# occurrences, of the detection, of both, and of the whole process.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-/tmp/concord-bench/concord.db}
runs=${2:-11}
from=${FROM:-2025-01-01}
to=${TO:-2025-12-31}
manifest=${CONCORD_BENCH_DIR:-$HOME/.cache/concord-bench}/data/default/manifest.json

cargo build --release --quiet
binary=${CARGO_TARGET_DIR:-target}/release/concord
config=$(dirname "$db")/territory.toml
python3 bench/territory-config.py "$manifest" "$db" >"$config"

times=$(mktemp)
trap 'rm -f "$times"' EXIT
for _ in $(seq "$runs"); do
    cat "$db"* >/dev/null # in the page cache, as on a server
    start=$(date +%s%N)
    line=$("$binary" --config "$config" conflicts --from "$from" --to "$to" \
        --format summary --timings 2>&1 >/dev/null)
    echo "$line $(( ($(date +%s%N) - start) / 1000 ))" >>"$times"
done
tail -1 "$times" | cut -d' ' -f1-12
python3 - "$times" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
read = [float(r[4]) for r in rows]
detect = [float(r[10]) for r in rows]
wall = [int(r[12]) / 1000 for r in rows]
both = [r + d for r, d in zip(read, detect)]
m = statistics.median
print(f"median of {len(rows)} runs: read {m(read):.1f} ms, detect {m(detect):.1f} ms, "
      f"both {m(both):.1f} ms (min {min(both):.1f}), whole process {m(wall):.1f} ms")
EOF
