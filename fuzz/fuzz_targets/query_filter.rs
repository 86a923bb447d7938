//! A calendar-query body and a calendar object, split at the first NUL
//! byte: the filter is parsed as the REPORT handler parses it, then
//! evaluated on the object's content as the server does for the parts the
//! index cannot answer (properties, parameters, text matches, alarms).
#![no_main]

use concord::dav::{report, xml};
use concord::ical;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(split) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let (query, object) = (&data[..split], &data[split + 1..]);
    let limits = xml::XmlLimits {
        max_depth: 32,
        max_elements: 10_000,
    };
    let Ok(root) = xml::parse(query, limits) else {
        return;
    };
    if let Ok(Some(filter)) = report::parse_request(&root) {
        let _ = report::filter_matches(object, &filter, &ical::Limits::default());
    }
});
