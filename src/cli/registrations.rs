//! `concord registrations ...` and `concord organiser reset-link`: staff
//! decide on registrations from the terminal, through the same functions
//! the desk will call (`crate::registration`).

use crate::accounts;
use crate::config::Config;
use crate::registration::{self, Approval, DecisionError};
use crate::store::registrations::{self, Registration, Status};
use crate::store::{in_transaction, open_connection};
use std::fmt::Write as _;

fn utc(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// Pending registrations (every one with `all`), oldest first.
pub fn list(config: &Config, all: bool) -> Result<String, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let status = (!all).then_some(Status::Pending);
    let found = registrations::list(&conn, status).map_err(|e| e.to_string())?;
    if found.is_empty() {
        return Ok(match all {
            true => "no registration".into(),
            false => "no registration waiting".into(),
        });
    }
    let mut out = String::new();
    for r in &found {
        describe(&mut out, r);
    }
    Ok(out)
}

fn describe(out: &mut String, r: &Registration) {
    let form = &r.form;
    let _ = writeln!(
        out,
        "#{}  {}  {}  {}  {}",
        r.id,
        r.status.as_str(),
        utc(r.created_at),
        form.kind,
        form.commune.as_deref().unwrap_or("-")
    );
    let _ = writeln!(out, "    {}", form.name);
    let _ = writeln!(
        out,
        "    contact: {} <{}>{}",
        form.contact_name,
        form.email,
        form.phone
            .as_deref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default()
    );
    if !form.categories.is_empty() {
        let _ = writeln!(out, "    categories: {}", form.categories.join(", "));
    }
    if let Some(description) = &form.description {
        let _ = writeln!(
            out,
            "    description: {}",
            description.replace('\n', "\n      ")
        );
    }
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "    reason: {reason}");
    }
}

/// Runs a decision in one transaction: refused decisions write nothing.
fn decide<T>(
    config: &Config,
    job: impl FnOnce(&rusqlite::Transaction) -> Result<T, DecisionError>,
) -> Result<T, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let mut refused = None;
    let done = in_transaction(&mut conn, |tx| match job(tx) {
        Ok(value) => Ok(Some(value)),
        Err(DecisionError::Store(error)) => Err(error),
        Err(other) => {
            refused = Some(other.to_string());
            Err(crate::store::StoreError::NotCommitted("refused".into()))
        }
    });
    match (done, refused) {
        (_, Some(refusal)) => Err(refusal),
        (Ok(Some(value)), None) => Ok(value),
        (Ok(None), None) => Err("nothing was decided".into()),
        (Err(error), None) => Err(error.to_string()),
    }
}

/// Sends a message now, saying how it went.
fn mail_outcome(config: &Config, mail: Option<crate::mail::Mail>) -> String {
    match mail {
        _ if !crate::mail::configured(config) => "not e-mailed: [mail] is not configured".into(),
        None => String::new(),
        Some(mail) => match crate::mail::send(config, &mail) {
            Ok(()) => format!("e-mailed to {}", mail.to),
            Err(error) => format!("NOT e-mailed ({error})"),
        },
    }
}

pub fn approve(config: &Config, id: i64, approval: Approval) -> Result<String, String> {
    let hash = accounts::unknown_password_hash(config)?;
    let approved = decide(config, |tx| registration::approve(tx, id, &approval, &hash))?;
    let mut out = match approved.created {
        true => format!(
            "registration {id} approved: organiser {} created\n",
            approved.login
        ),
        false => format!(
            "registration {id} approved: linked to the organiser {}\n",
            approved.login
        ),
    };
    let _ = writeln!(
        out,
        "activation link (single use, valid until {}): {}",
        utc(approved.expires),
        accounts::link_url(config, &approved.token)
    );
    let mail = registration::approval_mail(config, &approved);
    out.push_str(&mail_outcome(config, Some(mail)));
    Ok(out)
}

pub fn reject(config: &Config, id: i64, reason: &str) -> Result<String, String> {
    let rejected = decide(config, |tx| registration::reject(tx, id, reason))?;
    let mail = registration::rejection_mail(config, &rejected, reason.trim());
    Ok(format!(
        "registration {id} rejected\n{}",
        mail_outcome(config, Some(mail))
    ))
}

/// A new activation link for an account whose password is forgotten.
pub fn reset_link(config: &Config, login: &str) -> Result<String, String> {
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let issued = in_transaction(&mut conn, |tx| registration::reset_link(tx, login))
        .map_err(|e| e.to_string())?;
    let Some((token, expires)) = issued else {
        return Err(format!("no account with the login {login:?}"));
    };
    Ok(format!(
        "activation link for {login} (single use, valid until {}; the current password works until it is used): {}",
        utc(expires),
        accounts::link_url(config, &token)
    ))
}
