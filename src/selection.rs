//! What residents ask of the public events, for every output alike (the
//! agenda and its text version, the widget, the services page, the ICS,
//! RSS and JSON feeds): communes, categories, organisers and free text.
//!
//! Filters are read under the one vocabulary of `params::canonical_name`
//! (plus `q`, the free text); a value that names nothing gets the French
//! 400 listing the valid ones. They are applied to the public selection
//! the store makes (`views::public_occurrences`, `views::feed_items`),
//! never to anything wider, so that they can only narrow what the public
//! may see.

use crate::categories::CategoryMatcher;
use crate::config::Config;
use crate::places::{Places, Resolver};
use crate::store::accounts::PublicOrganiser;
use crate::store::views::{self, FeedItem, Occurrence, OrganiserCard};
use crate::store::{search, Result};
use rusqlite::Connection;
use std::collections::HashSet;
use std::sync::Arc;

/// The free-text parameter's name, in every output.
pub const TEXT: &str = "q";

/// Longest free text taken, in characters (`search` keeps a few words of
/// it anyway).
const MAX_TEXT: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Commune slugs; empty: all.
    pub communes: Vec<String>,
    /// Category slugs; empty: all.
    pub categories: Vec<String>,
    /// Organisers' logins; empty: all.
    pub organisers: Vec<String>,
    /// Free text as typed (trimmed, shortened), searched with
    /// `store::search`; `None`: no search.
    pub text: Option<String>,
}

impl Filters {
    /// Takes the parameter `name` (as it came) if it is one of the
    /// filters; `Ok(false)` for any other parameter, left to the caller.
    pub fn take(
        &mut self,
        config: &Config,
        name: &str,
        value: String,
    ) -> std::result::Result<bool, String> {
        if name == TEXT {
            let text: String = value.trim().chars().take(MAX_TEXT).collect();
            self.text = (!text.is_empty()).then_some(text);
            return Ok(true);
        }
        let Some(canonical) = crate::params::canonical_name(name) else {
            return Ok(false);
        };
        if value.is_empty() && matches!(canonical, "commune" | "categorie" | "organisateur") {
            // An empty choice of a form's list: "all".
            return Ok(true);
        }
        match canonical {
            "commune" => {
                if config.commune(&value).is_none() {
                    return Err(crate::params::unknown_value(
                        "une commune",
                        &value,
                        config.communes.iter().map(|c| c.slug.as_str()),
                    ));
                }
                push_unique(&mut self.communes, value);
            }
            "categorie" => {
                if config.category(&value).is_none() {
                    return Err(crate::params::unknown_value(
                        "une catégorie",
                        &value,
                        config.categories.iter().map(|c| c.slug.as_str()),
                    ));
                }
                push_unique(&mut self.categories, value);
            }
            // Checked against the publishing organisers by `check_organisers`.
            "organisateur" => push_unique(&mut self.organisers, value),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Refuses an organiser that does not publish, listing those that do.
    pub fn check_organisers(
        &self,
        publishing: &[PublicOrganiser],
    ) -> std::result::Result<(), String> {
        for login in &self.organisers {
            if !publishing.iter().any(|p| &p.login == login) {
                return Err(crate::params::unknown_value(
                    "un organisateur",
                    login,
                    publishing.iter().map(|p| p.login.as_str()),
                ));
            }
        }
        Ok(())
    }

    /// Sorted lists, so that equivalent requests compare equal.
    pub fn sort(&mut self) {
        self.communes.sort();
        self.categories.sort();
        self.organisers.sort();
    }

    /// A stable text naming these filters (cache keys). Debug quotes each
    /// value, so that no value can pass for two.
    pub fn key(&self) -> String {
        format!(
            "c={:?};k={:?};o={:?};q={:?}",
            self.communes,
            self.categories,
            self.organisers,
            self.text.as_deref().and_then(search::fts_query)
        )
    }

    /// The filters as query-string pairs under their French names, for
    /// links that keep them.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = Vec::new();
        pairs.extend(self.communes.iter().map(|v| ("commune", v.as_str())));
        pairs.extend(self.categories.iter().map(|v| ("categorie", v.as_str())));
        pairs.extend(self.organisers.iter().map(|v| ("organisateur", v.as_str())));
        if let Some(text) = &self.text {
            pairs.push((TEXT, text.as_str()));
        }
        pairs
    }

    pub fn is_empty(&self) -> bool {
        self.communes.is_empty()
            && self.categories.is_empty()
            && self.organisers.is_empty()
            && self.text.is_none()
    }
}

fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// A query string from pairs, each value percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| {
            let value = percent_encoding::utf8_percent_encode(value, QUERY_VALUE);
            format!("{name}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// What a query-string value keeps as it is: the unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Applies filters to events of the public selection, in one read: the
/// search runs once, places and categories are resolved once per text.
pub struct Sieve<'a> {
    filters: &'a Filters,
    resolver: Resolver<'a>,
    matcher: CategoryMatcher,
    /// The objects the free text finds; `None`: no search.
    found: Option<HashSet<i64>>,
}

impl<'a> Sieve<'a> {
    /// Runs the search (on `conn`, in the caller's read).
    pub fn new(
        conn: &Connection,
        config: &Config,
        places: &'a Places,
        filters: &'a Filters,
    ) -> Result<Sieve<'a>> {
        let found = match &filters.text {
            Some(text) => search::matching(conn, text)?,
            None => None,
        };
        Ok(Sieve {
            filters,
            resolver: places.resolver(),
            matcher: CategoryMatcher::new(config),
            found,
        })
    }

