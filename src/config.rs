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
    pub web: WebSettings,
    pub moderation: ModerationSettings,
    pub agenda: AgendaSettings,
    /// Outgoing e-mail (activation links, staff notices); none when absent.
    pub mail: Option<MailSettings>,
    pub appointments: AppointmentSettings,
    pub log: LogSettings,
    pub import: ImportSettings,
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

/// The server's log, on its standard error. What it logs is chosen with
/// `RUST_LOG` (default `info`: one line per request, warnings, errors).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, its fields at the top level.
    Json,
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

/// The web pages of organisers and staff.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSettings {
    /// Largest form a page may send, in bytes.
    pub max_form_bytes: usize,
    /// Largest file upload (`.ics` import), in bytes.
    pub max_upload_bytes: usize,
}

/// Whether organisers' public events need staff approval.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationSettings {
    /// The policy of organisers staff have not given one: `trusted` (their
    /// public events are public at once) or `reviewed` (new and changed
    /// public events wait for staff approval).
    pub default_policy: crate::store::moderation::Policy,
}

impl Default for ModerationSettings {
    fn default() -> Self {
        ModerationSettings {
            default_policy: crate::store::moderation::Policy::Trusted,
        }
    }
}

/// Appointments at the permanences (`/rendez-vous`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppointmentSettings {
    /// Days after an appointment before its booking loses the resident's
    /// name, contact and note (anonymous counts stay for the indicators).
    pub retention_days: u32,
}

impl Default for AppointmentSettings {
    fn default() -> Self {
        AppointmentSettings {
            retention_days: 365,
        }
    }
}

/// The quarterly printed agenda.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgendaSettings {
    /// The print deadline of a quarter's agenda, in weeks before the
    /// quarter starts (indicators tell how many of its events were known
    /// by then).
    pub deadline_weeks: u32,
}

impl Default for AgendaSettings {
    fn default() -> Self {
        AgendaSettings { deadline_weeks: 6 }
    }
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            max_form_bytes: 64 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
        }
    }
}

/// How concord reaches its SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the
    /// server does not offer it.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on this machine (and tests).
    None,
}

/// `[mail]`: the SMTP server that sends activation links and notices.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub host: String,
    #[serde(default = "submission_port")]
    pub port: u16,
    #[serde(default = "starttls")]
    pub security: MailSecurity,
    /// Credentials for the server, when it asks for them.
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    /// The sender: `Agenda intercommunal <agenda@cdc.example.fr>`.
    pub from: String,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Where new registrations are announced (the staff's address).
    #[serde(default)]
    pub staff_to: Option<String>,
}

fn submission_port() -> u16 {
    587
}

fn starttls() -> MailSecurity {
    MailSecurity::Starttls
}

