#!/usr/bin/env bash
# Checks the examples of deploy/ with the programs that will read them:
# systemd-analyze verify (the units, with ExecStart pointed at BINARY),
# concord itself (config.toml), caddy validate (Caddyfile) and nginx -t
# (nginx.conf, with a throw-away certificate). Run by .ci/run.
# Usage: deploy/check.sh [BINARY]   (default: target/debug/concord)
set -euo pipefail
cd "$(dirname "$0")"
binary=$(realpath "${1:-../target/debug/concord}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "-- systemd units"
units=(concord.service concord-backup.service concord-backup.timer)
for unit in "${units[@]}"; do
    sed "s#/usr/local/bin/concord#$binary#g" "$unit" >"$work/$unit"
done
# Clean means silent: unknown keys are only warned about.
warnings=$(cd "$work" && systemd-analyze verify "${units[@]/#/$work/}" 2>&1)
[ -z "$warnings" ] || { echo "$warnings"; exit 1; }

echo "-- config.toml"
"$binary" --config config.toml --db "$work/check.db" organiser list >/dev/null

echo "-- Caddyfile"
caddy validate --config Caddyfile --adapter caddyfile >"$work/caddy.log" 2>&1 ||
    { cat "$work/caddy.log"; exit 1; }

echo "-- nginx.conf"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=agenda.example.fr \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
sed -e "s#/etc/letsencrypt/live/agenda.example.fr/fullchain.pem#$work/cert.pem#" \
    -e "s#/etc/letsencrypt/live/agenda.example.fr/privkey.pem#$work/key.pem#" \
    nginx.conf >"$work/site.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
    access_log off;
    include $work/site.conf;
}
CONF
nginx -t -q -c "$work/nginx.conf" -p "$work"
echo "deploy/ checked"
