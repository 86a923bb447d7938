//! What a password chosen on the web must be: long enough, and not one
//! of the first guesses of anyone trying: the account's login or name,
//! a common password (`common.txt`), a common password with a few digits
//! or signs around it ("Soleil2027!"), or one short pattern repeated.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Characters at least (Unicode scalar values, as people count them).
pub const MIN_CHARS: usize = 12;
/// More is refused: argon2 hashes anything, but a form field has a size.
pub const MAX_CHARS: usize = 256;

static COMMON_TEXT: &str = include_str!("common.txt");

fn common() -> &'static HashSet<&'static str> {
    static COMMON: OnceLock<HashSet<&'static str>> = OnceLock::new();
    COMMON.get_or_init(|| {
        COMMON_TEXT
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect()
    })
}

/// Lower case, accents folded, letters and digits only: "Mot de passe !"
/// and "motdepasse" are the same guess.
fn compact(text: &str) -> String {
    crate::text::normalize(text).replace(' ', "")
}

/// Why a password is refused, in French, for the page to show; `None`
/// when it is fit. `login` and `name` are the account's.
pub fn refusal(password: &str, login: &str, name: &str) -> Option<&'static str> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Some("Le mot de passe doit compter au moins 12 caractères.");
    }
    if chars > MAX_CHARS {
        return Some("Le mot de passe ne doit pas dépasser 256 caractères.");
    }
    let compacted = compact(password);
    for own in [login, name] {
        let own = compact(own);
        if own.len() >= 3 && compacted.contains(&own) {
            return Some(
                "Le mot de passe ne doit pas contenir l'identifiant ni le nom de votre organisation.",
            );
        }
    }
    if is_common(password) {
        return Some(
            "Ce mot de passe fait partie des plus courants\u{202f}: il serait deviné vite. Choisissez-en un autre, par exemple quatre mots sans rapport entre eux.",
        );
    }
    if repeated(&compacted) || sequence(&compacted) {
        return Some("Le mot de passe ne doit pas répéter un même motif ni suivre une suite («\u{202f}123456…\u{202f}», «\u{202f}abcdef…\u{202f}»).");
    }
    None
}

/// A common password, as typed or compacted, or once the digits and
/// signs around it are taken away.
fn is_common(password: &str) -> bool {
    let list = common();
    let lower = password.to_lowercase();
    let compacted = compact(password);
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let compact_core = compacted.trim_matches(|c: char| c.is_ascii_digit());
    [lower.as_str(), compacted.as_str(), core, compact_core]
        .iter()
        .any(|candidate| !candidate.is_empty() && list.contains(candidate))
}

/// One short pattern over and over ("abcabcabcabc", "111111111111").
fn repeated(compacted: &str) -> bool {
    let chars: Vec<char> = compacted.chars().collect();
    if chars.is_empty() {
        return false;
    }
    (1..=4).any(|period| {
        chars.len() >= 2 * period
            && chars
                .iter()
                .enumerate()
                .all(|(i, c)| *c == chars[i % period])
    })
}

/// Letters or digits in order, up or down ("123456789012", "zyxwvu...");
/// digits go round (9 then 0).
fn sequence(compacted: &str) -> bool {
    let chars: Vec<char> = compacted.chars().collect();
    let next = |a: char, b: char, step: i32| -> bool {
        match (a.to_digit(10), b.to_digit(10)) {
            (Some(x), Some(y)) => (x as i32 + step).rem_euclid(10) == y as i32,
            _ => a.is_ascii_lowercase() && b as i32 - a as i32 == step,
        }
    };
    chars.len() >= 2
        && [1, -1]
            .iter()
            .any(|&step| chars.windows(2).all(|pair| next(pair[0], pair[1], step)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = "comite-des-fetes-d-arue";
    const NAME: &str = "Comité des fêtes d'Arue";

    #[test]
    fn short_and_common_passwords_are_refused() {
        for weak in [
            "court",
            "password1234",
            "motdepasse123",
            "Motdepasse2027!",
            "MOT DE PASSE 1234",
            "azertyuiop123",
            "123456789012",
            "qwertyuiop12",
            "abcabcabcabc",
            "aaaaaaaaaaaaaaa",
            "Soleil!!2027!!",
            "abcdefghijklmn",
            "987654321098",
        ] {
            assert!(refusal(weak, LOGIN, NAME).is_some(), "{weak} was accepted");
        }
    }

    #[test]
    fn the_login_and_the_name_are_refused() {
        assert!(refusal("comite-des-fetes-d-arue", LOGIN, NAME).is_some());
        assert!(refusal("Comité des Fêtes d'Arue 2027", LOGIN, NAME).is_some());
        assert!(refusal("COMITEDESFETESDARUE", LOGIN, NAME).is_some());
    }

    #[test]
    fn long_unusual_passwords_are_accepted() {
        for good in [
            "correct-horse-battery",
            "Tartine vélo lampion 17",
            "x7#Lq9!mZp2@rT",
            "arue-fete-des-vendanges-2027",
        ] {
            assert_eq!(refusal(good, LOGIN, NAME), None, "{good}");
        }
    }

    #[test]
    fn the_list_is_loaded_lower_case_without_comments() {
        let list = common();
        assert!(list.len() > 10_000, "{}", list.len());
        assert!(list.contains("123456") && list.contains("motdepasse"));
        assert!(list
            .iter()
            .all(|p| *p == p.to_lowercase() && !p.starts_with('#')));
    }
}
