//! `concord import ...`: subscriptions of organisers' calendars to
//! external ICS feeds. `add` and `run` fetch from this process, writing
//! to the database the server reads (it notices within a fraction of a
//! second, as for every command).

use crate::config::Config;
use crate::import::{self, schedule, NewSubscription, Outcome};
use crate::store::subscriptions::{self, Subscription};
use crate::store::{accounts, in_transaction, open_connection, Store};

/// What `import add` is given.
#[derive(clap::Args)]
pub struct Add {
    pub login: String,
    pub url: String,
    /// The calendar's name in the organiser's home (default: import).
    #[arg(long)]
    pub name: Option<String>,
    /// How often to fetch, e.g. 30m, 1h, 1d (default: the feed's
    /// REFRESH-INTERVAL, else [import] default_interval_minutes).
    #[arg(long)]
    pub every: Option<String>,
    /// Keeps the calendar out of the public outputs.
    #[arg(long)]
    pub private: bool,
    /// Leaves the first import to the running server (the host is not
    /// looked up now: it may be added offline).
    #[arg(long)]
    pub no_fetch: bool,
}

pub fn add(config: &Config, add: Add) -> Result<String, String> {
    let every_seconds = add
        .every
        .as_deref()
        .map(schedule::parse_every)
        .transpose()?;
    // As the pages do: a private address, or a host that does not
    // resolve, is refused before anything is recorded. Without a fetch
    // the network may be away (a server being set up): no DNS then; the
    // server's first fetch checks the addresses.
    if add.no_fetch {
        import::check_written_address(config, &add.url)
    } else {
        block_on(import::check_address(config, &add.url))?
    }
    .map_err(|refusal| refusal.to_string())?;
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let created = in_transaction(&mut conn, |tx| {
        let Some(owner) = accounts::by_login(tx, &add.login)? else {
            return Ok(Err(format!("no account with the login {:?}", add.login)));
        };
        import::subscribe(
            tx,
            config,
            &NewSubscription {
                owner: &owner,
                url: &add.url,
                name: add.name.as_deref(),
                every_seconds,
                published: !add.private,
                fetched_by_caller: !add.no_fetch,
            },
        )
        .map(|refused| refused.map_err(|refusal| refusal.to_string()))
    })
    .map_err(|e| e.to_string())??;
    drop(conn);
    let subscription = one(config, created)?;
    let mut out = format!(
        "subscription {created}: {} -> /dav/calendars/{}/{}/{}\n",
        subscription.url,
        subscription.login,
        subscription.path,
        if add.private { " (not published)" } else { "" }
    );
    if add.no_fetch {
        out.push_str("first import left to the server\n");
        return Ok(out);
    }
    match run_many(config, vec![created])?.remove(0).1 {
        Outcome::Failed(error) => out.push_str(&format!(
            "first import failed: {error}\nthe subscription stays and is retried on schedule (`concord import remove {created}` drops it)\n"
        )),
        outcome => out.push_str(&format!("first import: {outcome}\n")),
    }
    Ok(out)
}

fn one(config: &Config, id: i64) -> Result<Subscription, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    subscriptions::get(&conn, id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no subscription {id}"))
}

pub fn list(config: &Config) -> Result<String, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let all = subscriptions::list(&conn).map_err(|e| e.to_string())?;
    if all.is_empty() {
        return Ok("no subscriptions\n".into());
    }
    let tz = config.timezone().unwrap_or(chrono_tz::Europe::Paris);
    let when = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let minutes = |seconds: i64| format!("{} min", seconds / 60);
    let mut out = String::new();
    for s in all {
        let interval = schedule::interval(&config.import, s.every_seconds, s.feed_seconds);
        out.push_str(&format!(
            "{} {}/{}{} every {}{} {}\n",
            s.id,
            s.login,
            s.path,
            if s.published { "" } else { " (not published)" },
            minutes(interval),
            match (s.every_seconds, s.feed_seconds) {
                (Some(_), _) => " (chosen)",
                (None, Some(_)) => " (the feed's)",
                (None, None) => "",
            },
            s.url
        ));
        match s.last_success_at {
            Some(at) => out.push_str(&format!(
                "    last success {}: {} events{}\n",
                when(at),
                s.events,
                match s.skipped.len() {
                    0 => String::new(),
                    n => format!(", {n} skipped"),
                }
            )),
            None => out.push_str("    never imported\n"),
        }
        for line in &s.skipped {
            out.push_str(&format!("    skipped {line}\n"));
        }
        if let (Some(since), Some(error)) = (s.failing_since, &s.last_error) {
            out.push_str(&format!(
                "    failing since {} ({} failures): {error}\n",
                when(since),
                s.failures
            ));
        }
        out.push_str(&format!("    next {}\n", when(s.next_at)));
    }
    Ok(out)
}

/// The subscription `key` names: its id, `LOGIN/NAME`, or a calendar name
/// only one subscription has.
fn find(config: &Config, key: &str) -> Result<Subscription, String> {
    let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    let all = subscriptions::list(&conn).map_err(|e| e.to_string())?;
    let matching: Vec<Subscription> = all
        .into_iter()
        .filter(|s| {
            key.parse::<i64>().ok() == Some(s.id)
                || key == format!("{}/{}", s.login, s.path)
                || key == s.path
        })
        .collect();
    match matching.len() {
        1 => Ok(matching.into_iter().next().expect("one")),
        0 => Err(format!(
            "no subscription {key:?} (see `concord import list`)"
        )),
        _ => Err(format!(
            "{key:?} names several subscriptions: use the id or LOGIN/NAME"
        )),
    }
}

pub fn remove(config: &Config, key: &str) -> Result<String, String> {
    let subscription = find(config, key)?;
    let mut conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
    in_transaction(&mut conn, |tx| subscriptions::remove(tx, &subscription))
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "subscription {} removed with its calendar {}/{}",
        subscription.id, subscription.login, subscription.path
    ))
}

/// `import run [KEY]`: fetches now, whatever the schedule; fails when a
/// feed failed, so that scripts notice.
pub fn run(config: &Config, key: Option<&str>) -> Result<String, String> {
    let subscriptions = match key {
        Some(key) => vec![find(config, key)?],
        None => {
            let conn = open_connection(&config.db_path()).map_err(|e| e.to_string())?;
            subscriptions::list(&conn).map_err(|e| e.to_string())?
        }
    };
    let names: Vec<(i64, String)> = subscriptions
        .iter()
        .map(|s| (s.id, format!("{}/{}", s.login, s.path)))
        .collect();
    let outcomes = run_many(config, names.iter().map(|(id, _)| *id).collect())?;
    let mut out = String::new();
    let mut failed = false;
    for ((id, outcome), (_, name)) in outcomes.into_iter().zip(&names) {
        failed |= matches!(outcome, Outcome::Failed(_));
        out.push_str(&format!("{id} {name}: {outcome}\n"));
    }
    if failed {
        Err(out)
    } else {
        Ok(out)
    }
}

/// Syncs subscriptions one after the other, on a store of this process.
fn run_many(config: &Config, ids: Vec<i64>) -> Result<Vec<(i64, Outcome)>, String> {
    let store = Store::open(&config.db_path()).map_err(|e| e.to_string())?;
    block_on(async {
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            outcomes.push((id, import::sync(&store, config, id).await));
        }
        outcomes
    })
}

/// Runs `work` (DNS, fetches) on a runtime of this command's own.
fn block_on<T>(work: impl std::future::Future<Output = T>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(runtime.block_on(work))
}
