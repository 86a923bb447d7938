#!/usr/bin/env python3
"""Benchmark of the staff desk over the benchmark dataset (issue 11: the
desk home and the conflicts page of a quarter under 50 ms, the A4 agenda of
a quarter under 200 ms), one client, stdlib only.

Starts the release binary on a fresh database with the dataset's territory
(bench/territory-config.py), its 100 organisers and their 20,000 events
(bench/territory.py), the clock at 2026-03-02 (inside the dataset's two
years), signs in as staff as a browser does, then for each page measures:

- warm: the same page again, nothing written in between (medians of 31);
- after a write: each request right after a CalDAV PUT that changes an
  event, so that the page's conflict report and agenda are computed afresh
  (medians of FRESH rounds, default 15).

Ends with the server's resident size (VmRSS) and its peak (VmHWM).

    bench/desk.py [path/to/concord]   (default target/release/concord;
                                       run bench/run.sh once for the dataset)
"""

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import session  # noqa: E402
import territory  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/concord"
DATASET = os.path.join(
    os.environ.get("CONCORD_BENCH_DIR", os.path.expanduser("~/.cache/concord-bench")),
    "data", "default")
PASSWORD = "secret-pass"
CLOCK = "2026-03-02T08:00:00Z"
FRESH = int(os.environ.get("FRESH", "15"))
PAGES = [
    ("desk home", "/gestion/"),
    ("conflicts of 2026-T2", "/gestion/conflits?du=2026-04-01&au=2026-06-30"),
    ("A4 agenda of 2026-T2", "/agenda/trimestre/2026-T2/a4"),
]
CHANGE = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//bench//EN\r
BEGIN:VEVENT\r
UID:bench-desk-change\r
DTSTAMP:20260301T000000Z\r
DTSTART:20260418T180000Z\r
DTEND:20260418T200000Z\r
SUMMARY:Changement {n}\r
LOCATION:Salle des fêtes\\, Fontenelle\r
END:VEVENT\r
END:VCALENDAR\r
"""


def env():
    return {**os.environ, "CONCORD_CLOCK": CLOCK}


def cli(config, *args):
    subprocess.run([BINARY, "--config", config, *args], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True, env=env())


def median_p90(times):
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.9)]


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM")}


def main():
    manifest = os.path.join(DATASET, "manifest.json")
    if not os.path.exists(manifest):
        sys.exit("run bench/run.sh once first (dataset)")
    work = tempfile.mkdtemp(prefix="concord-bench-desk-")
    config = os.path.join(work, "config.toml")
    written = subprocess.run(
        [sys.executable, os.path.join(HERE, "territory-config.py"), manifest,
         os.path.join(work, "concord.db"), "127.0.0.1:0"],
        check=True, capture_output=True, text=True).stdout
    with open(config, "w") as f:
        f.write(written)
    for login, commune, name in territory.accounts(manifest):
        cli(config, "organiser", "add", login, "--name", name, "--commune", commune,
            "--password-stdin")
    cli(config, "staff", "add", "bench-staff", "--name", "Communication", "--password-stdin")
    server = subprocess.Popen([BINARY, "--config", config, "serve"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env())
    try:
        for line in server.stdout:
            found = re.match(r"listening on (http://[^/\s]+)", line)
            if found:
                base = found.group(1)
                break
        started = time.perf_counter()
        territory.load(DATASET, base, PASSWORD)
        print(f"imported the dataset in {time.perf_counter() - started:.1f} s; "
              f"server {rss(server.pid)} MB")
        host, port = base[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port))

        def request(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response, response.read()

        cookie = session.sign_in(request, "bench-staff", PASSWORD)
        writer = session.basic_auth("asso-001", PASSWORD)
        changes = 0

        def change():
            nonlocal changes
            changes += 1
            response, _ = request(
                "PUT", "/dav/calendars/asso-001/main/bench-desk-change.ics",
                CHANGE.format(n=changes).encode(),
                {"Authorization": writer, "Content-Type": "text/calendar"})
            assert response.status in (201, 204), response.status

        def get(path):
            start = time.perf_counter()
            response, body = request("GET", path, headers=cookie)
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status == 200, (path, response.status)
            return elapsed, body

        for name, path in PAGES:
            _, body = get(path)
            warm = median_p90([get(path)[0] for _ in range(31)])
            fresh = []
            for _ in range(FRESH):
                change()
                fresh.append(get(path)[0])
            after = median_p90(fresh)
            print(f"{name:22} {len(body):>8} bytes   warm: median {warm[0]:6.1f} ms "
                  f"(p90 {warm[1]:6.1f})   after a write: median {after[0]:6.1f} ms "
                  f"(p90 {after[1]:6.1f})   server {rss(server.pid)} MB")
        print(f"server at the end: {rss(server.pid)} MB; "
              f"load average {open('/proc/loadavg').read().split()[:3]}")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