    /// Whether an event passes every filter. `first` is the organiser of
    /// its shown copy (whose home commune and default categories count),
    /// `organisers` all of them.
    fn keeps(
        &mut self,
        object_id: i64,
        location: Option<&str>,
        categories: &str,
        summary: &str,
        organisers: &[Arc<OrganiserCard>],
    ) -> bool {
        let filters = self.filters;
        let Some(first) = organisers.first() else {
            return false;
        };
        if self
            .found
            .as_ref()
            .is_some_and(|found| !found.contains(&object_id))
        {
            return false;
        }
        if !filters.organisers.is_empty()
            && !organisers
                .iter()
                .any(|o| filters.organisers.contains(&o.login))
        {
            return false;
        }
        if !filters.communes.is_empty() {
            let commune = self.resolver.commune(location, &first.commune);
            if !filters.communes.iter().any(|c| c == commune) {
                return false;
            }
        }
        if !filters.categories.is_empty() {
            let slugs = self.matcher.slugs(categories, &first.categories, summary);
            if !filters.categories.iter().any(|c| slugs.contains(c)) {
                return false;
            }
        }
        true
    }

    pub fn keeps_occurrence(&mut self, occurrence: &Occurrence) -> bool {
        self.keeps(
            occurrence.object_id,
            occurrence.location.as_deref(),
            &occurrence.categories,
            occurrence.summary.as_deref().unwrap_or(""),
            occurrence.organisers(),
        )
    }

    pub fn keeps_item(&mut self, item: &FeedItem) -> bool {
        self.keeps(
            item.id,
            item.location.as_deref(),
            &item.categories,
            &item.summary,
            &item.organisers,
        )
    }

    /// The commune (slug) where an event happens, as the filter reads it.
    pub fn commune<'s>(
        &'s mut self,
        location: Option<&str>,
        organiser: &'s OrganiserCard,
    ) -> &'s str {
        self.resolver.commune(location, &organiser.commune)
    }

    /// The categories (slugs) an event is filed under, as the filter
    /// reads them.
    pub fn categories(&self, occurrence: &Occurrence) -> HashSet<String> {
        self.matcher.slugs(
            &occurrence.categories,
            &occurrence.organiser.categories,
            occurrence.summary.as_deref().unwrap_or(""),
        )
    }
}

/// The public occurrences overlapping [from, to) (UTC seconds) that
/// `filters` keep, in start order: what the agenda, the widget, the RSS and
/// JSON feeds and the services page show.
pub fn occurrences(
    conn: &Connection,
    config: &Config,
    filters: &Filters,
    from: i64,
    to: i64,
) -> Result<Vec<Occurrence>> {
    let places = Places::new(config);
    let mut sieve = Sieve::new(conn, config, &places, filters)?;
    let mut all = views::public_occurrences(conn, from, to)?;
    all.retain(|o| sieve.keeps_occurrence(o));
    Ok(all)
}
