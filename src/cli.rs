//! Administration commands: accounts are managed from the command line,
//! directly on the database (the server may be running: SQLite's locking
//! and WAL keep both consistent).

use crate::auth;
use crate::config::Config;
use crate::store::accounts::{self, NewPrincipal, Role};
use crate::store::collections::{self, CalendarProps, NewCollection};
use crate::store::{in_transaction, open_connection};
use std::io::BufRead;

/// The path segment of the calendar made with each organiser's account.
pub const ACCOUNT_CALENDAR: &str = "main";

pub const KINDS: &[&str] = &["association", "commune", "service"];

pub struct NewAccount {
    pub login: String,
    pub name: String,
    pub kind: String,
    pub commune: Option<String>,
    pub role: Role,
    pub password_stdin: bool,
    /// Leave the calendar to the organiser's client (MKCALENDAR), e.g.
    /// when importing from another server.
    pub no_calendar: bool,
}

/// Creates a principal (and, for organisers, its calendar); prints the
/// password when it was generated.
pub fn add_account(config: &Config, account: NewAccount) -> Result<String, String> {
    if !accounts::valid_login(&account.login) {
        return Err(format!(
            "invalid login {:?}: use 2 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit",
            account.login
        ));
    }
    if accounts::reserved_login(&account.login) {
        return Err(format!(
            "the login {:?} is reserved: the addresses of concord use it ({})",
            account.login,
            accounts::RESERVED_LOGINS.join(", ")
        ));
    }
    if account.role == Role::Organiser && !KINDS.contains(&account.kind.as_str()) {
        return Err(format!(
            "unknown kind {:?}: use one of {}",
            account.kind,
            KINDS.join(", ")
        ));
    }
    if account.name.trim().is_empty() {
        return Err("the display name must not be empty".into());
    }
    let commune = account
        .commune
        .as_deref()
        .map(|c| resolve_commune(config, c))
        .transpose()?;
    let (password, generated) = password(account.password_stdin)?;
    let hash = auth::hash_password(&password, &config.auth)?;
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let outcome = in_transaction(&mut conn, |tx| {
        if accounts::by_login(tx, &account.login)?.is_some() {
            return Ok(false);
        }
        let id = accounts::insert(
            tx,
            &NewPrincipal {
                login: &account.login,
                display_name: account.name.trim(),
                kind: &account.kind,
                role: account.role,
                commune: commune.as_deref(),
                password_hash: &hash,
            },
        )?;
        if account.role == Role::Organiser && !account.no_calendar {
            let props = CalendarProps {
                display_name: Some(Some(account.name.trim().to_owned())),
                ..CalendarProps::default()
            };
            collections::create(
                tx,
                id,
                ACCOUNT_CALENDAR,
                NewCollection::AccountCalendar,
                &props,
            )?;
        }
        // Staff get one too: every conflict of the territory.
        crate::conflicts::calendar::create(tx, id, account.role)?;
        Ok(true)
    })
    .map_err(|e| e.to_string())?;
    if !outcome {
        return Err(format!("the login {:?} is already taken", account.login));
    }
    Ok(if generated {
        format!("created {}; password: {password}", account.login)
    } else {
        format!("created {}", account.login)
    })
}

