//! The event form's fields: read from a submitted form into an
//! `EventDraft`, with a French message per wrong field, and written back
//! from a draft to show a stored event.

use crate::compose::{Ends, EventDraft, Frequency, Repeat, When};
use crate::config::Config;
use crate::text::normalize;
use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::Deserialize;

/// The value of the category select that keeps an event's categories as
/// they are (when they are not one configured category).
pub const KEEP: &str = "__garder";

/// The form as sent (every field text, as typed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Fields {
    pub titre: String,
    pub date: String,
    pub heure_debut: String,
    pub heure_fin: String,
    pub date_fin: String,
    /// "oui" when the event lasts whole days.
    pub journee: String,
    pub lieu: String,
    pub categorie: String,
    pub description: String,
    pub lien: String,
    /// "publique" or "privee".
    pub visibilite: String,
    /// "aucune", "hebdomadaire" or "mensuelle".
    pub repetition: String,
    pub intervalle: String,
    /// Weekdays of a weekly repetition: "lundi"...
    pub jours: Vec<String>,
    /// "date", "rang" or "dernier".
    pub mensuel: String,
    /// "jamais", "date" or "nombre".
    pub fin: String,
    pub fin_date: String,
    pub fin_nombre: String,
    /// Dates left out, one a line.
    pub exceptions: String,
    /// The calendar of a new event (its path).
    pub calendrier: String,
    /// The ETag of the event as shown, for edits.
    pub etag: String,
    /// "verifier" or "enregistrer".
    pub action: String,
    /// A suggested date to move the event to (AAAA-MM-JJ).
    pub decaler: String,
}

/// A field's message, named by the field's id on the page.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

const DAY_NAMES: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];

pub const MAX_TITLE: usize = 200;
pub const MAX_LOCATION: usize = 300;
pub const MAX_DESCRIPTION: usize = 8000;
pub const MAX_URL: usize = 1000;

/// "2027-03-13" (what date fields send) or "13/03/2027" (typed by hand
/// where the browser shows a plain text field).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()?;
    (1900..=2200).contains(&date.year()).then_some(date)
}

/// "20:30" (what time fields send), "20h30", "20 h 30", "20h", "20".
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let compact: String = text
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (h, m) = match compact.split_once([':', 'h']) {
        Some((h, "")) => (h, "0"),
        Some((h, m)) => (h, m),
        None => (compact.as_str(), "0"),
    };
    NaiveTime::from_hms_opt(h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?, 0)
}

impl Fields {
    /// A new event's form: public, not repeated, in `calendar`.
    pub fn blank(calendar: &str) -> Fields {
        Fields {
            visibilite: "publique".into(),
            repetition: "aucune".into(),
            intervalle: "1".into(),
            mensuel: "date".into(),
            fin: "date".into(),
            calendrier: calendar.into(),
            ..Fields::default()
        }
    }

    /// The form showing `draft`; `category` is the select's value for its
    /// categories.
    pub fn of(draft: &EventDraft, config: &Config) -> Fields {
        let mut fields = Fields::blank("");
        fields.titre = draft.summary.clone();
        match draft.when {
            When::Timed { start, end } => {
                fields.date = start.date().to_string();
                fields.heure_debut = start.format("%H:%M").to_string();
                if end != start {
                    fields.heure_fin = end.format("%H:%M").to_string();
                }
                if end.date() != start.date() {
                    fields.date_fin = end.date().to_string();
                }
            }
            When::AllDay { first, last } => {
                fields.journee = "oui".into();
                fields.date = first.to_string();
                if last != first {
                    fields.date_fin = last.to_string();
                }
            }
        }
        fields.lieu = draft.location.clone();
        fields.categorie = category_value(&draft.categories, config);
        fields.description = draft.description.clone();
        fields.lien = draft.url.clone();
        fields.visibilite = if draft.private { "privee" } else { "publique" }.into();
        if let Some(repeat) = &draft.repeat {
            fields.intervalle = repeat.interval.to_string();
            match &repeat.frequency {
                Frequency::Weekly { days } => {
                    fields.repetition = "hebdomadaire".into();
                    fields.jours = days
                        .iter()
                        .map(|d| crate::french::day_name(*d).to_owned())
                        .collect();
                }
                Frequency::MonthlyByDate => {
                    fields.repetition = "mensuelle".into();
                    fields.mensuel = "date".into();
                }
                Frequency::MonthlyByWeekday { last } => {
                    fields.repetition = "mensuelle".into();
                    fields.mensuel = if *last { "dernier" } else { "rang" }.into();
                }
            }
            match repeat.ends {
                Ends::Never => fields.fin = "jamais".into(),
                Ends::Until(day) => {
                    fields.fin = "date".into();
                    fields.fin_date = day.to_string();
                }
                Ends::Count(n) => {
                    fields.fin = "nombre".into();
                    fields.fin_nombre = n.to_string();
                }
            }
        }
        fields.exceptions = draft
            .exceptions
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        fields
    }

