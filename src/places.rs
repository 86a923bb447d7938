//! Where an event happens, the one rule every public output and the
//! conflict rules follow: the commune of the venue its LOCATION designates,
//! else a commune its LOCATION names (whole words, case and accents
//! ignored, by name or slug), else its organiser's home commune.
//!
//! `Places` is built from the configuration once per computation (a page,
//! a feed render, a conflict report); `Resolver` adds a cache per distinct
//! LOCATION string, so that a year of occurrences normalises each place's
//! text once.

use crate::config::Config;
use crate::conflicts::venues::VenueIndex;
use crate::store::venues::{DeskAlias, DeskVenue};
use crate::text::normalize;
use std::collections::HashMap;
use std::sync::Arc;

/// The territory as every place rule reads it: config.toml with the
/// venues and aliases staff added from the desk (stored in the database).
/// config.toml stays the base: a desk venue never replaces one of its
/// venues, and an alias of an unknown venue is left out.
pub fn territory(config: &Config, venues: &[DeskVenue], aliases: &[DeskAlias]) -> Config {
    let mut merged = config.clone();
    for venue in venues {
        if !merged.venues.iter().any(|v| v.slug == venue.slug) {
            merged.venues.push(crate::config::Venue {
                slug: venue.slug.clone(),
                name: venue.name.clone(),
                commune: venue.commune.clone(),
                aliases: Vec::new(),
                capacity: None,
                closed: Vec::new(),
            });
        }
    }
    for alias in aliases {
        if let Some(venue) = merged
            .venues
            .iter_mut()
            .find(|v| v.slug == alias.venue_slug)
        {
            venue.aliases.push(alias.alias.clone());
        }
    }
    merged
}

/// [`territory`] read from a connection (the command-line tools).
pub fn territory_of(config: &Config, conn: &rusqlite::Connection) -> crate::store::Result<Config> {
    let (venues, aliases) = crate::store::venues::all(conn)?;
    Ok(territory(config, &venues, &aliases))
}

/// What a LOCATION says about the place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// The venue it designates (slug).
    pub venue: Option<Arc<str>>,
    /// The venue's commune, else the commune it names (slug).
    pub commune: Option<Arc<str>>,
}

pub struct Places {
    venues: VenueIndex,
    /// Venue slug to its commune slug.
    venue_communes: HashMap<String, Arc<str>>,
    /// Commune slug, and its name and slug normalised and framed by spaces
    /// (" saint savin "), for whole-word search.
    communes: Vec<(Arc<str>, Vec<String>)>,
}

impl Places {
    pub fn new(config: &Config) -> Places {
        let communes = config
            .communes
            .iter()
            .map(|c| {
                let mut keys: Vec<String> = [&c.name, &c.slug]
                    .iter()
                    .map(|n| normalize(n))
                    .filter(|n| !n.is_empty())
                    .map(|n| format!(" {n} "))
                    .collect();
                keys.dedup();
                (Arc::from(c.slug.as_str()), keys)
            })
            .collect();
        Places {
            venues: VenueIndex::new(config),
            venue_communes: config
                .venues
                .iter()
                .map(|v| (v.slug.clone(), Arc::from(v.commune.as_str())))
                .collect(),
            communes,
        }
    }

    /// What `location` says (uncached: see `Resolver`).
    pub fn locate(&self, location: &str) -> Located {
        if let Some(venue) = self.venues.find(location) {
            return Located {
                commune: self.venue_communes.get(venue).cloned(),
                venue: Some(Arc::from(venue)),
            };
        }
        Located {
            venue: None,
            commune: self.named_commune(location),
        }
    }

    /// The commune `location` names as whole words. When it names several
    /// ("Route de Cavignac, Marsas"), the one named last wins, as addresses
    /// end with the commune; at the same place, the longer name.
    fn named_commune(&self, location: &str) -> Option<Arc<str>> {
        if self.communes.is_empty() {
            return None;
        }
        let text = format!(" {} ", normalize(location));
        let mut best: Option<(usize, usize, &Arc<str>)> = None;
        for (slug, keys) in &self.communes {
            for key in keys {
                if let Some(at) = text.rfind(key.as_str()) {
                    let found = (at + key.len(), key.len(), slug);
                    if best.is_none_or(|b| (found.0, found.1) > (b.0, b.1)) {
                        best = Some(found);
                    }
                }
            }
        }
        best.map(|(_, _, slug)| slug.clone())
    }

    pub fn resolver(&self) -> Resolver<'_> {
        Resolver {
            places: self,
            known: HashMap::new(),
        }
    }
}

/// `Places` with a cache per distinct LOCATION string.
pub struct Resolver<'p> {
    places: &'p Places,
    known: HashMap<Box<str>, Located>,
}

impl Resolver<'_> {
    pub fn locate(&mut self, location: Option<&str>) -> &Located {
        static NOWHERE: Located = Located {
            venue: None,
            commune: None,
        };
        let Some(location) = location.filter(|l| !l.trim().is_empty()) else {
            return &NOWHERE;
        };
        if !self.known.contains_key(location) {
            let located = self.places.locate(location);
            self.known.insert(Box::from(location), located);
        }
        &self.known[location]
    }

    /// The commune (slug) where an event at `location` of an organiser
    /// living in `organiser_commune` happens; empty when nobody knows.
    pub fn commune<'a>(
        &'a mut self,
        location: Option<&str>,
        organiser_commune: &'a str,
    ) -> &'a str {
        match &self.locate(location).commune {
            Some(commune) => commune,
            None => organiser_commune,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Named, Venue};

    fn config() -> Config {
        let commune = |slug: &str, name: &str| Named {
            slug: slug.into(),
            name: name.into(),
        };
        Config {
            communes: vec![
                commune("cavignac", "Cavignac"),
                commune("saint-savin", "Saint-Savin"),
                commune("marsas", "Marsas"),
                commune("savin", "Savin"),
            ],
            venues: vec![Venue {
                slug: "sdf-marsas".into(),
                name: "Salle des fêtes".into(),
                commune: "marsas".into(),
                aliases: vec![],
                capacity: None,
                closed: vec![],
            }],
            ..Config::default()
        }
    }

    #[test]
    fn a_place_is_its_venue_else_the_commune_it_names() {
        let places = Places::new(&config());
        let commune = |l: &str| places.locate(l).commune.map(|c| c.to_string());
        assert_eq!(
            commune("Salle des fêtes de Marsas").as_deref(),
            Some("marsas")
        );
        assert_eq!(
            places.locate("Salle des fêtes de Marsas").venue.as_deref(),
            Some("sdf-marsas")
        );
        assert_eq!(commune("Mairie de CAVIGNAC").as_deref(), Some("cavignac"));
        assert_eq!(
            commune("Église, saint savin").as_deref(),
            Some("saint-savin")
        );
        assert_eq!(
            commune("Route de Cavignac, Marsas").as_deref(),
            Some("marsas")
        );
        assert_eq!(commune("Chez Cavignacais"), None, "whole words only");
        assert_eq!(commune("Chez Paulette"), None);
        let mut resolver = places.resolver();
        assert_eq!(resolver.commune(Some("Chez Paulette"), "savin"), "savin");
        assert_eq!(resolver.commune(None, "savin"), "savin");
        assert_eq!(
            resolver.commune(Some("Bourg, Cavignac"), "savin"),
            "cavignac"
        );
    }
}
