#!/usr/bin/env python3
"""Random recurring VEVENTs with their instances computed by python-dateutil.

Usage: recurrence_cases.py --seed N --count N

Writes to standard output a JSON list, one entry per case:

    {"uid", "ics", "rule", "all_day",
     "window_start", "window_end",          # UTC, like 20270101T000017Z
     "expected_utc_starts": [...],          # instances overlapping the window
     "probe_hit":  {"start", "end", "instance"} or null,
     "probe_miss": {"start", "end"} or null}

Expected starts are `YYYYMMDDTHHMMSSZ` for DATE-TIME events and `YYYYMMDD`
for all-day ones (CALDAV:expand keeps all-day instances as DATE values).
`probe_hit` is a time range that only one later instance (not the first)
overlaps; `probe_miss` is a range between instances that none overlaps.

The instances come from dateutil's rrulestr/rruleset, fed with the same RRULE
text (see `walk` for the one dateutil bug worked around), a DTSTART made aware with zoneinfo's Europe/Paris (or UTC, or naive
dates for all-day events, which are floating and so read on the server's
default zone, Europe/Paris), plus DTSTART itself as an RDATE (RFC 5545: DTSTART
is always the first instance; dateutil only yields it when it matches the
rule), the RDATEs and the EXDATEs. Instance ends and the window overlap test
follow RFC 5545 3.8.5.3 / RFC 4791 9.9: DTEND gives every instance the same
exact length, DURATION adds its days on the wall clock, an all-day event
without end lasts one day, a timed one without end none. Window bounds fall
on second 17 of a minute while every instance starts and ends on a whole
minute, so no case hangs on the boundary conventions.

Exits 2 when python-dateutil is missing: that is a failure, not a skip.
"""

import argparse
import datetime as dt
import json
import random
import sys
import types

try:
    from dateutil import rrule as du
except ImportError as error:  # pragma: no cover - environment problem
    print(
        f"recurrence_cases.py: cannot import dateutil ({error}); interpreter "
        f"{sys.executable} needs `pip install python-dateutil`",
        file=sys.stderr,
    )
    sys.exit(2)

try:
    from zoneinfo import ZoneInfo

    PARIS = ZoneInfo("Europe/Paris")
except Exception:  # no system tz database and no tzdata package
    from dateutil import tz as dutz

    PARIS = dutz.gettz("Europe/Paris")
    if PARIS is None:
        print("recurrence_cases.py: no time zone data for Europe/Paris", file=sys.stderr)
        sys.exit(2)

UTC = dt.timezone.utc

# dateutil walks a rule that yields nothing up to year 9999 before giving up,
# whatever its UNTIL (it compares UNTIL with what it yields): seconds for
# FREQ=WEEKLY;BYDAY=MO;BYSETPOS=3 (no week has a third Monday). Every case
# here lies before 2032, so its walk is stopped at 2040 instead. This only
# bounds the search; rules are run exactly as written.
_walk = types.ModuleType("datetime")
_walk.__dict__.update(vars(dt))
_walk.MAXYEAR = 2040
du.datetime = _walk

# Europe/Paris as Thunderbird and Apple send it (EU rules since 1996).
VTIMEZONE = "\r\n".join(
    [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]
)

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
# How far a rule may run: COUNT rules are cut to what fits in this span, so
# that neither side walks decades (nor dateutil loops to year 9999 looking
# for occurrences of a rule that has few or none).
SPAN = dt.timedelta(days=3 * 366)


# --- formatting -------------------------------------------------------------


def fmt_local(t):
    return t.strftime("%Y%m%dT%H%M%S")


def fmt_utc(t):
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fmt_date(t):
    return t.strftime("%Y%m%d")


def to_utc(t, kind):
    """UTC instant of an occurrence as dateutil yields it (aware for timed
    events; naive midnight for all-day ones, read in Europe/Paris like the
    server's floating zone). fold=0: the first of two ambiguous times, the
    offset before a gap (RFC 5545 3.3.5), which is zoneinfo's convention."""
    if kind == "date":
        return t.replace(tzinfo=PARIS).astimezone(UTC)
    return t.astimezone(UTC)


def wall_add_days(t, days, kind):
    """`t` plus whole days on the wall clock (DURATION's nominal days)."""
    if kind == "date":
        return (t + dt.timedelta(days=days)).replace(tzinfo=PARIS).astimezone(UTC)
    if kind == "utc":
        return (t + dt.timedelta(days=days)).astimezone(UTC)
    local = t.astimezone(PARIS).replace(tzinfo=None) + dt.timedelta(days=days)
    return local.replace(tzinfo=PARIS).astimezone(UTC)