    /// Takes the dates and repetition of `other` (for an event whose
    /// dates the form does not show).
    pub fn take_schedule(&mut self, other: Fields) {
        self.date = other.date;
        self.date_fin = other.date_fin;
        self.heure_debut = other.heure_debut;
        self.heure_fin = other.heure_fin;
        self.journee = other.journee;
        self.repetition = other.repetition;
        self.intervalle = other.intervalle;
        self.jours = other.jours;
        self.mensuel = other.mensuel;
        self.fin = other.fin;
        self.fin_date = other.fin_date;
        self.fin_nombre = other.fin_nombre;
        self.exceptions = other.exceptions;
    }

    /// Moves the event to `day`, keeping its length.
    pub fn move_to(&mut self, day: NaiveDate) {
        let Some(first) = parse_date(&self.date) else {
            return;
        };
        if let Some(last) = parse_date(&self.date_fin) {
            self.date_fin = (day + (last - first)).to_string();
        }
        self.date = day.to_string();
    }

    /// The draft this form describes, or every wrong field's message.
    /// `kept` is the stored event's categories (for the "keep" choice).
    pub fn draft(&self, config: &Config, kept: &[String]) -> Result<EventDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut error =
            |field: &'static str, message: String| errors.push(FieldError { field, message });
        let summary = self.titre.trim().to_owned();
        if summary.is_empty() {
            error("titre", "Indiquez le titre de l'événement.".into());
        } else if summary.chars().count() > MAX_TITLE {
            error(
                "titre",
                format!("Le titre dépasse {MAX_TITLE} caractères ; raccourcissez-le."),
            );
        }
        let when = self.when(&mut error);
        let location = self.lieu.trim().to_owned();
        if location.chars().count() > MAX_LOCATION {
            error(
                "lieu",
                format!("Le lieu dépasse {MAX_LOCATION} caractères."),
            );
        }
        let categories = match self.categorie.as_str() {
            "" => Vec::new(),
            KEEP => kept.to_vec(),
            slug => match config.category(slug) {
                // The stored spelling when it already names this category.
                Some(_) if category_value(kept, config) == slug => kept.to_vec(),
                Some(category) => vec![category.name.clone()],
                None => {
                    error("categorie", "Choisissez une catégorie de la liste.".into());
                    Vec::new()
                }
            },
        };
        let description = self.description.replace("\r\n", "\n").trim().to_owned();
        if description.chars().count() > MAX_DESCRIPTION {
            error(
                "description",
                format!("La description dépasse {MAX_DESCRIPTION} caractères."),
            );
        }
        let url = self.lien.trim().to_owned();
        let url_ok = url.is_empty()
            || ((url.starts_with("https://") || url.starts_with("http://"))
                && url.len() > "https://".len()
                && url.len() <= MAX_URL
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '"'));
        if !url_ok {
            error(
                "lien",
                "Le lien doit être une adresse web complète, commençant par https:// (ou http://), sans espace.".into(),
            );
        }
        let private = match self.visibilite.as_str() {
            "privee" => true,
            "publique" | "" => false,
            _ => {
                error("visibilite-publique", "Choisissez public ou privé.".into());
                false
            }
        };
        let repeat = when.as_ref().and_then(|when| self.repeat(when, &mut error));
        let mut exceptions = Vec::new();
        for word in self
            .exceptions
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|w| !w.is_empty())
        {
            match parse_date(word) {
                Some(day) => exceptions.push(day),
                None => error(
                    "exceptions",
                    format!("« {word} » n'est pas une date : écrivez-les comme 13/03/2027, une par ligne."),
                ),
            }
        }
        exceptions.sort_unstable();
        exceptions.dedup();
        if !exceptions.is_empty() && self.repetition == "aucune" {
            error(
                "exceptions",
                "Les exceptions ne servent qu'à un événement qui se répète.".into(),
            );
        }
        match (errors.is_empty(), when) {
            (true, Some(when)) => Ok(EventDraft {
                summary,
                when,
                location,
                categories,
                description,
                url,
                private,
                repeat,
                exceptions,
            }),
            _ => Err(errors),
        }
    }

    fn when(&self, error: &mut impl FnMut(&'static str, String)) -> Option<When> {
        let Some(first) = parse_date(&self.date) else {
            match self.date.trim().is_empty() {
                true => error("date", "Indiquez la date de l'événement.".into()),
                false => error(
                    "date",
                    "Cette date n'est pas valide : écrivez-la comme 13/03/2027.".into(),
                ),
            }
            return None;
        };
        let last = match self.date_fin.trim() {
            "" => None,
            text => match parse_date(text) {
                Some(day) if day < first => {
                    error(
                        "date_fin",
                        "La date de fin ne peut précéder la date de début.".into(),
                    );
                    return None;
                }
                Some(day) if (day - first).num_days() > 366 => {
                    error("date_fin", "Un événement dure au plus un an.".into());
                    return None;
                }
                Some(day) => Some(day),
                None => {
                    error(
                        "date_fin",
                        "Cette date n'est pas valide : écrivez-la comme 14/03/2027.".into(),
                    );
                    return None;
                }
            },
        };
        if self.journee == "oui" {
            return Some(When::AllDay {
                first,
                last: last.unwrap_or(first),
            });
        }
        let Some(start_time) = parse_time(&self.heure_debut) else {
            match self.heure_debut.trim().is_empty() {
                true => error(
                    "heure_debut",
                    "Indiquez l'heure de début, ou cochez « toute la journée ».".into(),
                ),
                false => error(
                    "heure_debut",
                    "Cette heure n'est pas valide : écrivez-la comme 20:30.".into(),
                ),
            }
            return None;
        };
        let start = first.and_time(start_time);
        let end = match (self.heure_fin.trim(), last) {
            ("", None) => start,
            ("", Some(_)) => {
                error(
                    "heure_fin",
                    "Indiquez l'heure de fin du dernier jour.".into(),
                );
                return None;
            }
            (text, last) => {
                let Some(end_time) = parse_time(text) else {
                    error(
                        "heure_fin",
                        "Cette heure n'est pas valide : écrivez-la comme 23:00.".into(),
                    );
                    return None;
                };
                match last {
                    Some(day) => day.and_time(end_time),
                    // A ball from 21:00 to 2:00 ends the next day.
                    None if end_time <= start_time => first.succ_opt()?.and_time(end_time),
                    None => first.and_time(end_time),
                }
            }
        };
        if end < start {
            error("heure_fin", "La fin doit venir après le début.".into());
            return None;
        }
        Some(When::Timed { start, end })
    }

    fn repeat(&self, when: &When, error: &mut impl FnMut(&'static str, String)) -> Option<Repeat> {
        let first = when.first_day();
        let frequency = match self.repetition.as_str() {
            "" | "aucune" => return None,
            "hebdomadaire" => {
                let mut days = Vec::new();
                for name in &self.jours {
                    match DAY_NAMES.iter().position(|d| d == name) {
                        Some(i) => days.push(crate::compose::recurrence::WEEKDAYS[i]),
                        None => error("jour-lundi", "Choisissez des jours de la semaine.".into()),
                    }
                }
                days.sort_by_key(|d| d.num_days_from_monday());
                days.dedup();
                if !days.is_empty() && !days.contains(&first.weekday()) {
                    error(
                        "jour-lundi",
                        format!(
                            "La première date tombe un {} : cochez ce jour aussi, ou changez la date.",
                            crate::french::weekday(first)
                        ),
                    );
                }
                Frequency::Weekly { days }
            }
            "mensuelle" => match self.mensuel.as_str() {
                "rang" if crate::compose::recurrence::rank(first) > 4 => {
                    error(
                        "mensuel-rang",
                        format!(
                            "Il n'y a pas un 5e {} chaque mois : choisissez « le dernier ».",
                            crate::french::weekday(first)
                        ),
                    );
                    return None;
                }
                "rang" => Frequency::MonthlyByWeekday { last: false },
                "dernier" if !crate::compose::recurrence::in_last_week(first) => {
                    error(
                        "mensuel-dernier",
                        format!(
                            "Le {} n'est pas le dernier {} du mois.",
                            crate::french::date(first),
                            crate::french::weekday(first)
                        ),
                    );
                    return None;
                }
                "dernier" => Frequency::MonthlyByWeekday { last: true },
                _ => Frequency::MonthlyByDate,
            },
            _ => {
                error(
                    "repetition",
                    "Choisissez une répétition de la liste.".into(),
                );
                return None;
            }
        };
        let interval = match self.intervalle.trim() {
            "" => 1,
            text => match text.parse::<u32>() {
                Ok(n) if (1..=52).contains(&n) => n,
                _ => {
                    error("intervalle", "Indiquez un nombre entre 1 et 52.".into());
                    1
                }
            },
        };
        let ends = match self.fin.as_str() {
            "jamais" => Ends::Never,
            "nombre" => match self.fin_nombre.trim().parse::<u32>() {
                Ok(n) if (1..=500).contains(&n) => Ends::Count(n),
                _ => {
                    error(
                        "fin_nombre",
                        "Indiquez combien de fois, entre 1 et 500.".into(),
                    );
                    return None;
                }
            },
            _ => match parse_date(&self.fin_date) {
                Some(day) if day >= first => Ends::Until(day),
                Some(_) => {
                    error(
                        "fin_date",
                        "La répétition doit finir après la première date.".into(),
                    );
                    return None;
                }
                None => {
                    error(
                        "fin_date",
                        "Indiquez jusqu'à quelle date l'événement se répète (comme 30/06/2027)."
                            .into(),
                    );
                    return None;
                }
            },
        };
        Some(Repeat {
            frequency,
            interval,
            ends,
        })
    }
}

/// The select's value for an event's categories: the one configured
/// category they name, "" for none, else [`KEEP`].
pub fn category_value(categories: &[String], config: &Config) -> String {
    match categories {
        [] => String::new(),
        [one] => {
            let wanted = normalize(one);
            config
                .categories
                .iter()
                .find(|c| {
                    std::iter::once(&c.slug)
                        .chain(std::iter::once(&c.name))
                        .chain(&c.aliases)
                        .any(|n| normalize(n) == wanted)
                })
                .map(|c| c.slug.clone())
                .unwrap_or_else(|| KEEP.to_owned())
        }
        _ => KEEP.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates_as_people_type_them() {
        assert_eq!(parse_time("20:30"), NaiveTime::from_hms_opt(20, 30, 0));
        assert_eq!(parse_time("20 h 30"), NaiveTime::from_hms_opt(20, 30, 0));
        assert_eq!(parse_time("9h"), NaiveTime::from_hms_opt(9, 0, 0));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(
            parse_date("13/03/2027"),
            NaiveDate::from_ymd_opt(2027, 3, 13)
        );
        assert_eq!(parse_date("2027-02-30"), None);
    }
}
