//! When feeds are fetched: every subscription on its interval (its own,
//! else the feed's REFRESH-INTERVAL / X-PUBLISHED-TTL, else the default,
//! always within `[import]`'s bounds), failures retried after
//! exponentially longer waits, and every next time moved by a small
//! offset of its own so that subscriptions made together (or a server
//! that was down) do not fetch together for ever. The polling loop runs
//! inside the server process, at most `concurrent_fetches` at a time.

use crate::app::App;
use crate::config::ImportSettings;
use crate::store::subscriptions;
use std::sync::Arc;
use std::time::Duration;

/// The interval of a subscription, in seconds.
pub fn interval(settings: &ImportSettings, every: Option<i64>, feed: Option<i64>) -> i64 {
    let (min, max) = bounds(settings);
    every
        .or(feed)
        .unwrap_or(i64::from(settings.default_interval_minutes) * 60)
        .clamp(min, max)
}

/// The shortest and longest interval, in seconds.
pub fn bounds(settings: &ImportSettings) -> (i64, i64) {
    (
        i64::from(settings.min_interval_minutes) * 60,
        i64::from(settings.max_interval_minutes) * 60,
    )
}

/// When to fetch again after a success at `now`.
pub fn next_poll(now: i64, interval: i64, id: i64) -> i64 {
    now + interval + spread(interval, id, now)
}

/// When to try again after the `failures`-th failure in a row at `now`:
/// the shortest interval, doubled with every further failure, at most the
/// longest.
pub fn retry(settings: &ImportSettings, now: i64, failures: i64, id: i64) -> i64 {
    let (min, max) = bounds(settings);
    let doublings = failures.clamp(1, 32) - 1;
    let wait = min.saturating_mul(1i64 << doublings).min(max);
    now + wait + spread(wait, id, now)
}

/// A shift within a tenth of `interval` either way, fixed for one
/// subscription and moment, different between subscriptions: fetches made
/// at the same time drift apart rather than stay together.
fn spread(interval: i64, id: i64, now: i64) -> i64 {
    let width = interval / 10;
    if width == 0 {
        return 0;
    }
    let digest = super::split::digest_hex(format!("{id}:{now}").as_bytes(), 8);
    let value = u64::from_str_radix(&digest, 16).unwrap_or(0);
    (value % (2 * width as u64 + 1)) as i64 - width
}

/// Reads an interval as people write it: `90m`, `1h`, `2h30m`, `1d`
/// (a bare number is minutes).
pub fn parse_every(text: &str) -> Result<i64, String> {
    let text = text.trim().to_ascii_lowercase();
    let invalid = || format!("{text:?} is not an interval: write e.g. 30m, 1h, 2h30m or 1d");
    if let Ok(minutes) = text.parse::<i64>() {
        return Ok(minutes.saturating_mul(60));
    }
    let mut total = 0i64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return Err(invalid()),
        };
        let n: i64 = number.parse().map_err(|_| invalid())?;
        number.clear();
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if !number.is_empty() || total == 0 {
        return Err(invalid());
    }
    Ok(total)
}

/// Checks a chosen interval against the bounds.
pub fn check_every(settings: &ImportSettings, seconds: i64) -> Result<i64, String> {
    let (min, max) = bounds(settings);
    if (min..=max).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(format!(
            "the interval must be between {} and {} minutes ([import] min_interval_minutes, max_interval_minutes)",
            min / 60,
            max / 60
        ))
    }
}

/// How long the loop sleeps at most between two looks at the table (a
/// subscription added by the command-line tools is seen at the next one).
const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Polls due subscriptions until the process ends.
pub async fn run(app: Arc<App>) {
    let fetches = Arc::new(tokio::sync::Semaphore::new(
        app.config.import.concurrent_fetches,
    ));
    loop {
        let now = crate::clock::timestamp();
        let due = app
            .store
            .read(move |conn| subscriptions::due(conn, now))
            .await;
        match due {
            Ok(due) => {
                for id in due {
                    let Some(turn) = app.imports.start(id) else {
                        continue; // already being fetched
                    };
                    let (app, fetches) = (app.clone(), fetches.clone());
                    tokio::spawn(async move {
                        let Ok(_slot) = fetches.acquire().await else {
                            return;
                        };
                        let outcome = super::sync(&app.store, &app.config, id).await;
                        log(id, &outcome);
                        drop(turn);
                        app.imports.wake();
                    });
                }
            }
            Err(error) => tracing::warn!("import: cannot read the subscriptions: {error}"),
        }
        let next = app.store.read(subscriptions::next_due).await.ok().flatten();
        let wait = next
            .map(|at| Duration::from_secs((at - crate::clock::timestamp()).clamp(1, 3600) as u64))
            .unwrap_or(LOOK_EVERY)
            .min(LOOK_EVERY);
        app.imports.sleep(wait, &app.store).await;
    }
}

fn log(id: i64, outcome: &super::Outcome) {
    match outcome {
        super::Outcome::Failed(error) => {
            tracing::warn!("import: subscription {id} failed: {error}")
        }
        other => tracing::info!("import: subscription {id}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_honour_the_feed_within_the_bounds() {
        let settings = ImportSettings::default();
        assert_eq!(interval(&settings, None, None), 3600);
        assert_eq!(interval(&settings, None, Some(4 * 3600)), 4 * 3600);
        assert_eq!(interval(&settings, None, Some(60)), 15 * 60);
        assert_eq!(interval(&settings, None, Some(7 * 86_400)), 86_400);
        // The subscription's own choice comes first.
        assert_eq!(interval(&settings, Some(1800), Some(4 * 3600)), 1800);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_longest_interval() {
        let settings = ImportSettings::default();
        let wait = |failures| retry(&settings, 0, failures, 7);
        let within = |value: i64, target: i64| (value - target).abs() <= target / 10;
        assert!(within(wait(1), 900), "{}", wait(1));
        assert!(within(wait(2), 1800));
        assert!(within(wait(3), 3600));
        assert!(within(wait(5), 4 * 3600));
        assert!(within(wait(8), 86_400));
        assert!(within(wait(40), 86_400));
    }

    /// 300 subscriptions polled at the same instant come due again spread
    /// over a fifth of their interval, never more than a few per minute.
    #[test]
    fn subscriptions_polled_together_drift_apart() {
        let now = 1_800_000_000;
        let mut per_minute = std::collections::HashMap::new();
        for id in 1..=300 {
            let next = next_poll(now, 3600, id);
            assert!((now + 3240..=now + 3960).contains(&next), "{next}");
            *per_minute.entry(next / 60).or_insert(0) += 1;
        }
        assert!(per_minute.len() >= 11, "{per_minute:?}");
        assert!(per_minute.values().all(|n| *n <= 40), "{per_minute:?}");
    }

    #[test]
    fn intervals_as_people_write_them() {
        assert_eq!(parse_every("1h"), Ok(3600));
        assert_eq!(parse_every("90m"), Ok(5400));
        assert_eq!(parse_every("2h30m"), Ok(9000));
        assert_eq!(parse_every("1d"), Ok(86_400));
        assert_eq!(parse_every("45"), Ok(2700));
        assert!(parse_every("1x").is_err());
        assert!(parse_every("h").is_err());
        assert!(parse_every("").is_err());
        let settings = ImportSettings::default();
        assert!(check_every(&settings, 600).is_err());
        assert!(check_every(&settings, 2 * 86_400).is_err());
        assert_eq!(check_every(&settings, 900), Ok(900));
    }
}
