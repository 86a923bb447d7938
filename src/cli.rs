//! Administration commands: accounts are managed from the command line,
//! directly on the database (the server may be running: SQLite's locking
//! and WAL keep both consistent).

use crate::auth;
use crate::config::Config;
use crate::store::accounts::{self, NewPrincipal, Role};
use crate::store::collections;
use crate::store::{in_transaction, open_connection};
use std::io::BufRead;

pub mod import;
pub mod registrations;

pub use crate::accounts::{ACCOUNT_CALENDAR, KINDS};

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
    if let Some(refusal) = crate::accounts::login_refusal(&account.login) {
        return Err(refusal);
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
    let created = in_transaction(&mut conn, |tx| {
        let new = NewPrincipal {
            login: &account.login,
            display_name: account.name.trim(),
            kind: &account.kind,
            role: account.role,
            commune: commune.as_deref(),
            password_hash: &hash,
        };
        crate::accounts::create(tx, &new, !account.no_calendar)
    })
    .map_err(|e| e.to_string())?;
    if created.is_none() {
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

/// Indexes again what migrations queued (see `objects::reindex_queued`),
/// with the settings' zone for floating times and limits.
pub fn reindex_queued(config: &Config) -> Result<usize, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let zone = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
    crate::store::objects::reindex_queued(&mut conn, zone, &crate::app::ical_limits(config))
        .map_err(|e| e.to_string())
}

/// Online backup of the database to `target`: a consistent copy, also
/// while the server writes (see `store::backup`).
pub fn backup(config: &Config, target: &std::path::Path) -> Result<String, String> {
    let size =
        crate::store::backup::backup(&config.db_path(), target).map_err(|e| e.to_string())?;
    Ok(format!(
        "backup written to {} ({size} bytes, integrity checked)",
        target.display()
    ))
}

/// Replaces the database by a backup, once it passed its checks; refused
/// while a server runs on the database.
pub fn restore(config: &Config, file: &std::path::Path) -> Result<String, String> {
    let db = config.db_path();
    let kept = crate::store::backup::restore(&db, file).map_err(|e| e.to_string())?;
    Ok(match kept {
        Some(kept) => format!(
            "{} restored from {}; the database it replaced is kept as {}",
            db.display(),
            file.display(),
            kept.display()
        ),
        None => format!("{} restored from {}", db.display(), file.display()),
    })
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
    pub description: Option<String>,
    pub publishes: Option<bool>,
}

/// Checks a change of an organiser's public details and resolves its
/// commune and categories to slugs (the CLI and the desk alike).
pub fn profile(config: &Config, change: ProfileChange) -> Result<accounts::Profile, String> {
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
        description: change.description,
        publishes: change.publishes,
    };
    Ok(profile)
}

pub fn set_profile(config: &Config, login: &str, change: ProfileChange) -> Result<String, String> {
    let profile = profile(config, change)?;
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
    let territory = crate::places::territory_of(config, &conn).map_err(|e| e.to_string())?;
    let config = &territory;
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
        let territory = crate::places::territory_of(config, tx)?;
        crate::conflicts::acknowledge(tx, &territory, tz, key, "admin")
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

/// `concord permanence add`: a service's bookable opening hours.
pub fn permanence_add(
    config: &Config,
    login: &str,
    input: &crate::appointments::PermanenceInput,
) -> Result<String, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let outcome = in_transaction(&mut conn, |tx| {
        let Some(service) = accounts::by_login(tx, login)? else {
            return Ok(Err(format!("no account with the login {login:?}")));
        };
        if service.kind != "service" || service.role != Role::Organiser {
            return Ok(Err(format!(
                "{login} is not a service (organiser set {login} --kind service)"
            )));
        }
        match crate::appointments::permanence_from(service.id, input) {
            Ok(permanence) => Ok(Ok(crate::store::appointments::add_permanence(
                tx,
                &permanence,
            )?)),
            Err(errors) => Ok(Err(errors.join("\n"))),
        }
    })
    .map_err(|e| e.to_string())?;
    Ok(format!("permanence {} added for {login}", outcome?))
}

/// `concord permanence list [LOGIN]`: one line per permanence.
pub fn permanence_list(config: &Config, login: Option<&str>) -> Result<String, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let read = || -> crate::store::Result<Vec<(String, crate::store::appointments::Permanence)>> {
        let mut out = Vec::new();
        for service in accounts::list(&conn)? {
            if login.is_some_and(|l| l != service.login) {
                continue;
            }
            for p in crate::store::appointments::permanences_of(&conn, service.id)? {
                out.push((service.login.clone(), p));
            }
        }
        Ok(out)
    };
    let mut text = String::new();
    for (login, p) in read().map_err(|e| e.to_string())? {
        text.push_str(&format!(
            "{}\t{login}\t{}\t{}\t{} min x {}\t{} days ahead, {} min before\tthemes: {}\tclosed: {}\n",
            p.id,
            p.place,
            p.hours,
            p.slot_minutes,
            p.capacity,
            p.days_ahead,
            p.minutes_before,
            p.themes.join(", "),
            p.closed
        ));
    }
    Ok(text)
}

/// `concord permanence remove ID`: its bookings stay (counts).
pub fn permanence_remove(config: &Config, id: i64) -> Result<String, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let removed = in_transaction(&mut conn, |tx| {
        Ok(tx.execute("DELETE FROM permanences WHERE id = ?1", [id])? == 1)
    })
    .map_err(|e| e.to_string())?;
    match removed {
        true => Ok(format!("permanence {id} removed")),
        false => Err(format!("no permanence {id}")),
    }
}

/// `concord appointments purge`: the retention, as the server runs it daily.
pub fn appointments_purge(config: &Config) -> Result<String, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let days = config.appointments.retention_days;
    let count = in_transaction(&mut conn, |tx| {
        crate::appointments::purge(tx, crate::clock::timestamp(), days).map_err(|e| match e {
            crate::appointments::Error::Store(e) => e,
            other => crate::store::StoreError::NotCommitted(other.to_string()),
        })
    })
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "{count} booking(s) older than {days} days anonymised"
    ))
}

/// `concord appointments indicators`: people helped per month, theme and
/// commune, attendance rate; CSV or JSON.
pub fn appointments_indicators(
    config: &Config,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    service: Option<&str>,
    format: &str,
) -> Result<String, String> {
    let tz = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let service_id = match service {
        Some(login) => Some(
            accounts::by_login(&conn, login)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no account with the login {login:?}"))?
                .id,
        ),
        None => None,
    };
    let indicators = crate::appointments::indicators::compute(
        &conn,
        service_id,
        crate::time::local_midnight(tz, from),
        crate::time::local_midnight(tz, crate::params::next_day(to)),
        tz,
    )
    .map_err(|e| e.to_string())?;
    match format {
        "csv" => Ok(crate::appointments::indicators::csv(&indicators)),
        "json" => serde_json::to_string_pretty(&indicators).map_err(|e| e.to_string()),
        other => Err(format!("unknown format {other:?}: use csv or json")),
    }
}
