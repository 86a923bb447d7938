#!/usr/bin/env python3
"""Writes a concord config.toml for the benchmark dataset's territory: its
communes, its venues and the categories its events use, so that conflict
detection and the feeds' filters run on the benchmark data.

    bench/territory-config.py MANIFEST_JSON DB_FILE [LISTEN] > config.toml
"""
import json
import sys
import unicodedata


def slug(text):
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c.lower() if c.isalnum() else " " for c in folded).split()
    return "-".join(words)


def quoted(text):
    return json.dumps(text, ensure_ascii=False)


# The dataset's categories; the first three draw crowds (same commune, same
# day is a conflict), heritage days happen across the whole territory.
CATEGORIES = [
    ("fete", "Fête", True, False),
    ("musique", "Musique", True, False),
    ("marche", "Marché", True, False),
    ("patrimoine", "Patrimoine", False, True),
    ("sport", "Sport", False, False),
    ("culture", "Culture", False, False),
    ("reunion", "Réunion", False, False),
    ("solidarite", "Solidarité", False, False),
    ("seniors", "Seniors", False, False),
    ("environnement", "Environnement", False, False),
    ("jeunesse", "Jeunesse", False, False),
]


def main():
    manifest = json.load(open(sys.argv[1], encoding="utf-8"))
    db_file = sys.argv[2]
    listen = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1:5243"
    out = [f"listen = {quoted(listen)}", f"db_file = {quoted(db_file)}", ""]
    for commune in manifest["communes"]:
        out += ["[[communes]]", f"slug = {quoted(slug(commune))}", f"name = {quoted(commune)}", ""]
    for category, name, large, territory in CATEGORIES:
        out += ["[[categories]]", f"slug = {quoted(category)}", f"name = {quoted(name)}",
                f"large_public_event = {str(large).lower()}",
                f"territory_wide = {str(territory).lower()}", ""]
    for venue in manifest["venues"]:
        out += ["[[venues]]", f"slug = {quoted(slug(venue['name'] + ' ' + venue['commune']))}",
                f"name = {quoted(venue['name'])}", f"commune = {quoted(slug(venue['commune']))}", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
