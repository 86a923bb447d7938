//! A calendar object as a PUT brings it: decoded, parsed, validated, its
//! index extracted and its recurrences expanded (`ical::parse_object`),
//! expanded again over a later window as a query past the horizon does,
//! and read back as the outputs read it (content-line tree, public
//! stripping, calendar-data).
#![no_main]

use concord::ical;
use concord::query::{public, retrieve, tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ical::Limits::default();
    let tz = chrono_tz::Europe::Paris;
    let _ = ical::parse_object(data, tz, &limits);
    // 2027-01-01 .. 2032-01-01 UTC.
    let _ = ical::expand_between(data, tz, 1_798_761_600, 1_956_528_000, &limits);
    let _ = tree::parse(data).to_text();
    let _ = public::public_body(data);
    let _ = retrieve::whole(data);
});
