//! Reading calendar objects through a scope: one calendar, or the
//! intercommunal view (every public event of every publishing organiser),
//! which names its members by object id so that hrefs stay stable whatever
//! the other organisers do.

use super::moderation;
use super::objects::{BusyInstance, ObjectMeta, StoredObject};
use super::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Collection(i64),
    /// Public events (CLASS absent or PUBLIC) of published calendars of
    /// enabled organisers who publish, as moderation lets the public see
    /// them (`moderation`: a change waiting for approval shows its
    /// approved version, a hidden event nothing).
    Public,
}

/// `PUBLISHED_CALENDARS` as a literal, so that `FIRST_COPY` can hold it
/// and stay a constant.
macro_rules! published_calendars {
    () => {
        "SELECT c.id FROM collections c JOIN principals p ON p.id = c.owner_id
     WHERE c.is_calendar = 1 AND c.published = 1 AND p.publishes = 1 AND p.disabled = 0
       AND p.role = 'organiser'"
    };
}

/// The calendars whose public events reach the intercommunal view.
pub const PUBLISHED_CALENDARS: &str = published_calendars!();

/// Condition on `o` keeping only the earliest public copy (lowest id) of
/// an event that several organisers put (co-organised: one invited the
/// other), so that public views show it once. Uses the `objects_by_uid`
/// index; co-organised events are rare, so the probe almost always finds
/// nothing. Named with INDEXED BY: left to itself, SQLite probed the
/// (collection_id, uid) index once per published calendar and object,
/// which made a month over the intercommunal calendar 2.6 times slower.
///
/// The earlier copy `e` counts when the public sees it in some version
/// (`moderation::seen_by_public`): an earlier copy whose change waits for
/// staff is shown, as its approved copy, in the place of the later ones;
/// a hidden one, or a new one still waiting, leaves its place to them.
pub const FIRST_COPY: &str = concat!(
    "NOT EXISTS (SELECT 1 FROM objects e INDEXED BY objects_by_uid WHERE e.uid = o.uid AND e.id < o.id
       AND e.class = 'PUBLIC' AND e.component = o.component
       AND e.collection_id IN (",
    published_calendars!(),
    ") AND ",
    moderation::seen_by_public!("e"),
    ")"
);

/// Condition on `o` (objects): the object may be shown to the public (it
/// is public and in a published calendar of a publishing organiser). The
/// one predicate every public output is built on (`Scope::Public`,
/// `public_occurrences`, the search), so that a new rule added here holds
/// for all of them.
pub fn public_object() -> String {
    format!(
        "o.class = 'PUBLIC' AND o.collection_id IN ({PUBLISHED_CALENDARS}) AND {}",
        moderation::VISIBLE
    )
}

impl Scope {
    /// SQL condition on `o` (objects); binds `?1` to `self.param()`.
    fn condition(self) -> String {
        match self {
            Scope::Collection(_) => "o.collection_id = ?1".into(),
            Scope::Public => format!("?1 = 0 AND {} AND {FIRST_COPY}", public_object()),
        }
    }

    fn param(self) -> i64 {
        match self {
            Scope::Collection(id) => id,
            Scope::Public => 0,
        }
    }

    fn name_expr(self) -> &'static str {
        match self {
            Scope::Collection(_) => "o.name",
            Scope::Public => "(o.id || '.ics')",
        }
    }

    fn select(self, extra: &str) -> String {
        format!(
            "SELECT o.id, {}, o.uid, o.component, o.seq, length(o.body), o.modified_at, o.expanded_until{extra}
             FROM objects o WHERE {}",
            self.name_expr(),
            self.condition()
        )
    }

    /// The object id a member name designates in the public view.
    fn public_id(name: &str) -> Option<i64> {
        name.strip_suffix(".ics")?.parse().ok()
    }

    /// SQL condition on `i` (instances) narrowing to the scope, binding `?1`.
    fn instance_condition(self) -> &'static str {
        match self {
            Scope::Collection(_) => "i.collection_id = ?1",
            Scope::Public => "?1 = 0",
        }
    }

    /// SQL condition selecting one member by name, binding `?2`.
    fn member_condition(self) -> &'static str {
        match self {
            Scope::Collection(_) => "o.name = ?2",
            Scope::Public => "o.id = ?2",
        }
    }
}

