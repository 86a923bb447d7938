//! A request path as hyper hands it over: the DAV path parser (percent
//! decoding, dot segments, encoded slashes) and the href reader used on
//! multiget hrefs.
#![no_main]

use concord::paths;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = paths::parse(path) {
        // What parses must encode back to a path that parses the same.
        if let paths::DavPath::Principal(login) = &parsed {
            let again = paths::parse(&paths::principal_href(login));
            assert_eq!(again.as_ref().ok(), Some(&parsed), "{path:?}");
        }
    }
    let _ = paths::href_path(path);
});
