"""Independent checks of concord's public outputs, run by tests/public_side.rs:

    validate_public.py rss FILE           RSS 2.0 parsed by feedparser
    validate_public.py json SCHEMA FILE   JSON validated against the schema

Prints what it found; exits non-zero with the reason otherwise."""

import json
import sys


def rss(path):
    import feedparser
    feed = feedparser.parse(open(path, "rb").read())
    if feed.bozo:
        sys.exit(f"not well-formed: {feed.bozo_exception}")
    if feed.version != "rss20":
        sys.exit(f"not RSS 2.0: {feed.version!r}")
    for entry in feed.entries:
        if not entry.get("link") or not entry.get("id") or not entry.get("title"):
            sys.exit(f"entry without link, guid or title: {entry}")
    print(json.dumps({
        "title": feed.feed.get("title"),
        "language": feed.feed.get("language"),
        "entries": [{"title": e.title, "link": e.link, "id": e.id,
                     "permalink": e.get("guidislink"),
                     "summary": e.get("summary", "")} for e in feed.entries],
    }))


def check_json(schema_path, path):
    import jsonschema
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.load(open(path))
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    if errors:
        sys.exit("; ".join(f"{list(e.path)}: {e.message}" for e in errors))
    print(len(data["events"]))


if __name__ == "__main__":
    if sys.argv[1] == "rss":
        rss(sys.argv[2])
    else:
        check_json(sys.argv[2], sys.argv[3])
