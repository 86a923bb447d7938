//! Application state shared by every request.

use crate::auth::Authenticator;
use crate::config::Config;
use crate::ical;
use crate::store::Store;
use std::sync::Arc;

/// A conflict report with the store generation read before it and its
/// period (UTC bounds).
pub type CachedReport = (u64, (i64, i64), Arc<crate::conflicts::Report>);

pub struct App {
    pub config: Config,
    pub store: Store,
    pub auth: Authenticator,
    /// The default time zone for floating times and all-day events.
    pub timezone: chrono_tz::Tz,
    pub feeds: crate::feeds::FeedCache,
    pub conflict_calendars: crate::conflicts::calendar::State,
    pub dav_cache: crate::dav::cache::DavCache,
    /// `territory()`'s last answer and the store generation read before it.
    territory: std::sync::Mutex<Option<(u64, Arc<Config>)>>,
    /// Feed requests and subscribers of the day (indicators).
    pub feed_use: crate::feeds::usage::FeedUse,
    /// The desk home's counts, with the store generation (read before
    /// them) and the day they were counted for.
    pub desk_home: std::sync::Mutex<Option<(u64, chrono::NaiveDate, [usize; 5])>>,
    /// The desk conflicts page's last report (as staff see it), with the
    /// store generation read before it and its period: its pages and
    /// filters are read from it.
    pub desk_conflicts: std::sync::Mutex<Option<CachedReport>>,
    pub form_limits: crate::web::FormLimits,
    /// Subscriptions being fetched, and the polling loop's wake-up.
    pub imports: crate::import::Imports,
}

impl App {
    pub fn new(config: Config, store: Store) -> App {
        let timezone = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
        crate::store::moderation::set_default_policy(config.moderation.default_policy);
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
            territory: Default::default(),
            feed_use: Default::default(),
            desk_home: Default::default(),
            desk_conflicts: Default::default(),
        }
    }

    /// The territory as place rules read it: config.toml with the venues
    /// staff added from the desk (`places::territory`). Read again only
    /// when the store's generation moved since the last answer.
    pub async fn territory(&self) -> Result<Arc<Config>, crate::store::StoreError> {
        let generation = self.store.generation();
        if let Some((seen, territory)) = &*crate::locks::lock(&self.territory) {
            if *seen == generation {
                return Ok(territory.clone());
            }
        }
        let (venues, aliases) = self.store.read(crate::store::venues::all).await?;
        let territory = Arc::new(crate::places::territory(&self.config, &venues, &aliases));
        *crate::locks::lock(&self.territory) = Some((generation, territory.clone()));
        Ok(territory)
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
