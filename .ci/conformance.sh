#!/usr/bin/env bash
# Runs the third-party CalDAV suites of ../shared/conformance against a
# freshly started concord, and fails when more checks fail than the number
# recorded in .ci/conformance-max-failures, or fewer pass than the number in
# .ci/conformance-min-passed (a suite that crashes counts few checks):
# lower the one and raise the other as things get fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${CONCORD_BIN:-target/debug/concord}
suites=../shared/conformance
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"' EXIT

echo "conformance-pass-1" | "$binary" --db "$work/concord.db" organiser add test \
    --name "Conformance" --password-stdin >/dev/null
"$binary" --db "$work/concord.db" serve --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
server_pid=$!
for _ in $(seq 1 100); do
    url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\)$/\1/p' "$work/out")
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "concord did not start"; cat "$work/err"; exit 1; }

# The suites' own copy is read-only in CI: run them from a writable copy.
cp -r "$suites" "$work/conformance"
chmod -R u+w "$work/conformance"
results=${CONFORMANCE_OUT:-$work/results}
OUT="$results" "$work/conformance/run.sh" "$url" test conformance-pass-1 | tee "$work/scorecard"

if grep -q "panicked" "$work/err"; then
    echo "conformance: the server panicked:"
    grep -A 20 "panicked" "$work/err"
    exit 1
fi
passed=$(sed -n 's/^total: \([0-9]*\) passed, [0-9]* failed$/\1/p' "$work/scorecard")
failed=$(sed -n 's/^total: [0-9]* passed, \([0-9]*\) failed$/\1/p' "$work/scorecard")
max_failed=$(tr -dc '0-9' < .ci/conformance-max-failures)
min_passed=$(tr -dc '0-9' < .ci/conformance-min-passed)
[ -n "$failed" ] && [ -n "$passed" ] || { echo "conformance: no scorecard total"; exit 1; }
if [ "$failed" -gt "$max_failed" ] || [ "$passed" -lt "$min_passed" ]; then
    echo "conformance: $passed passed, $failed failed; the floor is $min_passed passed and the ceiling $max_failed failed (.ci/conformance-*)"
    for suite in "$results"/*/stdout.txt; do grep -E "FAIL" "$suite" | grep -v "n/a for CalDAV" || true; done
    exit 1
fi
echo "conformance: $passed passed, $failed failed (floor $min_passed passed, ceiling $max_failed failed)"
