//! Application state shared by every request.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::ical;
use crate::store::Store;

pub struct App {
    pub config: Config,
    pub store: Store,
    pub auth: Authenticator,
    /// The default time zone for floating times and all-day events.
    pub timezone: chrono_tz::Tz,
    pub feeds: crate::feeds::FeedCache,
    pub conflict_calendars: crate::conflicts::calendar::State,
    pub dav_cache: crate::dav::cache::DavCache,
    pub form_limits: crate::web::FormLimits,
    /// Subscriptions being fetched, and the polling loop's wake-up.
    pub imports: crate::import::Imports,
}

impl App {
    pub fn new(config: Config, store: Store) -> App {
        let timezone = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
        let auth = Authenticator::new(store.clone(), config.auth.clone());
        let budget = crate::store::cache::Budget::new(config.cache.max_mb.saturating_mul(1 << 20));
        let feeds = crate::feeds::FeedCache::new(
            config.feeds.cache_mib.saturating_mul(1 << 20),
            budget.clone(),
        );
        App {
            config,
            store,
            auth,
            timezone,
            feeds,
            conflict_calendars: Default::default(),
            dav_cache: crate::dav::cache::DavCache::new(budget),
            form_limits: Default::default(),
            imports: Default::default(),
        }
    }

    pub fn ical_limits(&self) -> ical::Limits {
        ical_limits(&self.config)
    }
}

/// The limits every calendar object is held to (PUT, imported feeds).
pub fn ical_limits(config: &Config) -> ical::Limits {
    let limits = &config.limits;
    ical::Limits {
        max_bytes: limits.max_resource_size,
        max_instances: limits.max_instances,
        horizon_years: limits.horizon_years,
        ..ical::Limits::default()
    }
}
