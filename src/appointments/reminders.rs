//! The reminder the day before: with `[mail]`, each booking with an
//! e-mail address gets one message on the day before its slot, from
//! [`REMINDER_HOUR`] local time, sent by a task of the server process
//! (at start, then every [`EVERY`]).
//!
//! Exactly once: a write job claims the due bookings (a row in
//! `booking_reminders` naming the slot reminded of) before any message
//! goes, so a restart or a second pass never sends one again. A message
//! that did not go for a passing reason (the mail server unreachable, or
//! answering "try later") is released and tried again at the next pass,
//! until the slot starts; one the mail server refused for good (no such
//! mailbox) is logged and not tried again. A booking moved to another
//! slot is due again for its new slot.
//! Not reminded: cancelled (or marked) bookings, bookings whose
//! permanence was removed, and bookings made on the day before their slot
//! or on the day itself: their confirmation has just gone.
//!
//! Only a digest of the booking's personal link is kept, so the reminder
//! carries a new personal link to the same booking (its digest is kept
//! with the reminder); the link of the confirmation keeps working.

use super::mail::{self, Details};
use crate::app::App;
use crate::store::appointments::{self as store, ToRemind};
use crate::store::StoreError;
use crate::time::{local_date, local_midnight};
use crate::tokens;
use chrono::TimeZone;
use std::sync::Arc;
use std::time::Duration;

/// The local hour of the day before from which a reminder goes: in the
/// morning, not at midnight.
pub const REMINDER_HOUR: u32 = 8;

/// How often the server looks for reminders due.
pub const EVERY: Duration = Duration::from_secs(600);

/// When the reminder of a slot starting at `start` may go:
/// [`REMINDER_HOUR`] on the local day before.
pub fn opens(tz: chrono_tz::Tz, start: i64) -> i64 {
    let Some(day_before) = local_date(tz, start).pred_opt() else {
        return start;
    };
    day_before
        .and_hms_opt(REMINDER_HOUR, 0, 0)
        .and_then(|local| tz.from_local_datetime(&local).earliest())
        .map_or_else(
            || local_midnight(tz, day_before) + i64::from(REMINDER_HOUR) * 3600,
            |t| t.timestamp(),
        )
}

/// Whether a booking made at `created` for the slot starting at `start`
/// is to be reminded at `now`: its reminder time has come, the slot has
/// not started, and it was booked before the day before (one booked on
/// the day before or the day itself has just had its confirmation).
pub fn due(tz: chrono_tz::Tz, start: i64, created: i64, now: i64) -> bool {
    let booked_early = local_date(tz, start)
        .pred_opt()
        .is_some_and(|day_before| created < local_midnight(tz, day_before));
    booked_early && opens(tz, start) <= now && now < start
}

/// A reminder claimed: who to write to, and its new personal token.
struct Claimed {
    booking: ToRemind,
    token: String,
}

/// Claims the reminders due at `now` in one write job: recorded before
/// any is sent.
fn claim(
    tx: &rusqlite::Transaction,
    tz: chrono_tz::Tz,
    now: i64,
) -> Result<Vec<Claimed>, StoreError> {
    // A reminder opens at most two days before its slot (from 8:00 the
    // day before to 23:59 the day after); three leave room for any zone.
    let candidates = store::to_remind(tx, now + 1, now + 3 * 86_400)?;
    let mut claimed = Vec::new();
    for booking in candidates {
        let b = &booking.booking;
        if !due(tz, b.start, booking.created, now) {
            continue;
        }
        let token = tokens::new_token();
        store::record_reminder(tx, b.id, b.start, &tokens::digest(&token))?;
        claimed.push(Claimed { booking, token });
    }
    Ok(claimed)
}

