//! Matching an event's LOCATION to a venue of the registry: text is
//! compared without case, accents, punctuation or little words, so "salle
//! des fêtes d'Arue" and "Salle des Fetes, Arue" are the same place. A venue
//! matches when all the words of its name (with its commune) or of one of
//! its aliases are in the location; the most specific match wins.

use crate::config::Config;
use crate::text::normalize;

/// Little words that do not tell places apart.
const STOP_WORDS: &[&str] = &[
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "sur",
];

fn words(text: &str) -> Vec<String> {
    normalize(text)
        .split(' ')
        .filter(|w| !w.is_empty() && !STOP_WORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

pub struct VenueIndex {
    /// (venue slug, words that identify it).
    keys: Vec<(String, Vec<String>)>,
}

impl VenueIndex {
    pub fn new(config: &Config) -> VenueIndex {
        let mut keys = Vec::new();
        for venue in &config.venues {
            let commune = config
                .commune(&venue.commune)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| venue.commune.clone());
            keys.push((
                venue.slug.clone(),
                words(&format!("{} {commune}", venue.name)),
            ));
            for alias in &venue.aliases {
                keys.push((venue.slug.clone(), words(alias)));
            }
        }
        keys.retain(|(_, w)| !w.is_empty());
        VenueIndex { keys }
    }

    /// The venue slug a location designates, if any.
    pub fn find(&self, location: &str) -> Option<&str> {
        let found = words(location);
        self.keys
            .iter()
            .filter(|(_, key)| key.iter().all(|w| found.contains(w)))
            .max_by_key(|(_, key)| key.len())
            .map(|(slug, _)| slug.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Named, Venue};

    fn config() -> Config {
        let venue = |slug: &str, name: &str, commune: &str, aliases: &[&str]| Venue {
            slug: slug.into(),
            name: name.into(),
            commune: commune.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            capacity: None,
            closed: Vec::new(),
        };
        let commune = |slug: &str, name: &str| Named {
            slug: slug.into(),
            name: name.into(),
        };
        Config {
            communes: vec![
                commune("arue", "Arue"),
                commune("bourriot", "Bourriot-Bergonce"),
            ],
            venues: vec![
                venue("sdf-arue", "Salle des fêtes", "arue", &["SDF Arue"]),
                venue("sdf-bourriot", "Salle des fêtes", "bourriot", &[]),
                venue("stade-arue", "Stade municipal", "arue", &[]),
            ],
            ..Config::default()
        }
    }

    #[test]
    fn spellings_of_one_place_match() {
        let index = VenueIndex::new(&config());
        assert_eq!(index.find("salle des fêtes d'Arue"), Some("sdf-arue"));
        assert_eq!(index.find("Salle des Fetes, Arue"), Some("sdf-arue"));
        assert_eq!(index.find("SDF arue (grande salle)"), Some("sdf-arue"));
        assert_eq!(
            index.find("Salle des fêtes, 40190 Bourriot-Bergonce"),
            Some("sdf-bourriot")
        );
        assert_eq!(index.find("Salle des fêtes"), None, "no commune: ambiguous");
        assert_eq!(index.find("Chez Paulette"), None);
    }
}
