#!/usr/bin/env bash
# Measures concord with the shared CalDAV benchmark (../shared/bench): builds
# the release binary, creates the 100 dataset organisers in a fresh
# database, and runs load.py against it (import, then every operation at 1
# and 32 clients). Extra arguments go to load.py, e.g. --reps 5 --ops propfind.
# With --peers, runs ../shared/bench/peers.sh instead, so Radicale and
# Xandikos are measured in the same run (much longer).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${CONCORD_BENCH_PORT:-5243}
work=${CONCORD_BENCH_WORK:-/tmp/concord-bench}
bench_src=$root/../shared/bench
bench=${CONCORD_BENCH_DIR:-$HOME/.cache/concord-bench}

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cargo build --release --quiet
binary=$CARGO_TARGET_DIR/release/concord
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
mkdir -p "$bench" && cp -rf "$bench_src"/. "$bench"/ && chmod -R u+w "$bench"
[ -f "$bench/data/default/manifest.json" ] || python3 "$bench/gen_dataset.py" --out "$bench/data/default"

rm -rf "$work" && mkdir -p "$work"
db=$work/concord.db
for i in $(seq -f "%03g" 1 100); do
    echo "secret-pass" | $binary --db "$db" organiser add "asso-$i" \
        --name "Association $i" --no-calendar --password-stdin >/dev/null
done
echo "secret-pass" | $binary --db "$db" staff add bench-staff \
    --name "Bench staff" --password-stdin >/dev/null

server="concord=http://{assoc}:secret-pass@127.0.0.1:$port/dav/calendars/{assoc}/main/"
aggregate="concord=http://bench-staff:secret-pass@127.0.0.1:$port/dav/intercommunal/"
feed="concord=http://127.0.0.1:$port/feeds/{assoc}.ics"
start="concord=$binary serve --listen 127.0.0.1:$port --db $db"

if [ "${1:-}" = "--peers" ]; then
    shift
    exec "$bench/peers.sh" --server "$server" --aggregate "$aggregate" --feed "$feed" \
        --start "$start" --datadir "concord=$work" "$@"
fi

$binary serve --listen "127.0.0.1:$port" --db "$db" >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1
cd "$bench"
python3 load.py run --dataset data/default --server "$server" --aggregate "$aggregate" \
    --feed "$feed" --datadir "concord=$work" \
    --out "$bench/results/concord-$(date +%Y%m%d-%H%M%S).json" "$@"
