//! Which configured categories an event belongs to: those its CATEGORIES
//! name (by slug, name or alias, compared loosely), or, when it names none
//! of them, its organiser's.

use crate::config::Config;
use crate::text::normalize;
use std::collections::{HashMap, HashSet};

pub struct CategoryMatcher {
    /// Normalised slug, name or alias to slug.
    names: HashMap<String, String>,
}

impl CategoryMatcher {
    pub fn new(config: &Config) -> CategoryMatcher {
        let mut names = HashMap::new();
        for category in &config.categories {
            for name in std::iter::once(&category.slug)
                .chain(std::iter::once(&category.name))
                .chain(&category.aliases)
            {
                names.insert(normalize(name), category.slug.clone());
            }
        }
        CategoryMatcher { names }
    }

    /// `event` is the event's CATEGORIES (comma-joined), `organiser` the
    /// organiser's category slugs (comma-joined).
    pub fn slugs(&self, event: &str, organiser: &str) -> HashSet<String> {
        let own: HashSet<String> = event
            .split(',')
            .filter_map(|c| self.names.get(&normalize(c)).cloned())
            .collect();
        if !own.is_empty() {
            return own;
        }
        organiser
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    }
}
