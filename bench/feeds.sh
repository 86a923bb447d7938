#!/usr/bin/env bash
# Measures concord's feeds against a bare hyper server on the same machine
# (issue: the full intercommunal feed from cache within 3x of bare hyper
# serving a body of the same size; the 304 path within 1.5x of a bare
# hello-world). Needs a concord serving the benchmark data, e.g. after
# bench/run.sh:  concord serve --listen 127.0.0.1:5243 --db /tmp/concord-bench/concord.db
#
#   bench/feeds.sh [CONCORD_URL] [REPS]      (default http://127.0.0.1:5243, 3)
#   FEED_QUERY='?from=2026-01-01&to=2026-03-31' bench/feeds.sh   (another window)
#
# Every case runs plain wrk (-t2 -c32, 8 s), cases interleaved, REPS times;
# prints the median requests/s of each case and the ratios.
set -euo pipefail
cd "$(dirname "$0")"
concord=${1:-http://127.0.0.1:5243}
reps=${2:-3}
bare_address=127.0.0.1:5250
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
(cd bare && cargo build --release --quiet)

# By default the whole dataset's window, so that the feed holds every public
# event (FEED_QUERY= measures the feed's default window instead).
feed="$concord/feeds/intercommunal.ics${FEED_QUERY-?from=2025-01-01&to=2026-12-31}"
work=$(mktemp -d)
trap 'kill $bare_pid 2>/dev/null || true; rm -rf "$work"' EXIT
curl -sf -D "$work/headers" -o "$work/feed.ics" "$feed"
etag=$(grep -i '^etag:' "$work/headers" | cut -d' ' -f2- | tr -d '\r')
size=$(stat -c %s "$work/feed.ics")
bare/target/release/bare "$bare_address" "$work/feed.ics" &
bare_pid=$!
sleep 0.5
status=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$feed")
[ "$status" = 304 ] || { echo "expected 304 with If-None-Match, got $status" >&2; exit 1; }

measure() { # url [header] -> requests/s
    local args=(-t2 -c32 -d8s --latency "$1")
    [ -n "${2:-}" ] && args+=(-H "$2")
    wrk "${args[@]}" | awk '/Requests\/sec/ {print $2}'
}
declare -A runs
cases=(concord_feed bare_same_size concord_304 bare_hello)
for _ in $(seq "$reps"); do
    runs[concord_feed]+="$(measure "$feed") "
    runs[bare_same_size]+="$(measure "http://$bare_address/feed.ics") "
    runs[concord_304]+="$(measure "$feed" "If-None-Match: $etag") "
    runs[bare_hello]+="$(measure "http://$bare_address/small") "
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "feed: $size bytes, $(nproc) cores, wrk -t2 -c32, medians of $reps runs of 8 s"
for name in "${cases[@]}"; do
    printf '%-16s %10s req/s   (runs: %s)\n' "$name" "$(echo "${runs[$name]}" | median)" "${runs[$name]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "bare / concord, full feed: $(ratio "$(echo "${runs[bare_same_size]}" | median)" "$(echo "${runs[concord_feed]}" | median)")x (target <= 3)"
echo "bare hello / concord 304:  $(ratio "$(echo "${runs[bare_hello]}" | median)" "$(echo "${runs[concord_304]}" | median)")x (target <= 1.5)"