/// An `ObjectMeta` from the columns `Scope::select` reads (and the
/// approved copies' `moderation::SNAPSHOT_META`).
pub(super) fn meta_from_row(row: &Row) -> rusqlite::Result<ObjectMeta> {
    Ok(ObjectMeta {
        id: row.get(0)?,
        name: row.get(1)?,
        uid: row.get(2)?,
        component: row.get(3)?,
        seq: row.get(4)?,
        size: row.get(5)?,
        modified_at: row.get(6)?,
        expanded_until: row.get(7)?,
    })
}

fn member_key(scope: Scope, name: &str) -> Option<rusqlite::types::Value> {
    match scope {
        Scope::Collection(_) => Some(rusqlite::types::Value::Text(name.to_owned())),
        Scope::Public => Scope::public_id(name).map(rusqlite::types::Value::Integer),
    }
}

pub fn meta(conn: &Connection, scope: Scope, name: &str) -> Result<Option<ObjectMeta>> {
    let Some(key) = member_key(scope, name) else {
        return Ok(None);
    };
    let sql = format!("{} AND {}", scope.select(""), scope.member_condition());
    let found = conn
        .prepare_cached(&sql)?
        .query_row(params![scope.param(), key], meta_from_row)
        .optional()?;
    match (found, scope, Scope::public_id(name)) {
        (None, Scope::Public, Some(id)) => Ok(moderation::public_copy(conn, id)?.map(|(m, _)| m)),
        (found, _, _) => Ok(found),
    }
}

pub fn with_body(conn: &Connection, scope: Scope, name: &str) -> Result<Option<StoredObject>> {
    let Some(key) = member_key(scope, name) else {
        return Ok(None);
    };
    let sql = format!(
        "{} AND {}",
        scope.select(", o.body"),
        scope.member_condition()
    );
    let found = conn
        .prepare_cached(&sql)?
        .query_row(params![scope.param(), key], |row| {
            Ok((meta_from_row(row)?, row.get(8)?))
        })
        .optional()?;
    match (found, scope, Scope::public_id(name)) {
        (None, Scope::Public, Some(id)) => moderation::public_copy(conn, id),
        (found, _, _) => Ok(found),
    }
}

/// The stored body of an object found in the scope by an earlier query of
/// the same read transaction (its snapshot cannot have lost it). By id
/// alone: asking the scope's condition again for each object of a large
/// answer cost more than the answer (a month over the intercommunal
/// calendar: 1,060 objects, 25 ms of the scope's subqueries).
/// The version is the one `meta` names: for the public scope, that may be
/// the approved copy of an object whose change waits for staff.
pub fn body(conn: &Connection, meta: &ObjectMeta) -> Result<Option<Vec<u8>>> {
    let current = conn
        .prepare_cached("SELECT body FROM objects WHERE id = ?1 AND seq = ?2")?
        .query_row([meta.id, meta.seq], |row| row.get(0))
        .optional()?;
    match current {
        Some(body) => Ok(Some(body)),
        None => moderation::approved_body(conn, meta.id, meta.seq),
    }
}

/// Every member, in name order, or oldest change first with `by_seq`.
pub fn list(conn: &Connection, scope: Scope, by_seq: bool) -> Result<Vec<ObjectMeta>> {
    let order = if by_seq { "o.seq" } else { "o.name" };
    let sql = format!("{} ORDER BY {order}", scope.select(""));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([scope.param()], meta_from_row)?;
    let mut all: Vec<ObjectMeta> = rows.collect::<rusqlite::Result<_>>()?;
    if scope == Scope::Public {
        let copies = moderation::public_copies(conn)?;
        if !copies.is_empty() {
            all.extend(copies);
            match by_seq {
                true => all.sort_by_key(|m| m.seq),
                false => all.sort_by(|a, b| a.name.cmp(&b.name)),
            }
        }
    }
    Ok(all)
}

