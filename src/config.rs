//! Server settings: every field has a default, so a missing or partial
//! `config.toml` is valid. `config.example.toml` documents each one.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Folder holding the SQLite database (`concord.db`).
    pub data_dir: PathBuf,
    /// Public base URL, used in links shown to people (feeds, pages).
    pub base_url: String,
    /// Time zone for floating times and all-day events of new calendars.
    pub default_timezone: String,
    /// Database file; `data_dir/concord.db` when not set.
    pub db_file: Option<PathBuf>,
    pub server: ServerSettings,
    pub limits: Limits,
    pub auth: AuthSettings,
    pub feeds: FeedSettings,
    pub cache: CacheSettings,
    /// The territory's communes, for organisers' home commune and filters.
    pub communes: Vec<Named>,
    /// Event categories, for organisers and filters.
    pub categories: Vec<Category>,
    /// Venues, for conflict detection.
    pub venues: Vec<Venue>,
    /// Conflict rules; the four default rules apply when none is given.
    pub conflict_rules: Vec<ConflictRule>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    pub slug: String,
    pub name: String,
    /// Commune slug.
    pub commune: String,
    /// Other ways people write this venue in LOCATION.
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Periods when the venue cannot be used (dates inclusive).
    #[serde(default)]
    pub closed: Vec<ClosedPeriod>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosedPeriod {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Same venue, overlapping times, different organisers.
    SameVenue,
    /// Same commune, same day, both in large-public-event categories.
    SameCommuneLargeEvents,
    /// Same territory-wide category, overlapping, anywhere.
    SameCategoryTerritory,
    /// An event at a venue during one of its closed periods.
    VenueClosed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Hard,
}

impl Severity {
    /// As written in config.toml and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Hard => "hard",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictRule {
    pub name: String,
    pub kind: RuleKind,
    pub severity: Severity,
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// Public events marked free (TRANSP:TRANSPARENT, iOS's default for
    /// all-day events) take part in the rule unless this is set; private
    /// ones never do.
    #[serde(default)]
    pub ignore_transparent: bool,
}

fn enabled() -> bool {
    true
}

impl Config {
    /// The configured rules, or the four defaults.
    pub fn rules(&self) -> Vec<ConflictRule> {
        if !self.conflict_rules.is_empty() {
            return self.conflict_rules.clone();
        }
        let rule = |name: &str, kind, severity| ConflictRule {
            name: name.into(),
            kind,
            severity,
            enabled: true,
            ignore_transparent: false,
        };
        vec![
            rule("meme-lieu", RuleKind::SameVenue, Severity::Hard),
            rule(
                "grands-evenements-meme-commune",
                RuleKind::SameCommuneLargeEvents,
                Severity::Warning,
            ),
            rule(
                "categorie-territoriale",
                RuleKind::SameCategoryTerritory,
                Severity::Warning,
            ),
            rule("lieu-ferme", RuleKind::VenueClosed, Severity::Hard),
        ]
    }
}

/// An entry of a fixed list: a stable slug used in URLs and a display name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Named {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub slug: String,
    pub name: String,
    /// A large public event (fête, loto...): same commune, same day clashes.
    #[serde(default)]
    pub large_public_event: bool,
    /// Clashes anywhere in the territory when overlapping.
    #[serde(default)]
    pub territory_wide: bool,
    /// Other spellings found in CATEGORIES (matched case- and accent-blind).
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedSettings {
    /// Name of the whole territory's feed and calendar.
    pub territory_name: String,
    /// How often subscribers should refresh, in minutes.
    pub refresh_minutes: u32,
    /// Default window: months back and months ahead of today.
    pub months_back: u32,
    pub months_ahead: u32,
    /// Longest window a feed may span (`to` at most this many years after
    /// `from`): a render costs in proportion to its window.
    pub max_window_years: u32,
    /// Memory for rendered feeds (bodies and their gzip copies), in MiB;
    /// past it, the least recently used feeds are forgotten. Within
    /// `[cache] max_mb`, which all caches share.
    pub cache_mib: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            territory_name: "Agenda intercommunal".into(),
            refresh_minutes: 60,
            months_back: 1,
            months_ahead: 12,
            max_window_years: 3,
            cache_mib: 64,
        }
    }
}

/// Memory for concord's own caches, together.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheSettings {
    /// MiB for every cache together (rendered feeds, resolved paths,
    /// calendar objects served by GET and multiget). Past it, caches make
    /// room by forgetting entries; answers are then made afresh.
    pub max_mb: usize,
}

