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
