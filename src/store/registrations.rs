//! Registrations: associations, town halls and services that came forward
//! (`/inscription`) and wait for staff to approve or reject them
//! (`crate::registration` carries the decisions out).

use super::{now, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    fn parse(text: &str) -> Status {
        match text {
            "approved" => Status::Approved,
            "rejected" => Status::Rejected,
            _ => Status::Pending,
        }
    }
}

/// What a registration form holds, checked already.
#[derive(Debug, Clone, Default)]
pub struct NewRegistration {
    pub name: String,
    /// association, commune or service.
    pub kind: String,
    /// A commune slug from config.toml (any text when none is configured).
    pub commune: Option<String>,
    pub contact_name: String,
    pub email: String,
    pub phone: Option<String>,
    /// Category slugs from config.toml.
    pub categories: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub id: i64,
    pub form: NewRegistration,
    pub status: Status,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    /// The organiser made for it, or linked to it, when approved.
    pub principal_id: Option<i64>,
}

const COLUMNS: &str = "id, name, kind, commune, contact_name, email, phone, categories,
     description, status, created_at, decided_at, reason, principal_id";

fn from_row(row: &Row) -> rusqlite::Result<Registration> {
    let categories: Option<String> = row.get(7)?;
    Ok(Registration {
        id: row.get(0)?,
        form: NewRegistration {
            name: row.get(1)?,
            kind: row.get(2)?,
            commune: row.get(3)?,
            contact_name: row.get(4)?,
            email: row.get(5)?,
            phone: row.get(6)?,
            categories: categories
                .unwrap_or_default()
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            description: row.get(8)?,
        },
        status: Status::parse(&row.get::<_, String>(9)?),
        created_at: row.get(10)?,
        decided_at: row.get(11)?,
        reason: row.get(12)?,
        principal_id: row.get(13)?,
    })
}

pub fn insert(conn: &Connection, new: &NewRegistration) -> Result<i64> {
    let categories = (!new.categories.is_empty()).then(|| new.categories.join(","));
    conn.execute(
        "INSERT INTO registrations (name, kind, commune, contact_name, email, phone, categories,
             description, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.name,
            new.kind,
            new.commune,
            new.contact_name,
            new.email,
            new.phone,
            categories,
            new.description,
            now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Registration>> {
    let sql = format!("SELECT {COLUMNS} FROM registrations WHERE id = ?1");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], from_row)
        .optional()?)
}

/// Registrations in the order they came, only those of one status when
/// given.
pub fn list(conn: &Connection, status: Option<Status>) -> Result<Vec<Registration>> {
    let sql =
        format!("SELECT {COLUMNS} FROM registrations WHERE ?1 IS NULL OR status = ?1 ORDER BY id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([status.map(Status::as_str)], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records the approval; false when the registration is not pending
/// (decided meanwhile, or unknown).
pub fn mark_approved(conn: &Connection, id: i64, principal_id: i64) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE registrations SET status = 'approved', decided_at = ?2, principal_id = ?3
         WHERE id = ?1 AND status = 'pending'",
        params![id, now(), principal_id],
    )? == 1)
}

/// Records the refusal and its reason; false when not pending.
pub fn mark_rejected(conn: &Connection, id: i64, reason: &str) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE registrations SET status = 'rejected', decided_at = ?2, reason = ?3
         WHERE id = ?1 AND status = 'pending'",
        params![id, now(), reason],
    )? == 1)
}

/// The contact address of the approved registration an account was made
/// from (or linked to), the latest first.
pub fn contact_emails_of(conn: &Connection, principal_id: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT email FROM registrations WHERE principal_id = ?1 AND status = 'approved'
         ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([principal_id], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Accounts whose approved registration gave this contact address
/// (compared without regard to case).
pub fn principals_with_contact(conn: &Connection, email: &str) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT principal_id FROM registrations
         WHERE status = 'approved' AND principal_id IS NOT NULL AND lower(email) = lower(?1)",
    )?;
    let rows = stmt.query_map([email], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
