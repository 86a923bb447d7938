//! An XML request body (PROPFIND, PROPPATCH, MKCALENDAR, REPORT...) through
//! the parser with the server's limits, then, when it parses, through every
//! REPORT body reader (multiget, calendar-query and its filter,
//! free-busy-query, sync-collection). Errors are answers; a panic, a hang
//! or runaway memory is a finding.
#![no_main]

use concord::dav::{report, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = xml::XmlLimits {
        max_depth: 32,
        max_elements: 10_000,
    };
    if let Ok(root) = xml::parse(data, limits) {
        let _ = report::parse_request(&root);
    }
});
