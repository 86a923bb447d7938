//! Checking what people type in forms: required fields, lengths, e-mail,
//! phone and web address shapes. Errors are French and kept per field, so
//! that a page shows each next to its field and all of them in a summary
//! at the top (`templates/fields.html`).

/// The errors of one form, in the order of its fields.
#[derive(Debug, Default)]
pub struct Errors {
    list: Vec<FieldError>,
}

#[derive(Debug)]
pub struct FieldError {
    /// The `id` of the field it is about (the summary links to it).
    pub field: &'static str,
    pub message: String,
}

impl Errors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.list.push(FieldError {
                field,
                message: message.into(),
            });
        }
    }

    /// The error of one field, for the template.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn list(&self) -> &[FieldError] {
        &self.list
    }

    /// "1 erreur", "3 erreurs".
    pub fn count(&self) -> String {
        match self.list.len() {
            1 => "1 erreur".into(),
            n => format!("{n} erreurs"),
        }
    }
}

/// A text field: trimmed, at most `max` characters; `None` when empty
/// (an error when `required`).
pub fn text(
    errors: &mut Errors,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        if required {
            errors.add(field, format!("Indiquez {label}."));
        }
        return None;
    }
    if value.chars().count() > max {
        errors.add(
            field,
            format!("Ce champ ne doit pas dépasser {max} caractères."),
        );
        return None;
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(field, "Ce champ contient des caractères invalides.");
        return None;
    }
    Some(value.to_owned())
}

/// One line of text (no line breaks), see [`text`].
pub fn line(
    errors: &mut Errors,
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
    required: bool,
) -> Option<String> {
    let value = text(errors, field, label, value, max, required)?;
    if value.contains(['\n', '\r', '\t']) {
        errors.add(field, "Ce champ tient sur une ligne.");
        return None;
    }
    Some(value)
}

/// Longest e-mail address (RFC 5321's path limit).
pub const EMAIL_CHARS: usize = 254;

/// `name@domain.tld`: one @, something before, a dotted domain after, no
/// spaces or angle brackets (what people mistype, not RFC 5322).
pub fn email_shape(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"<>()[],;:\"\\".contains(c))
}

pub fn email(
    errors: &mut Errors,
    field: &'static str,
    value: &str,
    required: bool,
) -> Option<String> {
    let value = line(
        errors,
        field,
        "une adresse électronique",
        value,
        EMAIL_CHARS,
        required,
    )?;
    if !email_shape(&value) {
        errors.add(
            field,
            "Cette adresse électronique n'est pas valide (exemple\u{202f}: contact@exemple.fr).",
        );
        return None;
    }
    Some(value)
}

/// Longest phone number as typed.
pub const PHONE_CHARS: usize = 30;

pub fn phone(errors: &mut Errors, field: &'static str, value: &str) -> Option<String> {
    let value = line(
        errors,
        field,
        "un numéro de téléphone",
        value,
        PHONE_CHARS,
        false,
    )?;
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +.-()".contains(c));
    if !allowed || !(6..=15).contains(&digits) {
        errors.add(
            field,
            "Ce numéro de téléphone n'est pas valide (exemple\u{202f}: 05 56 00 00 00).",
        );
        return None;
    }
    Some(value)
}

/// Longest web address.
pub const WEBSITE_CHARS: usize = 300;

/// An `http://` or `https://` address with a host: the directory makes it
/// a link, so no other scheme (`javascript:`) may get in.
pub fn web_address_shape(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && host.contains('.')
        && value
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !"<>\"\\".contains(c))
}

pub fn website(errors: &mut Errors, field: &'static str, value: &str) -> Option<String> {
    let value = line(
        errors,
        field,
        "une adresse de site",
        value,
        WEBSITE_CHARS,
        false,
    )?;
    if !web_address_shape(&value) {
        errors.add(
            field,
            "L'adresse du site doit commencer par https:// ou http:// (exemple\u{202f}: https://www.exemple.fr).",
        );
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for good in ["a@b.fr", "contact.asso@mairie-arue.fr", "élu@arue.fr"] {
            assert!(email_shape(good), "{good}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.fr",
            "a@b.fr@c.fr",
            "a b@c.fr",
            "a@.fr",
            "<a@b.fr>",
        ] {
            assert!(!email_shape(bad), "{bad}");
        }
        for good in ["https://www.arue.fr", "http://asso.example.org/page?x=1"] {
            assert!(web_address_shape(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "www.arue.fr",
            "https://",
            "ftp://x.fr",
            "https://x.fr/\"a",
        ] {
            assert!(!web_address_shape(bad), "{bad}");
        }
    }

    #[test]
    fn lengths_and_required_fields() {
        let mut errors = Errors::default();
        assert_eq!(text(&mut errors, "a", "un nom", "  ", 10, true), None);
        assert_eq!(errors.get("a"), Some("Indiquez un nom."));
        assert_eq!(
            text(&mut errors, "b", "un nom", "onze lettres", 10, true),
            None
        );
        assert!(errors.get("b").unwrap().contains("10 caractères"));
        assert_eq!(line(&mut errors, "c", "x", "deux\nlignes", 50, false), None);
        assert_eq!(
            phone(&mut errors, "d", "05 56 00 00 00").as_deref(),
            Some("05 56 00 00 00")
        );
        assert_eq!(phone(&mut errors, "e", "appelez-moi"), None);
        assert_eq!(errors.count(), "4 erreurs");
    }
}
