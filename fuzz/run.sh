#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, from corpora
# seeded by seed.sh; exits non-zero on the first crash, whose input
# libFuzzer leaves in fuzz/artifacts/TARGET/. Needs cargo-fuzz; on the
# stable toolchain, RUSTC_BOOTSTRAP=1 lets it use the nightly flags it
# needs (sanitizer instrumentation).
#   fuzz/run.sh 60                    # CI: a minute per target
#   fuzz/run.sh 600 ical_intake       # a longer run of one target
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?seconds per target}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(xml_report ical_intake query_filter feed_query dav_path)
export RUSTC_BOOTSTRAP=1
./seed.sh
cargo fuzz build -O
status=0
for target in "${targets[@]}"; do
    echo "== fuzz $target for ${seconds}s"
    mkdir -p "artifacts/$target" logs
    log=logs/$target.log
    # -timeout: one input taking over 10 s is a finding (a hang);
    # -rss_limit_mb: so is one needing more than 1 GiB.
    if ! cargo fuzz run -O "$target" -- -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1; then
        status=1
        tail -n 40 "$log"
        echo "fuzz $target: FOUND A CRASH; its input is in fuzz/artifacts/$target/" >&2
        continue
    fi
    grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)" "$log" || true
done
exit $status