# --- random rule ------------------------------------------------------------


def pick_days(rng, k):
    return sorted(rng.sample(range(7), k))


def byday_plain(rng, k):
    return ",".join(DAYS[d] for d in pick_days(rng, k))


def byday_ordinal(rng, yearly_without_month=False):
    parts = []
    for _ in range(rng.choice([1, 1, 1, 2])):
        day = rng.choice(DAYS)
        if yearly_without_month:
            n = rng.choice([1, 2, 10, 20, 30, 52, -1, -2, -10])
        else:
            n = rng.choice([1, 1, 2, 3, 4, -1, -1, -2, 5])
        parts.append(f"{n}{day}")
    return ",".join(dict.fromkeys(parts))


def monthdays(rng):
    pool = [1, 2, 5, 10, 13, 15, 20, 28, 29, 30, 31, -1, -1, -2, -3, -7]
    return ",".join(str(d) for d in dict.fromkeys(rng.sample(pool, rng.choice([1, 1, 2, 3]))))


def months(rng):
    pool = [1, 2, 3, 3, 4, 6, 9, 10, 10, 11, 12]
    return ",".join(str(m) for m in sorted(set(rng.sample(pool, rng.choice([1, 1, 2, 3])))))


def setpos(rng):
    return ",".join(dict.fromkeys(str(p) for p in rng.sample([1, 2, 3, -1, -1, -2], rng.choice([1, 1, 2]))))


def random_rule(rng, kind):
    """RRULE parts without COUNT/UNTIL, as an ordered list of (key, value)."""
    freqs = ["DAILY"] * 5 + ["WEEKLY"] * 5 + ["MONTHLY"] * 6 + ["YEARLY"] * 4
    if kind != "date":
        freqs += ["HOURLY"]
    freq = rng.choice(freqs)
    parts = [("FREQ", freq)]
    if rng.random() < 0.35:
        parts.append(("INTERVAL", str(rng.choice([2, 2, 3, 4]))))
    r = rng.random
    if freq == "HOURLY":
        if r() < 0.3:
            parts.append(("BYDAY", byday_plain(rng, rng.randint(2, 5))))
        if r() < 0.3:
            parts.append(("BYHOUR", ",".join(str(h) for h in sorted(rng.sample(range(24), 4)))))
    elif freq == "DAILY":
        if r() < 0.4:
            parts.append(("BYDAY", byday_plain(rng, rng.randint(1, 5))))
        if r() < 0.2:
            parts.append(("BYMONTH", months(rng)))
        if r() < 0.15:
            parts.append(("BYMONTHDAY", monthdays(rng)))
    elif freq == "WEEKLY":
        if r() < 0.75:
            parts.append(("BYDAY", byday_plain(rng, rng.randint(1, 4))))
        if r() < 0.15:
            parts.append(("BYMONTH", months(rng)))
        if r() < 0.15 and any(k == "BYDAY" for k, _ in parts):
            parts.append(("BYSETPOS", setpos(rng)))
    elif freq == "MONTHLY":
        choice = rng.choice(["ordinal", "ordinal", "plain+setpos", "monthday", "monthday", "both", "none"])
        if choice == "ordinal":
            parts.append(("BYDAY", byday_ordinal(rng)))
        elif choice == "plain+setpos":
            parts.append(("BYDAY", byday_plain(rng, rng.randint(1, 5))))
            parts.append(("BYSETPOS", setpos(rng)))
        elif choice == "monthday":
            parts.append(("BYMONTHDAY", monthdays(rng)))
        elif choice == "both":
            # e.g. Friday the 13th, the first weekend day after the 7th
            parts.append(("BYDAY", byday_plain(rng, rng.randint(1, 3))))
            parts.append(("BYMONTHDAY", rng.choice(["13", "8,9,10,11,12,13,14", "-1,-2,-3", "1,2,3,4,5,6,7"])))
            if r() < 0.3:
                parts.append(("BYSETPOS", setpos(rng)))
        if r() < 0.25:
            parts.append(("BYMONTH", months(rng)))
    else:  # YEARLY
        choice = rng.choice(["month+ordinal", "month+ordinal", "month+monthday", "ordinal", "month", "yearday", "weekno", "none"])
        if choice == "month+ordinal":
            # BYMONTH=3,10;BYDAY=-1SU is the EU DST rule itself
            parts.append(("BYMONTH", months(rng)))
            parts.append(("BYDAY", byday_ordinal(rng)))
        elif choice == "month+monthday":
            parts.append(("BYMONTH", months(rng)))
            parts.append(("BYMONTHDAY", monthdays(rng)))
        elif choice == "ordinal":
            parts.append(("BYDAY", byday_ordinal(rng, yearly_without_month=True)))
        elif choice == "month":
            parts.append(("BYMONTH", months(rng)))
            if r() < 0.5:
                parts.append(("BYDAY", byday_plain(rng, rng.randint(1, 2))))
                parts.append(("BYSETPOS", setpos(rng)))
        elif choice == "yearday":
            parts.append(("BYYEARDAY", ",".join(str(d) for d in rng.sample([1, 60, 100, 200, 365, -1, -100], 2))))
        elif choice == "weekno":
            parts.append(("BYWEEKNO", ",".join(str(w) for w in rng.sample([1, 10, 13, 20, 43, 52, 53, -1], 2))))
            parts.append(("BYDAY", byday_plain(rng, rng.randint(1, 2))))
    if freq in ("WEEKLY", "YEARLY") and r() < 0.3:
        parts.append(("WKST", rng.choice(DAYS)))
    return parts


