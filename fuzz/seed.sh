#!/usr/bin/env bash
# Builds the fuzz targets' starting corpora from fixtures/ (the request
# bodies and calendar objects the tests use, bad ones included) plus a few
# hand-written inputs, into fuzz/corpus/TARGET/. Idempotent: files are
# named by their content's hash, and what the fuzzer added stays.
set -euo pipefail
cd "$(dirname "$0")"
fixtures=../fixtures
add() { # add TARGET < content
    local dir=corpus/$1 tmp
    mkdir -p "$dir"
    tmp=$(mktemp)
    cat >"$tmp"
    mv "$tmp" "$dir/seed-$(sha1sum <"$tmp" | cut -c1-16)"
}

for f in "$fixtures"/requests/*.xml "$fixtures"/requests/bad/*; do add xml_report <"$f"; done
for f in "$fixtures"/ics/*.ics "$fixtures"/ics/bad/*; do add ical_intake <"$f"; done

# calendar-query bodies with the filters evaluated on content, each paired
# (after a NUL byte) with every calendar object of the fixtures.
queries=()
for f in "$fixtures"/requests/*calendar-query*.xml; do queries+=("$(cat "$f")"); done
head='<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
tail='</C:comp-filter></C:filter></C:calendar-query>'
queries+=(
  "$head<C:comp-filter name=\"VEVENT\"><C:prop-filter name=\"SUMMARY\"><C:text-match collation=\"i;unicode-casemap\" match-type=\"starts-with\">fête</C:text-match></C:prop-filter></C:comp-filter>$tail"
  "$head<C:comp-filter name=\"VEVENT\" test=\"anyof\"><C:prop-filter name=\"ATTENDEE\"><C:param-filter name=\"PARTSTAT\"><C:text-match negate-condition=\"yes\">ACCEPTED</C:text-match></C:param-filter></C:prop-filter><C:prop-filter name=\"CATEGORIES\"><C:is-not-defined/></C:prop-filter></C:comp-filter>$tail"
  "$head<C:comp-filter name=\"VEVENT\"><C:comp-filter name=\"VALARM\"><C:time-range start=\"20270101T000000Z\" end=\"20280101T000000Z\"/></C:comp-filter></C:comp-filter>$tail"
  "$head<C:comp-filter name=\"VTODO\"><C:prop-filter name=\"DUE\"><C:time-range end=\"20270601T000000Z\"/></C:prop-filter></C:comp-filter>$tail"
)
for query in "${queries[@]}"; do
    for f in "$fixtures"/ics/*.ics; do
        { printf '%s' "$query"; printf '\0'; cat "$f"; } | add query_filter
    done
done

for q in "" "commune=arue" "categorie=loto&du=2027-01-01&au=2027-03-31" \
    "category=sport&category=fete&from=2026-12-01&to=2027-12-01" \
    "organisateur=asso-001&organiser=asso-002" "du=2027-02-30" "commune=ar%C3%BCe&x=1" \
    "from=0001-01-01&to=9999-12-31" "%FF%FE=%00"; do
    printf '%s' "$q" | add feed_query
done

for p in /dav /dav/ /dav/principals/asso-001/ /dav/calendars/asso-001/ \
    /dav/calendars/asso-001/main/ /dav/calendars/asso-001/main/f%C3%AAte.ics \
    /dav/intercommunal/ /dav/intercommunal/42.ics /dav/calendars/asso-001/intercommunal/7.ics \
    /dav/calendars/a/../b/ /dav/calendars/a/%2e%2e/ /dav/calendars/a/b%2Fc/ "/dav/calendars/a//b/"; do
    printf '%s' "$p" | add dav_path
done
echo "corpora: $(for d in corpus/*; do printf '%s %s  ' "${d#corpus/}" "$(ls "$d" | wc -l)"; done)"
