#!/usr/bin/env bash
# The residents' side on the benchmark dataset (100 organisers x 200 events,
# ../shared/bench): requests/s of the agenda (`/`, default week) and of the
# widget from cache against the ICS feed's default window from cache (plain
# wrk, 32 clients, 8 s, median of REPS runs), the first render after a
# change (curl, each page right after its own PUT, medians of FRESH=11
# rounds), and FTS queries straight on the database.
#
#   bench/public.sh [REPS]     (needs a release build; the clock is set to
#                               2026-03-02, inside the dataset's two years)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-3}
port=5291
work=${CONCORD_BENCH_WORK:-/tmp/concord-public-bench}
bench=${CONCORD_BENCH_DIR:-$HOME/.cache/concord-bench}
binary=${CONCORD_BINARY:-target/release/concord}   # another build, for an A/B
[ -f "$bench/data/default/manifest.json" ] || { echo "run bench/run.sh once first (dataset)" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
python3 bench/territory-config.py "$bench/data/default/manifest.json" "$work/concord.db" "127.0.0.1:$port" > "$work/config.toml"
python3 bench/territory.py accounts "$bench/data/default/manifest.json" > "$work/accounts.txt"
while IFS=$'\t' read -r login commune name; do
    echo "secret-pass" | $binary --config "$work/config.toml" organiser add "$login" \
        --name "$name" --commune "$commune" --password-stdin >/dev/null
done < "$work/accounts.txt"
export CONCORD_CLOCK=2026-03-02T08:00:00Z
$binary --config "$work/config.toml" serve >"$work/out" 2>"$work/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1
base="http://127.0.0.1:$port"
python3 bench/territory.py load "$bench/data/default" "$base" secret-pass
commune=$(sed -n 's/^slug = "\(.*\)"/\1/p' "$work/config.toml" | head -1)
feed="$base/feeds/intercommunal.ics"
agenda="$base/"
widget="$base/widget?commune=$commune&limite=5"
for url in "$feed" "$agenda" "$widget"; do
    curl -sf -o "$work/body" "$url"; curl -sf -o /dev/null "$url"
    echo "$(stat -c %s "$work/body") bytes: $url"
done
measure() { wrk -t2 -c32 -d8s "$1" | awk '/Requests\/sec/ {print $2}'; }
declare -A runs
for _ in $(seq "$reps"); do
    runs[feed]+="$(measure "$feed") "
    runs[agenda]+="$(measure "$agenda") "
    runs[widget]+="$(measure "$widget") "
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for name in feed agenda widget; do
    printf '%-8s %10s req/s (runs: %s)\n' "$name" "$(echo "${runs[$name]}" | median)" "${runs[$name]}"
done
# First render after a change: a PUT moves the store's generation, so the
# next request renders afresh. Each page is asked right after its own PUT
# (what one render leaves behind, the territory for one, must not serve the
# next), as a browser asks it (gzip); medians of FRESH rounds.
auth="asso-001:secret-pass"
fresh=${FRESH:-11}
n=0
change() {
    n=$((n + 1))
    curl -sf -u "$auth" -X PUT -H 'Content-Type: text/calendar' --data-binary @- \
        "$base/dav/calendars/asso-001/main/bench-change.ics" >/dev/null <<ICS
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//bench//EN
BEGIN:VEVENT
UID:bench-change
DTSTAMP:20260301T000000Z
DTSTART:20260303T180000Z
DTEND:20260303T200000Z
SUMMARY:Changement $n
END:VEVENT
END:VCALENDAR
ICS
}
declare -A first
for _ in $(seq "$fresh"); do
    for name in agenda widget search; do
        case $name in
            agenda) url=$agenda ;;
            widget) url=$widget ;;
            search) url="$base/?q=concert+musique" ;;
        esac
        change
        first[$name]+="$(curl -s --compressed -o /dev/null -w '%{time_total}' "$url") "
    done
done
ms() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1*1000} END {printf "median %.1f ms (min %.1f, max %.1f)", a[int((NR+1)/2)], a[1], a[NR]}'; }
for name in agenda widget search; do
    printf 'after a change: %-7s %s\n' "$name" "$(echo "${first[$name]}" | ms)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
kill $pid; wait $pid 2>/dev/null || true
python3 - "$work/concord.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
print("objects:", db.execute("select count(*) from objects").fetchone()[0])
sql = """SELECT x.id FROM objects x WHERE x.uid IN (SELECT o.uid FROM objects o
  WHERE o.id IN (SELECT rowid FROM event_search WHERE event_search MATCH ?)
  AND o.class = 'PUBLIC')"""
for q in ['"concert"*', '"fete"* "village"*', '"loto"*', '"asso"*', '"judo"* "club"*', '"zz"*']:
    times = []
    for _ in range(21):
        t = time.perf_counter(); n = len(db.execute(sql, (q,)).fetchall()); times.append(time.perf_counter() - t)
    times.sort()
    print(f"FTS {q:24} {n:6} objects, median {times[10]*1000:.2f} ms")
PY
