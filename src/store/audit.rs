//! The audit log: every action staff take in the desk (who, when, what,
//! on what, why), written in the same transaction as the action itself,
//! so that no change goes unrecorded and no record tells of a change that
//! was undone.

use super::{now, Result};
use rusqlite::{params, Connection};

/// One recorded action.
#[derive(Debug, Clone)]
pub struct Action {
    pub id: i64,
    pub at: i64,
    /// The staff member's login.
    pub actor: String,
    /// What was done: one of [`ACTIONS`].
    pub action: String,
    /// What it was done to: an object id, a login, a conflict key...
    pub subject: String,
    /// The subject as people read it, and what changed.
    pub detail: String,
    pub reason: String,
}

/// Every kind of action, with its French label for the desk.
pub const ACTIONS: &[(&str, &str)] = &[
    ("approve", "Événement validé"),
    ("hide", "Événement masqué"),
    ("unhide", "Événement rétabli"),
    ("policy", "Modération d'un organisateur"),
    ("acknowledge", "Conflit marqué vu"),
    ("unacknowledge", "Conflit de nouveau à voir"),
    ("organiser-card", "Fiche publique modifiée"),
    ("organiser-disable", "Organisateur désactivé"),
    ("organiser-enable", "Organisateur réactivé"),
    ("calendar-publish", "Agenda publié"),
    ("calendar-withdraw", "Agenda retiré"),
    ("venue-add", "Lieu ajouté"),
    ("venue-alias", "Autre nom d'un lieu ajouté"),
    ("registration-approve", "Inscription acceptée"),
    ("registration-reject", "Inscription refusée"),
    ("organiser-link", "Nouveau lien d'activation"),
    ("agenda-mark", "Agenda trimestriel : mise en avant ou ordre"),
    ("agenda-export", "Agenda trimestriel exporté"),
    ("subscription-add", "Agenda importé ajouté"),
    ("subscription-refresh", "Agenda importé actualisé"),
    ("subscription-remove", "Agenda importé supprimé"),
];

/// The actions that are moderation decisions (listed on their own page).
pub const MODERATION: &[&str] = &["approve", "hide", "unhide", "policy"];

pub fn label(action: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .map(|(_, label)| *label)
        .unwrap_or(action)
}

pub fn record(
    conn: &Connection,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    reason: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO staff_actions (at, actor, action, subject, detail, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![now(), actor, action, subject, detail, reason])?;
    Ok(())
}

/// The most recent actions first, only those of `actions` when not empty,
/// at most `limit` of them, older than `before` (an id) when given.
pub fn list(
    conn: &Connection,
    actions: &[&str],
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<Action>> {
    use rusqlite::types::Value;
    let mut values: Vec<Value> = vec![before.unwrap_or(i64::MAX).into(), (limit as i64).into()];
    let filter = if actions.is_empty() {
        String::new()
    } else {
        let placeholders: Vec<String> = actions
            .iter()
            .map(|a| {
                values.push(Value::Text((*a).to_owned()));
                format!("?{}", values.len())
            })
            .collect();
        format!(" AND action IN ({})", placeholders.join(", "))
    };
    let sql = format!(
        "SELECT id, at, actor, action, subject, detail, reason FROM staff_actions
         WHERE id < ?1{filter} ORDER BY id DESC LIMIT ?2"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| {
        Ok(Action {
            id: row.get(0)?,
            at: row.get(1)?,
            actor: row.get(2)?,
            action: row.get(3)?,
            subject: row.get(4)?,
            detail: row.get(5)?,
            reason: row.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