def freq_of(parts):
    return parts[0][1]


def rule_text(parts):
    return ";".join(f"{k}={v}" for k, v in parts)


def until_text(limit, kind):
    return fmt_date(limit) if kind == "date" else fmt_utc(limit)


def walk(parts, dtstart, until):
    """The rule's own occurrences from `dtstart` (DTSTART only when it
    matches) up to the UNTIL text `until`. The caller always gives an UNTIL,
    so that a sparse rule cannot keep dateutil searching for decades.

    dateutil limitation (dateutil issue #1398): for FREQ=WEEKLY it applies
    BYSETPOS to the days of DTSTART's week *from DTSTART on* rather than to
    the whole week (RFC 5545 3.3.10: "a set of recurrence instances starts at
    the beginning of the interval"), so e.g. BYDAY=MO,TU,TH,FR;BYSETPOS=2
    from a Thursday yields that Friday. Such rules are run from the start of
    DTSTART's week (per WKST; same weeks, so INTERVAL is unchanged) and the
    occurrences before DTSTART dropped, which is the RFC's reading.
    """
    keys = dict(parts)
    anchor = dtstart
    if keys["FREQ"] == "WEEKLY" and "BYSETPOS" in keys:
        wkst = DAYS.index(keys.get("WKST", "MO"))
        anchor = dtstart - dt.timedelta(days=(dtstart.weekday() - wkst) % 7)
    rule = du.rrulestr(f"{rule_text(parts)};UNTIL={until}", dtstart=anchor)
    return [t for t in rule if t >= dtstart]


# --- one case ---------------------------------------------------------------


def random_start(rng, kind):
    year = rng.choice([2026, 2027, 2028])
    if rng.random() < 0.5:
        # near a DST change (last Sundays of March and October)
        month = rng.choice([3, 10])
        day = rng.randint(18, 31)
    else:
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
    if kind == "date":
        return dt.datetime(year, month, day)
    hour = rng.choice([2, 2, 3, 8, 9, 10, 12, 14, 18, 20, 22, 23, 0, 1])
    minute = rng.choice([0, 0, 15, 30, 45])
    tzinfo = PARIS if kind == "tz" else UTC
    return dt.datetime(year, month, day, hour, minute, tzinfo=tzinfo)


def prop_time(name, t, kind):
    """A DTSTART/EXDATE/RDATE line for `t` in the event's own form."""
    if kind == "date":
        return f"{name};VALUE=DATE:{fmt_date(t)}"
    if kind == "utc":
        return f"{name}:{fmt_utc(t)}"
    # wall clock as dateutil produced it (fold=0), not a round trip via UTC
    return f"{name};TZID=Europe/Paris:{fmt_local(t)}"