fn password(from_stdin: bool) -> Result<(String, bool), String> {
    if !from_stdin {
        return Ok((auth::generate_password()?, true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < 8 {
        return Err("the password must have at least 8 characters".into());
    }
    Ok((password, false))
}

pub fn list(config: &Config) -> Result<String, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let all = accounts::list(&conn).map_err(|e| e.to_string())?;
    let mut out = format!(
        "{:<28} {:<10} {:<12} {:<20} {}\n",
        "LOGIN", "ROLE", "KIND", "COMMUNE", "NAME"
    );
    for p in all {
        out.push_str(&format!(
            "{:<28} {:<10} {:<12} {:<20} {}{}\n",
            p.login,
            p.role.as_str(),
            p.kind,
            p.commune.as_deref().unwrap_or("-"),
            p.display_name,
            if p.disabled { " (disabled)" } else { "" }
        ));
    }
    Ok(out)
}

pub enum Change {
    Password { stdin: bool },
    Rename(String),
    Disabled(bool),
}

pub fn change(config: &Config, login: &str, change: Change) -> Result<String, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let (found, message) = match change {
        Change::Password { stdin } => {
            let (password, generated) = password(stdin)?;
            let hash = auth::hash_password(&password, &config.auth)?;
            let found = accounts::set_password_hash(&conn, login, &hash);
            let message = if generated {
                format!("new password for {login}: {password}")
            } else {
                format!("password of {login} changed")
            };
            (found, message)
        }
        Change::Rename(name) => {
            if name.trim().is_empty() {
                return Err("the display name must not be empty".into());
            }
            (
                accounts::set_display_name(&conn, login, name.trim()),
                format!("{login} is now called {:?}", name.trim()),
            )
        }
        Change::Disabled(disabled) => (
            accounts::set_disabled(&conn, login, disabled),
            format!("{login} {}", if disabled { "disabled" } else { "enabled" }),
        ),
    };
    match found.map_err(|e| e.to_string())? {
        true => Ok(message),
        false => Err(format!("no account with the login {login:?}")),
    }
}

/// On first start, creates the `admin` account and returns its password to
/// print once.
/// Also gives staff accounts made before staff had one their conflicts
/// calendar.
pub fn ensure_admin(config: &Config) -> Result<Option<String>, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    in_transaction(&mut conn, |tx| {
        for account in accounts::list(tx)? {
            if account.role.reads_everything()
                && collections::get(tx, account.id, crate::conflicts::calendar::PATH)?.is_none()
            {
                crate::conflicts::calendar::create(tx, account.id, account.role)?;
            }
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    if accounts::any_admin(&conn).map_err(|e| e.to_string())? {
        return Ok(None);
    }
    drop(conn);
    let message = add_account(
        config,
        NewAccount {
            login: "admin".into(),
            name: "Administrateur".into(),
            kind: "service".into(),
            commune: None,
            role: Role::Admin,
            password_stdin: false,
            no_calendar: true,
        },
    )?;
    Ok(Some(message))
}

/// Online backup of the database to `target` (consistent while serving).
pub fn backup(config: &Config, target: &std::path::Path) -> Result<String, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let mut dest = rusqlite::Connection::open(target).map_err(|e| e.to_string())?;
    let backup = rusqlite::backup::Backup::new(&conn, &mut dest).map_err(|e| e.to_string())?;
    backup
        .run_to_completion(256, std::time::Duration::from_millis(5), None)
        .map_err(|e| e.to_string())?;
    Ok(format!("backup written to {}", target.display()))
}

/// The slug of a commune given by slug or name; any text when config.toml
/// lists no communes.
pub fn resolve_commune(config: &Config, input: &str) -> Result<String, String> {
    if config.communes.is_empty() {
        return Ok(input.trim().to_owned());
    }
    let wanted = crate::text::normalize(input);
    config
        .communes
        .iter()
        .find(|c| c.slug == input || crate::text::normalize(&c.name) == wanted)
        .map(|c| c.slug.clone())
        .ok_or_else(|| {
            unknown(
                "commune",
                input,
                config.communes.iter().map(|c| c.slug.as_str()),
            )
        })
}

/// An unknown value given to a command, with the valid ones.
fn unknown<'a>(what: &str, value: &str, valid: impl Iterator<Item = &'a str>) -> String {
    let valid: Vec<&str> = valid.collect();
    if valid.is_empty() {
        format!("unknown {what} {value:?}: none is configured")
    } else {
        format!(
            "unknown {what} {value:?}; valid values: {}",
            valid.join(", ")
        )
    }
}

fn resolve_categories(config: &Config, input: &str) -> Result<Vec<String>, String> {
    input
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            config.category(c).map(|c| c.slug.clone()).ok_or_else(|| {
                unknown(
                    "category",
                    c,
                    config.categories.iter().map(|c| c.slug.as_str()),
                )
            })
        })
        .collect()
}

/// What `organiser set` may change.
#[derive(Default)]
pub struct ProfileChange {
    pub kind: Option<String>,
    pub commune: Option<String>,
    pub categories: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub publishes: Option<bool>,
}