/// The latest change sequence number the scope can see: its ctag and sync
/// token.
pub fn current_seq(conn: &Connection, scope: Scope) -> Result<i64> {
    Ok(match scope {
        Scope::Collection(id) => conn
            .prepare_cached("SELECT sync_seq FROM collections WHERE id = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()?
            .unwrap_or(0),
        Scope::Public => conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM changes")?
            .query_row([], |row| row.get(0))?,
    })
}

/// Members changed after `since` with their last change, oldest first:
/// `Some(meta)` for those in the scope now, `None` for the others (deleted,
/// or no longer public).
pub fn changed_since(
    conn: &Connection,
    scope: Scope,
    since: i64,
) -> Result<Vec<(String, i64, Option<ObjectMeta>)>> {
    let mut out = Vec::new();
    match scope {
        Scope::Collection(id) => {
            for (name, seq, deleted) in super::collections::changes_since(conn, id, since)? {
                let current = if deleted {
                    None
                } else {
                    meta(conn, scope, &name)?
                };
                out.push((name, seq, current));
            }
        }
        Scope::Public => {
            let mut stmt = conn.prepare_cached(
                "SELECT object_id, max(seq) FROM changes WHERE seq > ?1 GROUP BY object_id ORDER BY 2",
            )?;
            let changed: Vec<(i64, i64)> = stmt
                .query_map([since], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (id, seq) in changed {
                let name = format!("{id}.ics");
                let current = meta(conn, scope, &name)?;
                out.push((name, seq, current));
            }
        }
    }
    Ok(out)
}

/// The longest instance in the index (see `index_stats`).
fn max_span(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT max_span FROM index_stats WHERE id = 1")?
        .query_row([], |row| row.get(0))?)
}

/// Members of a component type with an instance overlapping [start, end)
/// under RFC 4791 9.9 (a zero-length instance matches when it starts inside
/// the range), plus the series indexed only up to before `end` (the caller
/// expands those). `None` bounds are open. Only instances starting within
/// the longest instance span before `start` are scanned, so the cost grows
/// with the answer, not with the database.
pub fn overlapping(
    conn: &Connection,
    scope: Scope,
    component: Option<&str>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Vec<ObjectMeta>> {
    use rusqlite::types::Value;
    // Conditions are written only for the bounds given: an `?n IS NULL OR`
    // guard would keep SQLite from using the (collection, start) index.
    let mut values: Vec<Value> = vec![scope.param().into()];
    let mut bind = |value: Value| {
        values.push(value);
        format!("?{}", values.len())
    };
    let mut instance = vec![scope.instance_condition().to_owned()];
    if let Some(end) = end {
        let end = bind(end.into());
        instance.push(format!("i.start_utc < {end}"));
    }
    if let Some(start) = start {
        let earliest = bind((start - max_span(conn)?).into());
        let start = bind(start.into());
        instance.push(format!(
            "i.start_utc >= {earliest} AND (i.end_utc > {start} OR (i.end_utc = i.start_utc AND i.start_utc >= {start}))"
        ));
    }
    let kind = match component {
        Some(component) => format!(" AND o.component = {}", bind(component.to_owned().into())),
        None => String::new(),
    };
    // Without a range every member of the type matches, instances or not.
    let sql = if start.is_none() && end.is_none() {
        format!("{}{kind}", scope.select(""))
    } else {
        format!(
            "{}{kind} AND o.id IN (SELECT i.object_id FROM instances i WHERE {})",
            scope.select(""),
            instance.join(" AND ")
        )
    };
    let mut found: Vec<ObjectMeta> = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params_from_iter(&values), meta_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    // Series indexed only up to before `end`: asked apart, so that each
    // query keeps its own index (a UNION made SQLite scan every object).
    if let Some(end) = end {
        let mut values: Vec<Value> = vec![scope.param().into(), end.into()];
        let kind = match component {
            Some(component) => {
                values.push(component.to_owned().into());
                " AND o.component = ?3"
            }
            None => "",
        };
        // Through the `expanded_until` index: few objects are series
        // indexed up to a horizon, while the scope's condition alone made
        // SQLite walk every object of every published calendar (12 ms over
        // the intercommunal calendar, to find none).
        let sql = format!(
            "{}{kind} AND o.id IN (SELECT x.id FROM objects x WHERE x.expanded_until < ?2)",
            scope.select("")
        );
        let beyond: Vec<ObjectMeta> = conn
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(values), meta_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        for meta in beyond {
            if !found.iter().any(|m| m.id == meta.id) {
                found.push(meta);
            }
        }
    }
    // RFC 4791 9.9: a VTODO with neither DTSTART, DUE, COMPLETED nor
    // CREATED has no instance and matches every range; one with CREATED
    // alone matches every range that ends after it, however long before
    // the range it was created (its span is open, and `max_span` leaves it
    // out). Both are asked apart, through the index of to-dos alone.
    if matches!(component, None | Some("VTODO")) && (start.is_some() || end.is_some()) {
        let mut values: Vec<Value> = vec![scope.param().into(), crate::ical::OPEN_END.into()];
        let before_end = match end {
            Some(end) => {
                values.push(end.into());
                " AND i.start_utc < ?3"
            }
            None => "",
        };
        let sql = format!(
            "{} AND o.component = 'VTODO' AND (
                 NOT EXISTS (SELECT 1 FROM instances i WHERE i.object_id = o.id)
                 OR EXISTS (SELECT 1 FROM instances i WHERE i.object_id = o.id AND i.end_utc = ?2{before_end}))",
            scope.select("")
        );
        let timeless: Vec<ObjectMeta> = conn
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(values), meta_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        for meta in timeless {
            if !found.iter().any(|m| m.id == meta.id) {
                found.push(meta);
            }
        }
    }
    if scope == Scope::Public {
        found.extend(moderation::public_copies_overlapping(
            conn, component, start, end,
        )?);
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Opaque, not cancelled VEVENT instances overlapping [start, end).
pub fn busy_between(
    conn: &Connection,
    scope: Scope,
    start: i64,
    end: i64,
) -> Result<Vec<BusyInstance>> {
    let sql = format!(
        "SELECT i.start_utc, i.end_utc, o.status FROM instances i JOIN objects o ON o.id = i.object_id
         WHERE {} AND i.start_utc < ?3 AND i.end_utc > ?2
           AND i.cancelled = 0 AND i.transparent = 0 AND o.component = 'VEVENT'
         ORDER BY i.start_utc",
        scope.condition()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![scope.param(), start, end], |row| {
        Ok(BusyInstance {
            start: row.get(0)?,
            end: row.get(1)?,
            tentative: row.get::<_, Option<String>>(2)?.as_deref() == Some("TENTATIVE"),
        })
    })?;
    let mut busy: Vec<BusyInstance> = rows.collect::<rusqlite::Result<_>>()?;
    if scope == Scope::Public {
        busy.extend(moderation::public_copy_busy(conn, start, end)?);
        busy.sort_by_key(|b| b.start);
    }
    Ok(busy)
}

/// Every body in the scope, in name order (exports).
pub fn all_bodies(conn: &Connection, scope: Scope) -> Result<Vec<Vec<u8>>> {
    let sql = format!(
        "SELECT o.body FROM objects o WHERE {} ORDER BY o.name",
        scope.condition()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([scope.param()], |row| row.get(0))?;
    let mut bodies: Vec<Vec<u8>> = rows.collect::<rusqlite::Result<_>>()?;
    if scope == Scope::Public {
        bodies.extend(moderation::public_copy_bodies(conn)?);
    }
    Ok(bodies)
}

/// One public event as feeds need it: of a co-organised event, the
/// earliest copy, with every organiser.
pub struct FeedItem {
    pub id: i64,
    /// Read only for the items the caller keeps.
    pub body: Vec<u8>,
    pub modified_at: i64,
    /// The event's CATEGORIES, comma-joined as stored.
    pub categories: String,
    pub summary: String,
    pub location: Option<String>,
    /// Its organisers, the earliest copy's first.
    pub organisers: Vec<Arc<OrganiserCard>>,
}

/// The public copies of events that several organisers put (the same UID),
/// by UID, earliest copy first: (object id, organiser).
pub type CoOrganised = HashMap<String, Vec<(i64, Arc<OrganiserCard>)>>;

/// Every co-organised public event, whatever its dates (a copy's dates may
/// differ from the others'). Few events are: the UID index answers which.
pub fn co_organised(conn: &Connection) -> Result<CoOrganised> {
    co_organised_where(
        conn,
        "SELECT uid FROM objects GROUP BY uid HAVING count(*) > 1",
        None,
    )
}

/// The co-organised public events among some UIDs (see `co_organised`):
/// what one page of occurrences or one event needs. One probe of the UID
/// index per UID instead of grouping every object: on the benchmark's
/// 20,000 events, 0.3 ms for a week's 600 UIDs instead of 1.6-2 ms, most
/// of the difference between a fresh agenda page and a cached one.
pub fn co_organised_among<'a>(
    conn: &Connection,
    uids: impl IntoIterator<Item = &'a str>,
) -> Result<CoOrganised> {
    let uids: Vec<&str> = uids.into_iter().collect();
    if uids.is_empty() {
        return Ok(CoOrganised::new());
    }
    // The list as one bound JSON array: its length varies from page to page.
    let list = serde_json::Value::from(uids).to_string();
    co_organised_where(
        conn,
        "SELECT j.value FROM json_each(?1) j
         WHERE (SELECT count(*) FROM objects x INDEXED BY objects_by_uid WHERE x.uid = j.value) > 1",
        Some(list),
    )
}

/// The public copies whose UID `shared_uids` (SQL, binding `?1` to
/// `param` if any) selects, grouped by UID, the groups of one left out.
/// A copy counts when the public sees it in some version, its approved
/// one included (as `FIRST_COPY` counts them), so that the agenda and the
/// feeds keep the same copy.
fn co_organised_where(
    conn: &Connection,
    shared_uids: &str,
    param: Option<String>,
) -> Result<CoOrganised> {
    let sql = format!(
        "SELECT o.uid, o.id, {CARD_COLUMNS}
         FROM objects o JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
         WHERE o.class = 'PUBLIC' AND o.collection_id IN ({PUBLISHED_CALENDARS})
           AND {} AND o.uid IN ({shared_uids})
         ORDER BY o.uid, o.id",
        moderation::seen_by_public!("o")
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = match &param {
        Some(param) => stmt.query([param])?,
        None => stmt.query([])?,
    };
    let mut cards = Cards::default();
    let mut groups: CoOrganised = HashMap::new();
    while let Some(row) = rows.next()? {
        let card = cards.card(row, 2)?;
        groups
            .entry(row.get(0)?)
            .or_default()
            .push((row.get(1)?, card));
    }
    groups.retain(|_, copies| copies.len() > 1);
    Ok(groups)
}

/// The organisers of a co-organised event, each once, earliest copy's first.
fn organisers_of(copies: &[(i64, Arc<OrganiserCard>)]) -> Vec<Arc<OrganiserCard>> {
    let mut out: Vec<Arc<OrganiserCard>> = Vec::with_capacity(copies.len());
    for (_, card) in copies {
        if !out.iter().any(|c| c.login == card.login) {
            out.push(card.clone());
        }
    }
    out
}

/// Public events with an instance in [from, to), each once (see
/// `co_organised`), optionally only those one of the given organisers
/// (logins) runs, and only those `keep` keeps (bodies are read for those
/// alone).
pub fn feed_items(
    conn: &Connection,
    from: i64,
    to: i64,
    organisers: &[String],
    keep: &mut dyn FnMut(&FeedItem) -> bool,
) -> Result<Vec<FeedItem>> {
    let groups = co_organised(conn)?;
    // Placeholders for the optional lists follow ?1..?4; values are bound.
    let placeholders = |offset: usize, count: usize| {
        (0..count)
            .map(|i| format!("?{}", offset + i))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut extra = String::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    if !organisers.is_empty() {
        // An organiser's events include those it co-organises, whose
        // earliest copy is another organiser's.
        let shared: Vec<i64> = groups
            .values()
            .filter(|copies| copies.iter().any(|(_, c)| organisers.contains(&c.login)))
            .map(|copies| copies[0].0)
            .collect();
        extra += &format!(" AND (p.login IN ({})", placeholders(5, organisers.len()));
        if !shared.is_empty() {
            extra += &format!(
                " OR o.id IN ({})",
                placeholders(5 + organisers.len(), shared.len())
            );
        }
        extra += ")";
        values.extend(organisers.iter().map(|v| v.clone().into()));
        values.extend(shared.into_iter().map(Into::into));
    }
    let span = max_span(conn)?;
    let sql = format!(
        "SELECT o.id, o.uid, o.modified_at, coalesce(o.categories, ''), coalesce(o.summary, ''), o.location,
                {CARD_COLUMNS}
         FROM objects o JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
         WHERE {}
           AND o.id IN (
               SELECT i.object_id FROM instances i
               WHERE i.start_utc < ?3 AND i.start_utc >= ?2 - ?4
                 AND (i.end_utc > ?2 OR (i.end_utc = i.start_utc AND i.start_utc >= ?2))
               UNION
               SELECT x.id FROM objects x WHERE x.expanded_until < ?3){extra}
         ORDER BY o.id",
        Scope::Public.condition()
    );
    let mut bound: Vec<rusqlite::types::Value> = vec![
        Scope::Public.param().into(),
        from.into(),
        to.into(),
        span.into(),
    ];
    bound.extend(values);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(bound))?;
    let mut cards = Cards::default();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let uid: String = row.get(1)?;
        let card = cards.card(row, 6)?;
        let item = FeedItem {
            id: row.get(0)?,
            body: Vec::new(),
            modified_at: row.get(2)?,
            categories: row.get(3)?,
            summary: row.get(4)?,
            location: row.get(5)?,
            organisers: match groups.get(&uid) {
                Some(copies) => organisers_of(copies),
                None => vec![card],
            },
        };
        if keep(&item) {
            out.push(item);
        }
    }
    let mut body = conn.prepare_cached("SELECT body FROM objects WHERE id = ?1")?;
    for item in &mut out {
        item.body = body.query_row([item.id], |row| row.get(0))?;
    }
    let copies = moderation::public_copy_feed_items(conn, from, to, organisers)?;
    if !copies.is_empty() {
        out.extend(copies.into_iter().filter(|item| keep(item)));
        out.sort_by_key(|item| item.id);
    }
    Ok(out)
}

/// The organiser columns `Cards::card` reads, from `p` (principals).
pub(super) const CARD_COLUMNS: &str =
    "p.id, p.login, p.display_name, coalesce(p.commune, ''), coalesce(p.categories, ''),
                p.email, p.phone, p.website";

/// Organisers' cards read from rows, one per organiser.
#[derive(Default)]
pub(super) struct Cards(HashMap<i64, Arc<OrganiserCard>>);

impl Cards {
    /// The card whose `CARD_COLUMNS` start at `at`.
    pub(super) fn card(&mut self, row: &Row, at: usize) -> rusqlite::Result<Arc<OrganiserCard>> {
        let principal: i64 = row.get(at)?;
        if let Some(card) = self.0.get(&principal) {
            return Ok(card.clone());
        }
        let card = Arc::new(OrganiserCard {
            login: row.get(at + 1)?,
            name: row.get(at + 2)?,
            commune: row.get(at + 3)?,
            categories: row.get(at + 4)?,
            email: row.get(at + 5)?,
            phone: row.get(at + 6)?,
            website: row.get(at + 7)?,
        });
        self.0.insert(principal, card.clone());
        Ok(card)
    }
}

/// One occurrence of an organiser's event, with what conflict rules need.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub start: i64,
    pub end: i64,
    pub all_day: bool,
    pub recurrence_id: Option<i64>,
    pub object_id: i64,
    pub seq: i64,
    /// Text shared by the occurrences of one event (and cards by the events
    /// of one organiser): a year holds tens of thousands of occurrences.
    pub summary: Option<Arc<str>>,
    pub location: Option<Arc<str>>,
    pub categories: Arc<str>,
    pub public: bool,
    pub cancelled: bool,
    /// TRANSP:TRANSPARENT ("free"): it does not block its organiser's time.
    pub transparent: bool,
    pub uid: Arc<str>,
    /// STATUS:TENTATIVE on the event (its master component): a date still
    /// to be confirmed.
    pub tentative: bool,
    pub organiser: Arc<OrganiserCard>,
    /// Every organiser of a co-organised public event (the same UID put by
    /// several), `organiser` first; `None` for the others.
    pub co_organisers: Option<Arc<[Arc<OrganiserCard>]>>,
}

impl Occurrence {
    /// Its organisers: one, or those of a co-organised event.
    pub fn organisers(&self) -> &[Arc<OrganiserCard>] {
        match &self.co_organisers {
            Some(all) => all,
            None => std::slice::from_ref(&self.organiser),
        }
    }
}

/// An organiser as shown to others: name and contact.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrganiserCard {
    pub login: String,
    pub name: String,
    pub commune: String,
    #[serde(skip)]
    pub categories: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

/// Not cancelled VEVENT occurrences of enabled organisers that overlap
/// [from, to), in start order; transparent ones too (conflict rules decide
/// what transparency means to them).
pub fn occurrences(conn: &Connection, from: i64, to: i64) -> Result<Vec<Occurrence>> {
    occurrences_where(conn, from, to, "i.cancelled = 0", "1")
}

/// Occurrences of public events only (the public agenda page): what the
/// intercommunal view shows, cancelled ones included so people see them.
/// A co-organised event appears once, as its earliest copy, with all its
/// organisers.
pub fn public_occurrences(conn: &Connection, from: i64, to: i64) -> Result<Vec<Occurrence>> {
    let condition = public_object();
    let mut all = occurrences_where(conn, from, to, "1", &condition)?;
    let copies = moderation::public_copy_occurrences(conn, from, to)?;
    if !copies.is_empty() {
        all.extend(copies);
        all.sort_by_key(|o| (o.start, o.object_id));
    }
    let uids: std::collections::HashSet<&str> = all.iter().map(|o| &*o.uid).collect();
    let groups = co_organised_among(conn, uids)?;
    if groups.is_empty() {
        return Ok(all);
    }
    let mut organisers: HashMap<i64, Arc<[Arc<OrganiserCard>]>> = HashMap::new();
    all.retain_mut(|occurrence| {
        let Some(copies) = groups.get(&*occurrence.uid) else {
            return true;
        };
        if copies[0].0 != occurrence.object_id {
            return false;
        }
        let all = organisers
            .entry(copies[0].0)
            .or_insert_with(|| Arc::from(organisers_of(copies)))
            .clone();
        occurrence.co_organisers = (all.len() > 1).then_some(all);
        true
    });
    Ok(all)
}

/// Instances overlapping [from, to) that pass `instance_condition` (on
/// `i`), of events that pass `event_condition` (on `o`).
///
/// Read in two steps, in one snapshot: the instances from their covering
/// index, then each event once, in id order. Joining every instance to its
/// event row made SQLite walk the objects table from its root once per
/// instance, in time order, which is random order for that table.
fn occurrences_where(
    conn: &Connection,
    from: i64,
    to: i64,
    instance_condition: &str,
    event_condition: &str,
) -> Result<Vec<Occurrence>> {
    // A savepoint, not BEGIN: callers may already be in a transaction.
    conn.execute_batch("SAVEPOINT occurrences")?;
    let read = occurrences_in_snapshot(conn, from, to, instance_condition, event_condition);
    conn.execute_batch("RELEASE occurrences")?;
    read
}

fn occurrences_in_snapshot(
    conn: &Connection,
    from: i64,
    to: i64,
    instance_condition: &str,
    event_condition: &str,
) -> Result<Vec<Occurrence>> {
    let span = max_span(conn)?;
    let in_range = format!(
        "i.start_utc < ?2 AND i.end_utc >= ?1 AND i.start_utc >= ?1 - ?3 AND {instance_condition}"
    );
    let events = events_of_instances(conn, (from, to, span), &in_range, event_condition)?;
    let sql = format!(
        "SELECT i.start_utc, i.end_utc, i.all_day, i.recurrence_id, i.object_id, i.cancelled, i.transparent
         FROM instances i WHERE {in_range} ORDER BY i.start_utc, i.object_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![from, to, span])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let object_id: i64 = row.get(4)?;
        // Instances of other kinds of objects, or of calendars out of view.
        let Some(event) = events.get(&object_id) else {
            continue;
        };
        out.push(Occurrence {
            start: row.get(0)?,
            end: row.get(1)?,
            all_day: row.get(2)?,
            recurrence_id: row.get(3)?,
            object_id,
            seq: event.seq,
            summary: event.summary.clone(),
            location: event.location.clone(),
            categories: event.categories.clone(),
            public: event.public,
            cancelled: row.get(5)?,
            transparent: row.get(6)?,
            uid: event.uid.clone(),
            tentative: event.tentative,
            organiser: event.organiser.clone(),
            co_organisers: None,
        });
    }
    Ok(out)
}

/// What the occurrences of one event share: text (and the organiser's
/// card, shared by the events of one organiser), read once per event.
struct EventText {
    seq: i64,
    summary: Option<Arc<str>>,
    location: Option<Arc<str>>,
    categories: Arc<str>,
    public: bool,
    uid: Arc<str>,
    tentative: bool,
    organiser: Arc<OrganiserCard>,
}

/// The organisers' VEVENTs with an instance matching `in_range` (binding
/// ?1..?3 to `bounds`), by object id.
fn events_of_instances(
    conn: &Connection,
    bounds: (i64, i64, i64),
    in_range: &str,
    event_condition: &str,
) -> Result<HashMap<i64, EventText>> {
    let sql = format!(
        "SELECT o.id, o.seq, o.summary, o.location, coalesce(o.categories, ''), o.class, o.uid,
                {CARD_COLUMNS}, o.status
         FROM objects o JOIN collections c ON c.id = o.collection_id
              JOIN principals p ON p.id = c.owner_id
         WHERE o.id IN (SELECT i.object_id FROM instances i WHERE {in_range})
           AND o.component = 'VEVENT' AND c.is_calendar = 1 AND c.managed = 0
           AND p.role = 'organiser' AND p.disabled = 0 AND {event_condition}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![bounds.0, bounds.1, bounds.2])?;
    let mut cards = Cards::default();
    let mut events = HashMap::new();
    while let Some(row) = rows.next()? {
        let organiser = cards.card(row, 7)?;
        events.insert(
            row.get(0)?,
            EventText {
                seq: row.get(1)?,
                summary: shared_text(row, 2)?,
                location: shared_text(row, 3)?,
                categories: shared_text(row, 4)?.unwrap_or_else(|| Arc::from("")),
                public: row
                    .get_ref(5)?
                    .as_str()
                    .is_ok_and(|class| class == "PUBLIC"),
                uid: shared_text(row, 6)?.unwrap_or_else(|| Arc::from("")),
                tentative: row
                    .get_ref(15)?
                    .as_str()
                    .is_ok_and(|status| status == "TENTATIVE"),
                organiser,
            },
        );
    }
    Ok(events)
}

/// A text column straight into shared text, without an owned copy first.
fn shared_text(row: &Row, column: usize) -> rusqlite::Result<Option<Arc<str>>> {
    Ok(row.get_ref(column)?.as_str_or_null()?.map(Arc::from))
}

/// The earliest start and latest end of the instances of some objects.
pub fn instance_bounds(conn: &Connection, object_ids: &[i64]) -> Result<Option<(i64, i64)>> {
    let mut bounds: Option<(i64, i64)> = None;
    let mut stmt = conn.prepare_cached(
        "SELECT min(start_utc), max(end_utc) FROM instances WHERE object_id = ?1",
    )?;
    for id in object_ids {
        let (start, end): (Option<i64>, Option<i64>) =
            stmt.query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if let (Some(start), Some(end)) = (start, end) {
            bounds = Some(match bounds {
                Some((s, e)) => (s.min(start), e.max(end)),
                None => (start, end),
            });
        }
    }
    Ok(bounds)
}

// ---------------------------------------------------------------------
// One public event, for its page (`/evenements/{uid}`).

/// A public event found by its UID: the copy every public view shows (the
/// earliest of a co-organised event), its body and every organiser.
pub struct PublicEvent {
    pub meta: ObjectMeta,
    pub body: Vec<u8>,
    pub summary: Option<String>,
    pub location: Option<String>,
    /// CATEGORIES, comma-joined as stored.
    pub categories: String,
    pub tentative: bool,
    /// Its organisers, the shown copy's first.
    pub organisers: Vec<Arc<OrganiserCard>>,
}

/// The public VEVENT with this UID, if the public may see it.
pub fn public_event(conn: &Connection, uid: &str) -> Result<Option<PublicEvent>> {
    let sql = format!(
        "SELECT o.id, o.id || '.ics', o.uid, o.component, o.seq, length(o.body), o.modified_at,
                o.expanded_until, o.body, o.summary, o.location, coalesce(o.categories, ''), o.status,
                {CARD_COLUMNS}
         FROM objects o JOIN collections c ON c.id = o.collection_id JOIN principals p ON p.id = c.owner_id
         WHERE {} AND o.uid = ?2 AND o.component = 'VEVENT'",
        Scope::Public.condition()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let found = stmt
        .query_row(params![Scope::Public.param(), uid], |row| {
            Ok(PublicEvent {
                meta: meta_from_row(row)?,
                body: row.get(8)?,
                summary: row.get(9)?,
                location: row.get(10)?,
                categories: row.get(11)?,
                tentative: row.get::<_, Option<String>>(12)?.as_deref() == Some("TENTATIVE"),
                organisers: vec![Cards::default().card(row, 13)?],
            })
        })
        .optional()?;
    let Some(mut event) = found else {
        return Ok(None);
    };
    if let Some(copies) = co_organised_among(conn, [uid])?.get(uid) {
        event.organisers = organisers_of(copies);
    }
    Ok(Some(event))
}

/// An instance of one event, as its page lists them.
#[derive(Debug, Clone, Copy)]
pub struct EventInstance {
    pub start: i64,
    pub end: i64,
    pub all_day: bool,
    pub recurring: bool,
    pub cancelled: bool,
}

/// Up to `limit` instances of an object that end after `after`, in start
/// order (the caller found the object through a public view).
pub fn instances_of(
    conn: &Connection,
    object_id: i64,
    after: i64,
    limit: usize,
) -> Result<Vec<EventInstance>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start_utc, end_utc, all_day, recurrence_id IS NOT NULL, cancelled FROM instances
         WHERE object_id = ?1 AND (end_utc > ?2 OR start_utc >= ?2) ORDER BY start_utc LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![object_id, after, limit as i64], |row| {
        Ok(EventInstance {
            start: row.get(0)?,
            end: row.get(1)?,
            all_day: row.get(2)?,
            recurring: row.get(3)?,
            cancelled: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
