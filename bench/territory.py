#!/usr/bin/env python3
"""The benchmark dataset (../shared/bench, 100 organisers x 200 events) as
a territory concord knows: each organiser with its commune, and their
events PUT over CalDAV. Shared by bench/public.sh and bench/desk.py.

    bench/territory.py accounts MANIFEST_JSON   # login, commune, name (TSV)
    bench/territory.py load DATASET_DIR BASE_URL PASSWORD
"""
import concurrent.futures
import http.client
import json
import os
import sys
import unicodedata

from session import basic_auth


def slug(text):
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c.lower() if c.isalnum() else " " for c in folded).split())


def accounts(manifest):
    """(login, commune slug, name) of every organiser of the dataset."""
    with open(manifest) as f:
        return [(a["slug"], slug(a["commune"]), a["name"]) for a in json.load(f)["associations"]]


def load(root, base, password, threads=4):
    """PUTs every event of the dataset into its organiser's `main`
    calendar; how many organisers."""
    host, port = base[len("http://"):].rstrip("/").split(":")

    def one(login):
        conn = http.client.HTTPConnection(host, int(port))
        auth = basic_auth(login, password)
        for name in os.listdir(os.path.join(root, login)):
            with open(os.path.join(root, login, name), "rb") as f:
                body = f.read()
            conn.request("PUT", f"/dav/calendars/{login}/main/{name}", body,
                         {"Authorization": auth, "Content-Type": "text/calendar"})
            response = conn.getresponse()
            response.read()
            assert response.status in (201, 204), (login, name, response.status)

    logins = sorted(d for d in os.listdir(root) if d.startswith("asso-"))
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, logins))
    return len(logins)


def main():
    if sys.argv[1:2] == ["accounts"] and len(sys.argv) == 3:
        for row in accounts(sys.argv[2]):
            print(*row, sep="\t")
    elif sys.argv[1:2] == ["load"] and len(sys.argv) == 5:
        print(f"imported {load(*sys.argv[2:5])} organisers")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