pub fn set_profile(config: &Config, login: &str, change: ProfileChange) -> Result<String, String> {
    if let Some(kind) = &change.kind {
        if !KINDS.contains(&kind.as_str()) {
            return Err(format!(
                "unknown kind {kind:?}: use one of {}",
                KINDS.join(", ")
            ));
        }
    }
    if let Some(email) = &change.email {
        if !email.is_empty() && !email.contains('@') {
            return Err(format!("{email:?} is not an e-mail address"));
        }
    }
    let profile = accounts::Profile {
        kind: change.kind,
        commune: change
            .commune
            .as_deref()
            .map(|c| resolve_commune(config, c))
            .transpose()?,
        categories: change
            .categories
            .as_deref()
            .map(|c| resolve_categories(config, c))
            .transpose()?,
        email: change.email,
        phone: change.phone,
        website: change.website,
        publishes: change.publishes,
    };
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let found = in_transaction(&mut conn, |tx| {
        accounts::update_profile(tx, login, &profile)
    })
    .map_err(|e| e.to_string())?;
    if found {
        Ok(format!("{login} updated"))
    } else {
        Err(format!("no account with the login {login:?}"))
    }
}

/// Publishes (or withdraws) one of an organiser's calendars in the
/// intercommunal calendar and feeds.
pub fn publish(
    config: &Config,
    login: &str,
    calendar: &str,
    published: bool,
) -> Result<String, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let outcome = in_transaction(&mut conn, |tx| {
        let Some(owner) = accounts::by_login(tx, login)? else {
            return Ok(Err(format!("no account with the login {login:?}")));
        };
        if collections::set_published(tx, owner.id, calendar, published)? {
            Ok(Ok(()))
        } else {
            Ok(Err(format!("{login} has no calendar {calendar:?}")))
        }
    })
    .map_err(|e| e.to_string())?;
    outcome?;
    Ok(format!(
        "{login}/{calendar} {}",
        if published { "published" } else { "withdrawn" }
    ))
}

/// `concord conflicts`: the conflicts of a period as a table, JSON, CSV or
/// counts per rule.
pub fn conflicts(
    config: &Config,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    format: &str,
    filters: (Option<&str>, Option<&str>),
    timings: bool,
) -> Result<String, String> {
    let tz = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
    // `to` is the last day included.
    let (start, end) = (
        crate::time::local_midnight(tz, from),
        crate::time::local_midnight(tz, crate::params::next_day(to)),
    );
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    crate::store::schema::map_for_scans(&conn).map_err(|e| e.to_string())?;
    let mut report = crate::conflicts::compute(
        &conn,
        config,
        tz,
        (start, end),
        crate::conflicts::Audience::Staff,
    )
    .map_err(|e| e.to_string())?;
    if timings {
        let t = &report.timings;
        eprintln!(
            "read {} occurrences in {:.1} ms, found {} conflicts in {:.1} ms",
            t.occurrences,
            t.read.as_secs_f64() * 1e3,
            report.conflicts.len(),
            t.detect.as_secs_f64() * 1e3
        );
    }
    crate::conflicts::retain(&mut report, config, filters.0, filters.1);
    match format {
        "json" => {
            let mut out = Vec::with_capacity(report.size_hint());
            serde_json::to_writer_pretty(&mut out, &report).map_err(|e| e.to_string())?;
            String::from_utf8(out).map_err(|e| e.to_string())
        }
        "csv" => Ok(crate::conflicts::csv(&report)),
        "table" => Ok(crate::conflicts::table(&report)),
        "summary" => Ok(crate::conflicts::summary(&report)),
        other => Err(format!(
            "unknown format {other:?}: use table, json, csv or summary"
        )),
    }
}

pub fn acknowledge(config: &Config, key: &str) -> Result<String, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let done = in_transaction(&mut conn, |tx| {
        let tz = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
        crate::conflicts::acknowledge(tx, config, tz, key, "admin")
    })
    .map_err(|e| e.to_string())?;
    if done {
        Ok(format!("conflict {key} acknowledged"))
    } else {
        Err(format!(
            "no conflict {key:?}: its events changed or no longer exist"
        ))
    }
}
