//! The query string of a feed or a public page (`params::pairs`, then the
//! feed's own reading of it with the example configuration's territory:
//! communes, categories, dates, window limits).
#![no_main]

use concord::config::Config;
use concord::feeds::request;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../config.example.toml");
        Config::load(std::path::Path::new(path)).expect("config.example.toml")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let _ = concord::params::pairs(query);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("a date");
    if let Ok(feed) = request::parse(query, config(), today) {
        let _ = feed.key("intercommunal");
        let _ = feed.window(chrono_tz::Europe::Paris);
    }
});