def make_case(rng, index, seed):
    kind = rng.choices(["tz", "utc", "date"], weights=[6, 2, 2])[0]
    while True:
        parts = random_rule(rng, kind)
        text = rule_text(parts)
        candidate = random_start(rng, kind)
        # HOURLY rules are walked hour by hour: keep their span short
        span = dt.timedelta(days=10) if freq_of(parts) == "HOURLY" else SPAN
        try:
            first = next(iter(walk(parts, candidate, until_text(candidate + span, kind))), None)
        except (ValueError, TypeError):
            continue  # a combination dateutil refuses
        if first is None:
            continue  # the rule has nothing in the span: regenerate
        break
    freq = parts[0][1]
    # Synchronise DTSTART with the rule most of the time (RFC 5545 3.8.5.3
    # leaves the set undefined otherwise); keep some unsynchronised starts,
    # bounded by UNTIL only: whether such a DTSTART counts toward COUNT is
    # where implementations differ (concord counts it, dateutil's rruleset
    # with DTSTART added as an RDATE does not), and the RFC does not say.
    synced = freq_of(parts) == "HOURLY" or rng.random() < 0.85 or first == candidate
    dtstart = first if synced else candidate
    if freq == "HOURLY":
        # hours run on the wall clock on both sides; keep these short
        use_count = True
        count = rng.randint(1, 48)
    else:
        use_count = synced and rng.random() < 0.5
        count = rng.randint(1, 60)

    span_end = dtstart + span
    within = walk(parts, dtstart, until_text(span_end, kind))
    if use_count:
        # A COUNT that the rule reaches within the span (counting DTSTART).
        count = max(1, min(count, len(within)))
        full_text = f"{text};COUNT={count}"
        occurrences = within[:count]
    else:
        # UNTIL: sometimes exactly an occurrence (UNTIL is inclusive), else a
        # random moment within the span.
        if within and rng.random() < 0.3:
            until = rng.choice(within)
        else:
            until = dtstart + dt.timedelta(days=rng.randint(1, span.days), minutes=rng.choice([0, 0, 7, 30]))
        full_text = f"{text};UNTIL={until_text(until, kind)}"
        occurrences = walk(parts, dtstart, until_text(until, kind))
    series = [dtstart] + [t for t in occurrences if t != dtstart]

    # EXDATEs from real instances, RDATEs anywhere in the series' span.
    # (at least one instance is left: an empty set is another question)
    exdates = rng.sample(series, min(len(series) - 1, rng.choice([0, 0, 0, 1, 2, 3])))
    rdates = []
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        offset = dt.timedelta(days=rng.randint(-20, 400))
        if kind == "date":
            rdates.append(dtstart + offset)
        else:
            # not at 2 a.m.: a wall time in a DST gap, written in UTC, has
            # no wall clock of its own for DURATION's days to be added to
            hour = rng.choice([h for h in range(24) if h != 2])
            rdates.append((dtstart + offset).replace(hour=hour, minute=rng.choice([0, 20, 40])))

    rset = du.rruleset()
    for t in series:  # DTSTART and the rule's occurrences
        rset.rdate(t)
    for t in rdates:
        rset.rdate(t)
    for t in exdates:
        rset.exdate(t)
    instances = sorted({to_utc(t, kind): t for t in rset}.items())

    # Length of every instance (DTEND: exact; DURATION: days on the wall clock
    # plus seconds; all-day without end: one day; timed without end: none).
    lines = []
    if kind == "date":
        form = rng.choice(["none", "dtend", "duration"])
        days = rng.choice([1, 1, 2, 3])
        if form == "none":
            days = 1
        elif form == "dtend":
            lines.append(f"DTEND;VALUE=DATE:{fmt_date(dtstart + dt.timedelta(days=days))}")
        else:
            lines.append(f"DURATION:P{days}D")

        def end_of(utc, t):
            return wall_add_days(t, days, kind)

    else:
        form = rng.choice(["none", "dtend", "dtend", "duration", "duration"])
        days = rng.choice([0, 0, 0, 1, 2])
        secs = rng.choice([0, 1800, 3600, 5400, 9000, 3 * 3600 + 900])
        if form == "none":
            days, secs = 0, 0
        elif form == "duration" and days == 0 and secs == 0:
            secs = 3600
        if form == "dtend":
            # DTEND in the same form as DTSTART; exact length = difference.
            if kind == "tz":
                end_local = dtstart.replace(tzinfo=None) + dt.timedelta(days=days, seconds=secs)
                end_aware = end_local.replace(tzinfo=PARIS)
                lines.append(f"DTEND;TZID=Europe/Paris:{fmt_local(end_local)}")
            else:
                end_aware = dtstart + dt.timedelta(days=days, seconds=secs)
                lines.append(f"DTEND:{fmt_utc(end_aware)}")
            exact = end_aware.astimezone(UTC) - dtstart.astimezone(UTC)

            def end_of(utc, t):
                return utc + exact

        else:
            if form == "duration":
                d = f"P{days}D" if days else "P"
                if secs:
                    h, m = divmod(secs // 60, 60)
                    d += "T" + (f"{h}H" if h else "") + (f"{m}M" if m else "")
                lines.append(f"DURATION:{d}")

            def end_of(utc, t):
                base = wall_add_days(t, days, kind) if days else utc
                return base + dt.timedelta(seconds=secs)

    spans = [(utc, end_of(utc, t)) for utc, t in instances]

    def overlaps(span, lo, hi):
        s, e = span
        return s < hi and (e > lo or (e == s and s >= lo))

    def label(utc):
        return fmt_date(utc.astimezone(PARIS)) if kind == "date" else fmt_utc(utc)

    # The expand window: whole series, or a random slice of it.
    first_utc, last_utc = spans[0][0], spans[-1][0]
    sec17 = dt.timedelta(seconds=17)
    minute = dt.timedelta(minutes=1)

    def random_moment(lo, hi):
        steps = max(1, int((hi - lo) / minute))
        return (lo + rng.randint(0, steps) * minute).replace(second=0) + sec17

    roll = rng.random()
    if roll < 0.25:
        ws = (first_utc - dt.timedelta(days=1)).replace(second=0) + sec17
        we = (last_utc + dt.timedelta(days=4)).replace(second=0) + sec17
    elif roll < 0.35:
        # anywhere around the series, often between or past its instances
        ws = random_moment(first_utc - dt.timedelta(days=3), last_utc + dt.timedelta(days=3))
        we = ws + rng.choice([dt.timedelta(hours=1), dt.timedelta(days=2), dt.timedelta(days=40)])
    else:
        # starting near one instance (before it, or inside it)
        anchor = rng.choice(spans)[0]
        ws = random_moment(anchor - dt.timedelta(days=rng.choice([0, 1, 10])), anchor + dt.timedelta(minutes=30))
        length = rng.choice([dt.timedelta(hours=2), dt.timedelta(days=1), dt.timedelta(days=30), dt.timedelta(days=200), dt.timedelta(days=800)])
        we = max(ws + length, anchor + dt.timedelta(hours=1) + sec17)
    expected = [label(s) for s, e in spans if overlaps((s, e), ws, we)]

    # A range that only one later instance overlaps (the latest such one).
    probe_hit = None
    for i in range(len(spans) - 1, 0, -1):
        s = spans[i][0]
        lo, hi = s - minute + sec17, s + sec17
        if sum(overlaps(sp, lo, hi) for sp in spans) == 1:
            probe_hit = {"start": fmt_utc(lo), "end": fmt_utc(hi), "instance": label(s)}
            break
    # A range between instances that none overlaps.
    probe_miss = None
    gaps = []
    latest_end = spans[0][1]
    for s, e in spans[1:]:
        if s - latest_end >= dt.timedelta(minutes=2):
            gaps.append((latest_end, s))
        latest_end = max(latest_end, e)
    if gaps:
        a, b = rng.choice(gaps)
        lo, hi = a + sec17, b - minute + sec17
        if not any(overlaps(sp, lo, hi) for sp in spans):
            probe_miss = {"start": fmt_utc(lo), "end": fmt_utc(hi)}

    uid = f"rdiff-{seed}-{index:04d}"
    body = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//concord tests//recurrence diff//EN",
    ]
    if kind == "tz":
        body.append(VTIMEZONE)
    body += [
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20261101T120000Z",
        prop_time("DTSTART", dtstart, kind),
        *lines,
        f"RRULE:{full_text}",
    ]
    for t in sorted(rdates):
        if kind == "tz" and rng.random() < 0.3:
            body.append(f"RDATE:{fmt_utc(t)}")
        else:
            body.append(prop_time("RDATE", t, kind))
    for t in sorted(exdates):
        if kind == "tz" and rng.random() < 0.3:
            body.append(f"EXDATE:{fmt_utc(t)}")
        else:
            body.append(prop_time("EXDATE", t, kind))
    body += [f"SUMMARY:Recurrence case {index}", "END:VEVENT", "END:VCALENDAR", ""]
    return {
        "uid": uid,
        "ics": "\r\n".join(body),
        "rule": full_text,
        "all_day": kind == "date",
        "synchronised": synced,
        "window_start": fmt_utc(ws),
        "window_end": fmt_utc(we),
        "expected_utc_starts": expected,
        "probe_hit": probe_hit,
        "probe_miss": probe_miss,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [make_case(rng, i, args.seed) for i in range(args.count)]
    json.dump(cases, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
