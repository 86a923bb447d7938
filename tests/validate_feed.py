#!/usr/bin/env python3
"""Independent check of iCalendar feeds written by concord.

Usage: validate_feed.py FILE.ics [FILE.ics ...]

Each file is parsed with the `icalendar` package and checked strictly:

- `icalendar.Calendar.from_ical` succeeds and records no parse error on
  any component (icalendar is lenient and keeps errors aside; here any
  error fails);
- the file is one VCALENDAR with VERSION and PRODID;
- every VEVENT has UID, DTSTART and DTSTAMP;
- every TZID used by a property parameter has a VTIMEZONE in the file;
- the calendar serialises again (`to_ical`) and that output parses too,
  with the same events.

Exits 0 when every file passes, 1 with one message per problem otherwise,
2 when `icalendar` is not installed (which is a failure, not a skip).
"""

import sys

try:
    import icalendar
except ImportError as error:  # pragma: no cover - environment problem
    print(
        f"validate_feed.py: cannot import icalendar ({error}); "
        f"interpreter {sys.executable} needs `pip install icalendar python-dateutil`",
        file=sys.stderr,
    )
    sys.exit(2)


def properties(component):
    """Yields (name, property) for every property of one component,
    multi-occurrence properties one by one."""
    for name, value in component.property_items(recursive=False, sorted=False):
        if name in ("BEGIN", "END"):
            continue
        yield name, value


def tzids_used(calendar):
    used = set()
    for component in calendar.walk():
        if component.name == "VTIMEZONE":
            continue
        for name, value in properties(component):
            params = getattr(value, "params", None) or {}
            tzid = params.get("TZID")
            if tzid:
                used.add(str(tzid))
    return used


def check(path):
    problems = []
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        return [f"cannot read: {error}"]
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception as error:  # icalendar raises ValueError and friends
        return [f"icalendar cannot parse it: {type(error).__name__}: {error}"]
    if len(calendars) != 1:
        return [f"expected one VCALENDAR, found {len(calendars)}"]
    calendar = calendars[0]
    if calendar.name != "VCALENDAR":
        return [f"top-level component is {calendar.name}, not VCALENDAR"]
    for name in ("VERSION", "PRODID"):
        if name not in calendar:
            problems.append(f"VCALENDAR has no {name}")

    for component in calendar.walk():
        for prop, error in getattr(component, "errors", []) or []:
            problems.append(f"{component.name}: cannot parse {prop}: {error}")

    events = calendar.walk("VEVENT")
    if not events:
        problems.append("no VEVENT at all")
    for index, event in enumerate(events):
        label = f"VEVENT #{index + 1} ({event.get('UID', 'no UID')})"
        for name in ("UID", "DTSTART", "DTSTAMP"):
            if name not in event:
                problems.append(f"{label} has no {name}")
            else:
                try:
                    event.decoded(name)
                except Exception as error:
                    problems.append(f"{label}: {name} does not decode: {error}")

    zones = {str(z.get("TZID")) for z in calendar.walk("VTIMEZONE")}
    for tzid in sorted(tzids_used(calendar) - zones):
        problems.append(f"TZID {tzid!r} is used but has no VTIMEZONE")

    try:
        again = calendar.to_ical()
        reparsed = icalendar.Calendar.from_ical(again)
    except Exception as error:
        problems.append(f"re-serialisation fails: {type(error).__name__}: {error}")
    else:
        before = sorted(
            (str(e.get("UID")), str(e.get("RECURRENCE-ID", ""))) for e in events
        )
        after = sorted(
            (str(e.get("UID")), str(e.get("RECURRENCE-ID", "")))
            for e in reparsed.walk("VEVENT")
        )
        if before != after:
            problems.append("re-serialised calendar does not hold the same events")
    return problems


def main(paths):
    if not paths:
        print("usage: validate_feed.py FILE.ics [FILE.ics ...]", file=sys.stderr)
        return 1
    failed = False
    for path in paths:
        problems = check(path)
        if problems:
            failed = True
            for problem in problems:
                print(f"{path}: {problem}", file=sys.stderr)
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
