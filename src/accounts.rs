//! Making and opening accounts, for the command line, the registration
//! flow (`crate::registration`) and the staff desk alike: an organiser
//! with its calendars, logins derived from names, and activation links
//! (`/activation/{token}`) where a person chooses its own password.

use crate::config::Config;
use crate::store::accounts::{self, NewPrincipal, Role};
use crate::store::collections::{self, CalendarProps, NewCollection};
use crate::store::{activations, Result};
use rusqlite::Connection;

/// The path segment of the calendar made with each organiser's account.
pub const ACCOUNT_CALENDAR: &str = "main";

pub const KINDS: &[&str] = &["association", "commune", "service"];

/// A kind as the pages name it.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "commune" => "Commune",
        "service" => "Service intercommunal",
        _ => "Association",
    }
}

/// How long a link that staff hand out (approval, `reset-link`) stays
/// valid: long enough for a letter or a volunteer's holiday.
pub const STAFF_LINK_SECONDS: i64 = 14 * 24 * 3600;

/// How long a link e-mailed on request ("mot de passe oublié") stays
/// valid: whoever asked reads their mail now.
pub const EMAILED_LINK_SECONDS: i64 = 24 * 3600;

/// Longest login [`derive_login`] makes (valid ones go to 64).
const DERIVED_LOGIN_CHARS: usize = 40;

/// Why a login cannot be given to a new account (in English, for the
/// command line).
pub fn login_refusal(login: &str) -> Option<String> {
    if !accounts::valid_login(login) {
        return Some(format!(
            "invalid login {login:?}: use 2 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit"
        ));
    }
    if accounts::reserved_login(login) {
        return Some(format!(
            "the login {login:?} is reserved: the addresses of concord use it ({})",
            accounts::RESERVED_LOGINS.join(", ")
        ));
    }
    None
}

/// Makes an account: for an organiser its calendar too (unless
/// `with_calendar` is false: its client makes the first one), and for
/// everyone its conflicts calendar. `None` when the login is taken.
pub fn create(conn: &Connection, new: &NewPrincipal, with_calendar: bool) -> Result<Option<i64>> {
    if accounts::by_login(conn, new.login)?.is_some() {
        return Ok(None);
    }
    let id = accounts::insert(conn, new)?;
    if new.role == Role::Organiser && with_calendar {
        let props = CalendarProps {
            display_name: Some(Some(new.display_name.to_owned())),
            ..CalendarProps::default()
        };
        collections::create(
            conn,
            id,
            ACCOUNT_CALENDAR,
            NewCollection::AccountCalendar,
            &props,
        )?;
    }
    // Staff get one too: every conflict of the territory.
    crate::conflicts::calendar::create(conn, id, new.role)?;
    Ok(Some(id))
}

/// A login made from a name: lower-case ASCII, accents folded, words
/// joined by dashes, cut at a word, then made unique with `-2`, `-3`...
/// ("Comité des fêtes d'Arue" -> `comite-des-fetes-d-arue`).
pub fn derive_login(conn: &Connection, name: &str) -> Result<String> {
    let mut base = String::new();
    let words = crate::text::normalize(name);
    for word in words.split(' ') {
        let word: String = word.chars().filter(char::is_ascii_alphanumeric).collect();
        if word.is_empty() {
            continue;
        }
        if !base.is_empty() && base.len() + 1 + word.len() > DERIVED_LOGIN_CHARS {
            break;
        }
        if !base.is_empty() {
            base.push('-');
        }
        base.push_str(&word);
    }
    base.truncate(DERIVED_LOGIN_CHARS);
    let base = base.trim_end_matches('-').to_owned();
    let base = match login_refusal(&base) {
        None => base,
        Some(_) if base.len() >= 2 => format!("{base}-asso"),
        Some(_) => "organisateur".to_owned(),
    };
    let mut candidate = base.clone();
    let mut n = 1;
    while accounts::by_login(conn, &candidate)?.is_some() {
        n += 1;
        candidate = format!("{base}-{n}");
    }
    Ok(candidate)
}

/// A new activation link for an account, valid `seconds`; earlier links
/// of the account end. Returns the token (to give out once) and when
/// the link expires.
pub fn issue_link(conn: &Connection, principal_id: i64, seconds: i64) -> Result<(String, i64)> {
    let token = crate::tokens::new_token();
    let expires = activations::create(conn, &crate::tokens::digest(&token), principal_id, seconds)?;
    Ok((token, expires))
}

/// The address of an activation link.
pub fn link_url(config: &Config, token: &str) -> String {
    format!(
        "{}/activation/{token}",
        config.base_url.trim_end_matches('/')
    )
}

/// The password hash of an account that has not chosen one yet: a random
/// password nobody knows, hashed like any other (so that signing in to it
/// costs the same time as to any account).
pub fn unknown_password_hash(config: &Config) -> std::result::Result<String, String> {
    let password = crate::auth::generate_password()?;
    crate::auth::hash_password(&password, &config.auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(logins: &[&str]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::schema::configure_reads(&conn).unwrap();
        crate::store::schema::migrate(&mut conn).unwrap();
        for login in logins {
            accounts::insert(
                &conn,
                &NewPrincipal {
                    login,
                    display_name: login,
                    kind: "association",
                    role: Role::Organiser,
                    commune: None,
                    password_hash: "x",
                },
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn logins_come_from_names_and_are_unique() {
        let conn = store_with(&["comite-des-fetes-d-arue", "comite-des-fetes-d-arue-2"]);
        let derive = |name: &str| derive_login(&conn, name).unwrap();
        assert_eq!(
            derive("Comité des fêtes d'Arue"),
            "comite-des-fetes-d-arue-3"
        );
        assert_eq!(derive("  Œuvres laïques -- Été "), "oeuvres-laiques-ete");
        assert_eq!(derive("Mairie de Saint-Gor"), "mairie-de-saint-gor");
        assert_eq!(
            derive("Association sportive et culturelle des anciens élèves du collège"),
            "association-sportive-et-culturelle-des"
        );
        assert_eq!(derive("Ωμέγα"), "organisateur");
        assert_eq!(derive("API"), "api-asso", "reserved names are not taken");
        for name in ["Comité", "X", "123 Soleil", "École de musique"] {
            assert!(login_refusal(&derive(name)).is_none(), "{name}");
        }
    }
}
