//! Comparing what people type: case, accents and punctuation do not count
//! ("Salle des fêtes d'Arue" = "salle des fetes, arue").

/// Lower-case, accents removed, every run of non-alphanumerics one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_alphanumeric() => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                continue;
            }
            _ => {
                pending_space = true;
                continue;
            }
        };
        if pending_space && !out.is_empty() {
            out.push(' ');
        }
        pending_space = false;
        out.push_str(folded);
    }
    out
}

/// Escapes text for XML and HTML, in content and attribute values alike.
pub fn escape_markup(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'', '\r']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML parsers turn a raw CR LF into LF (XML 1.0 2.11); as a
            // reference the CR survives, so calendar-data keeps its bytes.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn case_accents_and_punctuation_do_not_count() {
        assert_eq!(normalize("Salle des Fêtes, Arue"), "salle des fetes arue");
        assert_eq!(normalize("  VIDE-GRENIER!! "), "vide grenier");
        assert_eq!(normalize("Cœur de l'Été"), "coeur de l ete");
    }
}
