#!/usr/bin/env python3
"""Benchmark of the organisers' web space, one client (stdlib only).

Starts the release binary on a temporary database with two organisers of
200 events each (10 % weekly series, some at the same hall so that the
conflict report has work), then measures:

- GET /espace/ of an organiser with 200 events (warm: the shared conflict
  report is up to date; cold: right after a write, which makes the first
  view compute the report again);
- creating an event through the form (POST /espace/evenements/nouveau)
  against a CalDAV PUT of a new event.

Usage: bench/espace.py [path/to/concord] (default target/release/concord)
"""

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import session  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/release/concord"
PASSWORD = "correct-horse-battery-staple"
TERRITORY = """
[[communes]]
slug = "arue"
name = "Arue"
[[venues]]
slug = "salle-arue"
name = "Salle des fêtes"
commune = "arue"
[[categories]]
slug = "loto"
name = "Loto"
large_public_event = true
"""


def cli(config, *args):
    subprocess.run(
        [BINARY, "--config", config, *args],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        env={**os.environ, "CONCORD_CLOCK": "2026-11-28T10:00:00Z"},
    )


def event(uid, n, recurring):
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    hour = 10 + n % 10
    rule = "RRULE:FREQ=WEEKLY;COUNT=30\r\n" if recurring else ""
    where = "LOCATION:Salle des fêtes\\, Arue\r\n" if n % 5 == 0 else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261101T120000Z\r\n"
        f"DTSTART:2027{month:02}{day:02}T{hour:02}0000Z\r\n"
        f"DTEND:2027{month:02}{day:02}T{hour + 2:02}0000Z\r\n{rule}{where}"
        f"SUMMARY:Événement {n} de {uid.split('-')[0]}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def basic(login):
    return session.basic_auth(login, PASSWORD)


def timed(fn, count):
    times = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def main():
    work = tempfile.mkdtemp(prefix="concord-bench-espace-")
    config = os.path.join(work, "config.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{work}/data"\nlisten = "127.0.0.1:0"\n{TERRITORY}')
    for login in ["asso-a", "asso-b"]:
        cli(config, "organiser", "add", login, "--name", login, "--password-stdin")
    server = subprocess.Popen(
        [BINARY, "--config", config, "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "CONCORD_CLOCK": "2026-11-28T10:00:00Z"},
    )
    try:
        for line in server.stdout:
            if line.startswith("listening on http://"):
                host, port = line.strip()[len("listening on http://"):].rstrip("/").split(":")
                break
        conn = http.client.HTTPConnection(host, int(port))

        def request(method, path, body=None, headers=None):
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response, data

        for login in ["asso-a", "asso-b"]:
            for n in range(200):
                uid = f"{login}-{n}"
                response, _ = request(
                    "PUT",
                    f"/dav/calendars/{login}/main/{uid}.ics",
                    event(uid, n, n % 10 == 0),
                    {"Authorization": basic(login), "Content-Type": "text/calendar"},
                )
                assert response.status == 201, response.status
        # Sign in as a browser does.
        cookie = session.sign_in(request, "asso-a", PASSWORD)

        response, page = request("GET", "/espace/", headers=cookie)
        assert response.status == 200
        listed = page.count(b'<li class="evenement">')
        conflicts = page.count(b'class="conflit"')
        print(f"/espace/: {listed} events listed, {conflicts} conflict lines, {len(page)} bytes")

        def home(_):
            response, _ = request("GET", "/espace/", headers=cookie)
            assert response.status == 200

        median, p90 = timed(home, 300)
        print(f"GET /espace/ warm, 1 client: median {median:.2f} ms, p90 {p90:.2f} ms")

        def everything(_):
            response, page = request("GET", "/espace/?a_venir=tous", headers=cookie)
            assert response.status == 200
            sizes.append(len(page))

        sizes = []
        median, p90 = timed(everything, 300)
        print(
            f"GET /espace/?a_venir=tous (all 200 listed, {sizes[-1]} bytes) warm, 1 client: "
            f"median {median:.2f} ms, p90 {p90:.2f} ms"
        )

        def cold(i):
            # A write elsewhere moves the store's generation: the next view
            # computes the organisers' conflict report again.
            request(
                "PUT",
                f"/dav/calendars/asso-b/main/cold-{i}.ics",
                event(f"asso-b-cold-{i}", i, False),
                {"Authorization": basic("asso-b"), "Content-Type": "text/calendar"},
            )
            start = time.perf_counter()
            home(i)
            cold_times.append((time.perf_counter() - start) * 1000)

        cold_times = []
        for i in range(30):
            cold(i)
        cold_times.sort()
        print(
            f"GET /espace/ right after a write, 1 client: median {statistics.median(cold_times):.2f} ms, "
            f"p90 {cold_times[int(len(cold_times) * 0.9)]:.2f} ms"
        )

        response, page = request("GET", "/espace/evenements/nouveau", headers=cookie)
        csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        form = {
            "csrf": csrf,
            "titre": "Loto du comité",
            "date": "2027-06-12",
            "heure_debut": "20:30",
            "heure_fin": "23:00",
            "lieu": "Mairie",
            "categorie": "loto",
            "description": "Cartons à 2 €.",
            "visibilite": "publique",
            "repetition": "aucune",
            "calendrier": "main",
            "action": "enregistrer",
        }
        form_body = urllib.parse.urlencode(form)
        headers = {**cookie, "Content-Type": "application/x-www-form-urlencoded"}

        def create(_):
            response, _ = request("POST", "/espace/evenements/nouveau", form_body, headers)
            assert response.status == 303, response.status

        def put(i):
            response, _ = request(
                "PUT",
                f"/dav/calendars/asso-a/main/put-{i}.ics",
                event(f"asso-a-put-{i}", i, False),
                {"Authorization": basic("asso-a"), "Content-Type": "text/calendar"},
            )
            assert response.status == 201, response.status

        # Interleaved rounds, so that drift of the machine hits both alike.
        forms, puts = [], []
        for round in range(5):
            forms.append(timed(create, 40)[0])
            puts.append(timed(lambda i: put(round * 1000 + i), 40)[0])
        print(
            f"create through the form: median {statistics.median(forms):.3f} ms; "
            f"PUT new event: median {statistics.median(puts):.3f} ms; "
            f"difference {statistics.median(forms) - statistics.median(puts):+.3f} ms"
        )
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