impl MailSettings {
    /// Plain SMTP carries passwords and links in clear: only to a relay
    /// on this machine.
    fn check(&self) -> Result<(), String> {
        if self.host.trim().is_empty() {
            return Err("[mail] host must name the SMTP server".into());
        }
        let local = self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if self.security == MailSecurity::None && !local {
            return Err(format!(
                "[mail] security = \"none\" sends links in clear: it is allowed only for a relay on this machine (localhost, 127.0.0.1, ::1), not {:?}; use \"starttls\" or \"tls\"",
                self.host
            ));
        }
        if self.user.is_some() != self.password.is_some() {
            return Err("[mail] user and password go together".into());
        }
        let addresses = [
            Some(&self.from),
            self.reply_to.as_ref(),
            self.staff_to.as_ref(),
        ];
        for address in addresses.into_iter().flatten() {
            if address.parse::<lettre::message::Mailbox>().is_err() {
                return Err(format!("[mail] {address:?} is not an e-mail address"));
            }
        }
        Ok(())
    }
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

/// Subscriptions of organisers' calendars to external ICS feeds
/// (`src/import`): how the server fetches them and how often.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    /// Whether the server polls the subscriptions (`concord import run`
    /// works either way).
    pub enabled: bool,
    /// Allows feeds on loopback, private, link-local and other
    /// non-public addresses (refused by default: a URL must not make the
    /// server reach into its own network).
    pub allow_private: bool,
    /// Host names or address literals exempted from that check, for one
    /// known intranet server rather than every private address.
    pub allow_hosts: Vec<String>,
    /// Largest feed, in octets after decompression; a longer one is cut
    /// there and refused, and the mirror is kept.
    pub max_bytes: usize,
    /// Seconds a whole fetch (every redirect, the body) may take.
    pub timeout_seconds: u64,
    /// Polling interval of a subscription that sets none and whose feed
    /// asks for none (REFRESH-INTERVAL, X-PUBLISHED-TTL), in minutes.
    pub default_interval_minutes: u32,
    /// Bounds of every interval, the feed's and the subscription's.
    pub min_interval_minutes: u32,
    pub max_interval_minutes: u32,
    /// Feeds fetched at the same time, at most.
    pub concurrent_fetches: usize,
    /// The User-Agent header; empty: `concord/VERSION (+base_url)`.
    pub user_agent: String,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            enabled: true,
            allow_private: false,
            allow_hosts: Vec::new(),
            max_bytes: 10 * 1024 * 1024,
            timeout_seconds: 30,
            default_interval_minutes: 60,
            min_interval_minutes: 15,
            max_interval_minutes: 24 * 60,
            concurrent_fetches: 4,
            user_agent: String::new(),
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
    /// Reverse proxies in front of the server (their addresses as it sees
    /// them, e.g. 127.0.0.1): a request they pass names its client in
    /// `X-Forwarded-For`, which is believed from them only, and their
    /// connections are not capped per address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
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
            trusted_proxies: Vec::new(),
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
            web: WebSettings::default(),
            moderation: ModerationSettings::default(),
            agenda: AgendaSettings::default(),
            mail: None,
            appointments: AppointmentSettings::default(),
            log: LogSettings::default(),
            import: ImportSettings::default(),
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
        if !(1..=52).contains(&self.agenda.deadline_weeks) {
            return Err("[agenda] deadline_weeks: use 1 to 52 weeks".into());
        }
        let import = &self.import;
        if import.min_interval_minutes == 0
            || import.min_interval_minutes > import.default_interval_minutes
            || import.default_interval_minutes > import.max_interval_minutes
        {
            return Err(format!(
                "[import]: intervals must satisfy 1 <= min_interval_minutes ({}) <= default_interval_minutes ({}) <= max_interval_minutes ({})",
                import.min_interval_minutes, import.default_interval_minutes, import.max_interval_minutes
            ));
        }
        if import.max_bytes == 0 || import.timeout_seconds == 0 || import.concurrent_fetches == 0 {
            return Err(
                "[import] max_bytes, timeout_seconds and concurrent_fetches must be at least 1"
                    .into(),
            );
        }
        if self.auth.failed_verifications_per_minute == 0 {
            return Err("[auth] failed_verifications_per_minute must be at least 1".into());
        }
        if let Some(mail) = &self.mail {
            mail.check()?;
        }
        if self.timezone().is_none() {
            return Err(format!(
                "default_timezone {:?} is not an IANA time zone",
                self.default_timezone
            ));
        }
        Ok(())
    }

    /// The parts of `base_url` that clients and messages are given.
    pub fn site(&self) -> Site {
        let base = self.base_url.trim_end_matches('/');
        let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
        let https = scheme.eq_ignore_ascii_case("https");
        let authority = rest.split('/').next().unwrap_or(rest);
        let default = if https { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => match port.parse() {
                Ok(port) => (host, port),
                Err(_) => (authority, default),
            },
            _ => (authority, default),
        };
        Site {
            origin: format!("{scheme}://{authority}"),
            host: host.to_owned(),
            port,
            https,
        }
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

    /// The User-Agent of feed requests.
    pub fn import_user_agent(&self) -> String {
        if self.import.user_agent.is_empty() {
            format!(
                "concord/{} (+{})",
                env!("CARGO_PKG_VERSION"),
                self.base_url.trim_end_matches('/')
            )
        } else {
            self.import.user_agent.clone()
        }
    }

    /// A venue as people name it: "Salle des fêtes, Arue" (a LOCATION
    /// that designates it, see `crate::places`).
    pub fn venue_label(&self, venue: &Venue) -> String {
        let commune = self
            .commune(&venue.commune)
            .map(|c| c.name.as_str())
            .unwrap_or(&venue.commune);
        format!("{}, {commune}", venue.name)
    }

    pub fn db_path(&self) -> PathBuf {
        self.db_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("concord.db"))
    }
}

/// Where the site is, from `base_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// `https://agenda.example.fr` (no trailing slash, no path).
    pub origin: String,
    /// As written in the URL (an IPv6 address in brackets).
    pub host: String,
    pub port: u16,
    pub https: bool,
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// `host`, or `host:port` when the port is not the scheme's own.
    pub fn server(&self) -> String {
        match (self.https, self.port) {
            (true, 443) | (false, 80) => self.host.clone(),
            (_, port) => format!("{}:{port}", self.host),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_read_from_the_base_url() {
        let mut config = Config::default();
        let cases = [
            (
                "https://agenda.example.fr/",
                "agenda.example.fr",
                443,
                true,
                "agenda.example.fr",
            ),
            (
                "http://127.0.0.1:5232",
                "127.0.0.1",
                5232,
                false,
                "127.0.0.1:5232",
            ),
            (
                "https://agenda.example.fr:8443/x",
                "agenda.example.fr",
                8443,
                true,
                "agenda.example.fr:8443",
            ),
            ("http://[::1]:5232", "[::1]", 5232, false, "[::1]:5232"),
            ("http://[::1]", "[::1]", 80, false, "[::1]"),
        ];
        for (base, host, port, https, server) in cases {
            config.base_url = base.into();
            let site = config.site();
            assert_eq!(
                (site.host.as_str(), site.port, site.https),
                (host, port, https),
                "{base}"
            );
            assert_eq!(site.server(), server);
        }
    }

    #[test]
    fn the_example_documents_valid_settings() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
        let config = Config::load(&path).unwrap();
        assert_eq!(config.rules().len(), 4);
        assert!(config.category("loto").unwrap().large_public_event);
        assert_eq!(config.venues[0].closed.len(), 1);
        assert_eq!(config.import.max_bytes, 10 * 1024 * 1024);
        assert!(!config.import.allow_private);
    }
}
