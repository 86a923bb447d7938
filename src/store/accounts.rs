//! Principals: organisers (associations, communes, services), staff and
//! administrators.

use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Organiser,
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Organiser => "organiser",
            Role::Staff => "staff",
            Role::Admin => "admin",
        }
    }

    fn parse(text: &str) -> Role {
        match text {
            "admin" => Role::Admin,
            "staff" => Role::Staff,
            _ => Role::Organiser,
        }
    }

    /// Staff and administrators read every calendar.
    pub fn reads_everything(self) -> bool {
        matches!(self, Role::Staff | Role::Admin)
    }
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub kind: String,
    pub role: Role,
    pub commune: Option<String>,
    pub disabled: bool,
    pub publishes: bool,
}

pub struct NewPrincipal<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub kind: &'a str,
    pub role: Role,
    pub commune: Option<&'a str>,
    pub password_hash: &'a str,
}

const COLUMNS: &str = "id, login, display_name, kind, role, commune, disabled, publishes";

fn from_row(row: &Row) -> rusqlite::Result<Principal> {
    Ok(Principal {
        id: row.get(0)?,
        login: row.get(1)?,
        display_name: row.get(2)?,
        kind: row.get(3)?,
        role: Role::parse(&row.get::<_, String>(4)?),
        commune: row.get(5)?,
        disabled: row.get(6)?,
        publishes: row.get(7)?,
    })
}