impl Default for CacheSettings {
    fn default() -> Self {
        CacheSettings { max_mb: 32 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest iCalendar object accepted by PUT (octets); advertised as
    /// `CALDAV:max-resource-size`.
    pub max_resource_size: usize,
    /// Largest XML request body (octets).
    pub max_xml_body: usize,
    /// Deepest element nesting accepted in an XML body.
    pub max_xml_depth: usize,
    /// Most elements accepted in an XML body.
    pub max_xml_elements: usize,
    /// Most instances one recurring object may produce within the horizon.
    pub max_instances: usize,
    /// How many years ahead infinite series are materialised in the index.
    pub horizon_years: i32,
}

/// What one client may hold: connections, time, memory. concord faces the
/// open internet, so none of these is unbounded.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Seconds a client has to send a request's head (line and headers),
    /// counted from its first byte, or from the connection's opening for
    /// the first request.
    pub header_timeout_seconds: u64,
    /// Seconds a kept-alive connection may stay idle between requests (and
    /// a response may wait for the client to read it).
    pub idle_timeout_seconds: u64,
    /// Seconds any request body may take, plus its length at
    /// `min_body_bytes_per_second`.
    pub body_timeout_seconds: u64,
    pub min_body_bytes_per_second: u64,
    /// Memory for request bodies being read and handled, in MiB; past it,
    /// requests with a body are answered 503.
    pub body_memory_mib: usize,
    /// Open connections, in all and from one address (an IPv6 /64 counts
    /// as one address); lowered at start to what the descriptor limit allows.
    pub max_connections: usize,
    pub max_connections_per_address: usize,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            header_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            body_timeout_seconds: 10,
            min_body_bytes_per_second: 8 * 1024,
            body_memory_mib: 64,
            max_connections: 1000,
            max_connections_per_address: 64,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Seconds a verified password stays cached (argon2 is slow on purpose).
    pub cache_seconds: u64,
    /// Attempts without success from one address before its attempts need
    /// the shared budget below and its failures are answered slowly.
    pub failures_before_delay: u32,
    /// Failed password verifications per minute, for all clients together:
    /// an address past `failures_before_delay` is verified only while this
    /// budget lasts (else 429 without verifying), so that argon2 time goes
    /// to clients that know their password.
    pub failed_verifications_per_minute: u32,
    /// Argon2 memory cost in KiB (19456 is OWASP's minimum for argon2id).
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 5232)),
            data_dir: PathBuf::from("data"),
            base_url: "http://127.0.0.1:5232".into(),
            default_timezone: "Europe/Paris".into(),
            db_file: None,
            server: ServerSettings::default(),
            limits: Limits::default(),
            auth: AuthSettings::default(),
            feeds: FeedSettings::default(),
            cache: CacheSettings::default(),
            communes: Vec::new(),
            categories: Vec::new(),
            venues: Vec::new(),
            conflict_rules: Vec::new(),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_resource_size: 1024 * 1024,
            max_xml_body: 256 * 1024,
            max_xml_depth: 32,
            max_xml_elements: 10_000,
            max_instances: 5_000,
            horizon_years: 5,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            cache_seconds: 3600,
            failures_before_delay: 5,
            failed_verifications_per_minute: 120,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let config: Config =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        let slugs = self
            .communes
            .iter()
            .map(|c| &c.slug)
            .chain(self.categories.iter().map(|c| &c.slug))
            .chain(self.venues.iter().map(|v| &v.slug));
        for slug in slugs {
            if slug.is_empty()
                || !slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(format!(
                    "slug {slug:?}: use lower-case letters, digits and '-'"
                ));
            }
        }
        let feeds = &self.feeds;
        if !(1..=100).contains(&feeds.max_window_years)
            || feeds.months_back.saturating_add(feeds.months_ahead) > 12 * feeds.max_window_years
        {
            return Err(format!(
                "[feeds] max_window_years = {}: use 1 to 100 years, enough for the default window ({} months back and {} ahead)",
                feeds.max_window_years, feeds.months_back, feeds.months_ahead
            ));
        }
        let server = &self.server;
        if server.header_timeout_seconds == 0
            || server.idle_timeout_seconds == 0
            || server.body_timeout_seconds == 0
            || server.min_body_bytes_per_second == 0
            || server.body_memory_mib == 0
            || server.max_connections == 0
            || server.max_connections_per_address == 0
        {
            return Err("[server]: every timeout, rate and limit must be at least 1".into());
        }
        if self.auth.failed_verifications_per_minute == 0 {
            return Err("[auth] failed_verifications_per_minute must be at least 1".into());
        }
        if self.timezone().is_none() {
            return Err(format!(
                "default_timezone {:?} is not an IANA time zone",
                self.default_timezone
            ));
        }
        Ok(())
    }

    pub fn timezone(&self) -> Option<chrono_tz::Tz> {
        self.default_timezone.parse().ok()
    }

    pub fn commune(&self, slug: &str) -> Option<&Named> {
        self.communes.iter().find(|c| c.slug == slug)
    }

    pub fn category(&self, slug: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    pub fn db_path(&self) -> PathBuf {
        self.db_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("concord.db"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_documents_valid_settings() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let config = Config::load(&path).unwrap();
        assert_eq!(config.rules().len(), 4);
        assert!(config.category("loto").unwrap().large_public_event);
        assert_eq!(config.venues[0].closed.len(), 1);
    }
}