/// Claims and sends the reminders due now; how many were sent.
pub async fn remind(app: &Arc<App>) -> usize {
    if !crate::mail::configured(&app.config) {
        return 0;
    }
    let tz = app.timezone;
    let claimed = match app
        .store
        .write(move |tx| claim(tx, tz, crate::clock::timestamp()))
        .await
    {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::error!("appointments: cannot claim reminders: {error}");
            return 0;
        }
    };
    let mut sent = 0;
    // One at a time: the mail server is not flooded, and the task waits.
    for reminder in claimed {
        let message = message(app, &reminder);
        let config = app.config.clone();
        let result = tokio::task::spawn_blocking(move || crate::mail::send(&config, &message))
            .await
            .unwrap_or_else(|e| {
                Err(crate::mail::NotSent {
                    reason: e.to_string(),
                    permanent: false,
                })
            });
        match result {
            Ok(()) => sent += 1,
            Err(error) if error.permanent => tracing::warn!(
                "appointments: reminder of booking {} refused, not tried again: {error}",
                reminder.booking.booking.id
            ),
            Err(error) => {
                tracing::warn!(
                    "appointments: reminder of booking {} not sent, tried again at the next pass: {error}",
                    reminder.booking.booking.id
                );
                release(app, &reminder).await;
            }
        }
    }
    sent
}

/// Gives back the claim of a reminder that did not go, so that the next
/// pass sends it.
async fn release(app: &Arc<App>, reminder: &Claimed) {
    let booking = reminder.booking.booking.id;
    let start = reminder.booking.booking.start;
    let digest = tokens::digest(&reminder.token);
    if let Err(error) = app
        .store
        .write(move |tx| store::release_reminder(tx, booking, start, &digest))
        .await
    {
        tracing::error!("appointments: cannot release the reminder of booking {booking}: {error}");
    }
}

fn message(app: &App, reminder: &Claimed) -> crate::mail::Mail {
    let ToRemind {
        booking,
        service,
        place,
        bring,
        ..
    } = &reminder.booking;
    let email = booking.email.clone().unwrap_or_default();
    let link = super::personal_link(&app.config, &reminder.token);
    let letter = mail::reminder(&Details {
        uid: booking.object_name.as_deref().unwrap_or_default(),
        start: booking.start,
        end: booking.end,
        now: crate::clock::timestamp(),
        service,
        service_email: None,
        place,
        theme: &booking.theme,
        bring,
        name: booking.name.as_deref().unwrap_or_default(),
        email: &email,
        link: &link,
        tz: app.timezone,
    });
    crate::mail::Mail {
        to: email,
        subject: letter.subject,
        body: letter.text,
        attachment: None,
    }
}

/// Sends the reminders due, at start and every [`EVERY`], for as long as
/// the server runs.
pub async fn run(app: Arc<App>) {
    loop {
        let sent = remind(&app).await;
        if sent > 0 {
            tracing::info!("appointments: {sent} reminder(s) sent");
        }
        tokio::time::sleep(EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn ts(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp()
    }

    #[test]
    fn a_reminder_goes_from_eight_the_day_before_until_the_slot() {
        // Tuesday 1 December 2026, 9:30 in Paris.
        let start = ts("2026-12-01T08:30:00Z");
        assert_eq!(opens(Paris, start), ts("2026-11-30T07:00:00Z"));
        let booked = ts("2026-11-25T10:00:00Z");
        assert!(!due(Paris, start, booked, ts("2026-11-30T06:59:59Z")));
        assert!(due(Paris, start, booked, ts("2026-11-30T07:00:00Z")));
        assert!(due(Paris, start, booked, ts("2026-12-01T08:29:59Z")));
        assert!(!due(Paris, start, booked, start));
    }

    #[test]
    fn a_booking_made_the_day_before_or_the_day_itself_is_not_reminded() {
        let start = ts("2026-12-01T08:30:00Z");
        let now = ts("2026-11-30T12:00:00Z");
        // Sunday 29 November, 23:59 in Paris: still reminded.
        assert!(due(Paris, start, ts("2026-11-29T22:59:00Z"), now));
        // Monday 30 November, 0:01 in Paris: its confirmation just went.
        assert!(!due(Paris, start, ts("2026-11-29T23:01:00Z"), now));
        assert!(!due(
            Paris,
            start,
            ts("2026-12-01T06:00:00Z"),
            ts("2026-12-01T07:00:00Z")
        ));
    }

    #[test]
    fn the_reminder_hour_is_local_across_a_clock_change() {
        // Monday 30 March 2026, the day after summer time began: 8:00 on
        // Sunday 29 is 6:00 UTC.
        assert_eq!(
            opens(Paris, ts("2026-03-30T07:00:00Z")),
            ts("2026-03-29T06:00:00Z")
        );
    }
}