/// A login is one URL path segment: lower-case ASCII letters, digits and
/// dashes, starting with a letter or digit.
pub fn valid_login(login: &str) -> bool {
    (2..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && login.as_bytes()[0].is_ascii_alphanumeric()
}

/// Names the URL layout gives a meaning to, as a top-level DAV name, a feed
/// (`/feeds/intercommunal.ics`) or a calendar in every home: an account
/// with one of them would be shadowed or would shadow.
pub const RESERVED_LOGINS: &[&str] = &[
    crate::paths::AGGREGATE,
    crate::paths::CONFLICTS,
    "principals",
    "calendars",
    "dav",
    "feeds",
    "api",
    "well-known",
    // `/rendez-vous/{service}` sits beside the personal links'
    // `/rendez-vous/gerer/{token}`.
    "gerer",
];

/// True when a new account may not take `login` (see [`RESERVED_LOGINS`]).
pub fn reserved_login(login: &str) -> bool {
    RESERVED_LOGINS.contains(&login)
}

pub fn insert(conn: &Connection, new: &NewPrincipal) -> Result<i64> {
    conn.execute(
        "INSERT INTO principals (login, display_name, kind, role, commune, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            new.login,
            new.display_name,
            new.kind,
            new.role.as_str(),
            new.commune,
            new.password_hash,
            now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn by_login(conn: &Connection, login: &str) -> Result<Option<Principal>> {
    let sql = format!("SELECT {COLUMNS} FROM principals WHERE login = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([login], from_row)
        .optional()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Principal>> {
    let sql = format!("SELECT {COLUMNS} FROM principals WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// The principal and its password hash, for authentication.
pub fn credentials(conn: &Connection, login: &str) -> Result<Option<(Principal, String)>> {
    let sql = format!("SELECT {COLUMNS}, password_hash FROM principals WHERE login = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([login], |row| Ok((from_row(row)?, row.get(8)?)))
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<Principal>> {
    let sql = format!("SELECT {COLUMNS} FROM principals ORDER BY login");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn any_admin(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM principals WHERE role = 'admin' LIMIT 1",
            [],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Changes one column of a principal; returns false when the login is unknown.
/// A new password also ends the account's web sessions.
pub fn set_password_hash(conn: &Connection, login: &str, hash: &str) -> Result<bool> {
    let Some(principal) = by_login(conn, login)? else {
        return Ok(false);
    };
    conn.execute(
        "UPDATE principals SET password_hash = ?2 WHERE id = ?1",
        params![principal.id, hash],
    )?;
    super::sessions::delete_all_of(conn, principal.id)?;
    Ok(true)
}

pub fn set_display_name(conn: &Connection, login: &str, name: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE principals SET display_name = ?2 WHERE login = ?1",
        params![login, name],
    )? == 1)
}

pub fn set_disabled(conn: &Connection, login: &str, disabled: bool) -> Result<bool> {
    let Some(principal) = by_login(conn, login)? else {
        return Ok(false);
    };
    conn.execute(
        "UPDATE principals SET disabled = ?2 WHERE id = ?1",
        params![principal.id, disabled],
    )?;
    super::collections::touch_owner(conn, principal.id)?;
    Ok(true)
}

/// An organiser as the public directory shows it.
#[derive(Debug, Clone)]
pub struct PublicOrganiser {
    pub login: String,
    pub display_name: String,
    pub kind: String,
    pub commune: Option<String>,
    /// Category slugs, comma-separated as stored.
    pub categories: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
}

const CARD_COLUMNS: &str =
    "login, display_name, kind, commune, categories, email, phone, website, description";

fn card_from_row(row: &Row) -> rusqlite::Result<PublicOrganiser> {
    Ok(PublicOrganiser {
        login: row.get(0)?,
        display_name: row.get(1)?,
        kind: row.get(2)?,
        commune: row.get(3)?,
        categories: row.get(4)?,
        email: row.get(5)?,
        phone: row.get(6)?,
        website: row.get(7)?,
        description: row.get(8)?,
    })
}

/// Enabled organisers that publish, with their public details (as set by
/// `concord organiser set`), in login order.
pub fn publishing_organisers(conn: &Connection) -> Result<Vec<PublicOrganiser>> {
    let sql = format!(
        "SELECT {CARD_COLUMNS} FROM principals
         WHERE role = 'organiser' AND publishes = 1 AND disabled = 0 ORDER BY login"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], card_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One account's public card, whether it publishes or not.
pub fn public_card(conn: &Connection, login: &str) -> Result<Option<PublicOrganiser>> {
    let sql = format!("SELECT {CARD_COLUMNS} FROM principals WHERE login = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([login], card_from_row)
        .optional()?)
}

/// Accounts whose public card gives this e-mail address (case aside).
pub fn with_email(conn: &Connection, email: &str) -> Result<Vec<Principal>> {
    let sql = format!("SELECT {COLUMNS} FROM principals WHERE lower(email) = lower(?1)");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([email], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An organiser's public card, whether it publishes or not (the desk);
/// `None` for staff accounts.
pub fn details(conn: &Connection, login: &str) -> Result<Option<PublicOrganiser>> {
    let sql =
        format!("SELECT {CARD_COLUMNS} FROM principals WHERE login = ?1 AND role = 'organiser'");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([login], card_from_row)
        .optional()?)
}

/// Public details of an organiser; `None` fields are left as they are,
/// `Some("")` clears a text field.
#[derive(Debug, Default)]
pub struct Profile {
    pub kind: Option<String>,
    pub commune: Option<String>,
    pub categories: Option<Vec<String>>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub publishes: Option<bool>,
}

pub fn update_profile(conn: &Connection, login: &str, profile: &Profile) -> Result<bool> {
    let Some(principal) = by_login(conn, login)? else {
        return Ok(false);
    };
    let empty_is_null = |v: &Option<String>| v.as_ref().map(|v| (!v.is_empty()).then(|| v.clone()));
    let categories = profile.categories.as_ref().map(|c| Some(c.join(",")));
    let texts = [
        ("commune", empty_is_null(&profile.commune)),
        ("email", empty_is_null(&profile.email)),
        ("phone", empty_is_null(&profile.phone)),
        ("website", empty_is_null(&profile.website)),
        ("description", empty_is_null(&profile.description)),
        ("categories", categories),
    ];
    for (column, value) in texts {
        if let Some(value) = value {
            // Column names come from the fixed list above, never from input.
            let sql = format!("UPDATE principals SET {column} = ?2 WHERE id = ?1");
            conn.execute(&sql, params![principal.id, value])?;
        }
    }
    if let Some(kind) = &profile.kind {
        conn.execute(
            "UPDATE principals SET kind = ?2 WHERE id = ?1",
            params![principal.id, kind],
        )?;
    }
    if let Some(publishes) = profile.publishes {
        if publishes != principal.publishes {
            conn.execute(
                "UPDATE principals SET publishes = ?2 WHERE id = ?1",
                params![principal.id, publishes],
            )?;
            super::collections::touch_owner(conn, principal.id)?;
        }
    }
    Ok(true)
}
