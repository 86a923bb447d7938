//! `GET /healthz`, for monitors: `200 ok` when the database answers a read
//! and the writer thread commits, else `503` with the reason. No
//! credentials: it tells nothing but whether the server works.

use crate::app::App;
use crate::http::{self, Response};
use hyper::StatusCode;
use std::time::Duration;

/// How long each check may take before the server counts as unhealthy:
/// below the database's busy timeout (5 s), so that a writer stuck behind
/// a lock shows as such rather than as a slow answer.
const WITHIN: Duration = Duration::from_secs(3);

pub async fn handle(app: &App) -> Response {
    let mut response = match problem(app).await {
        None => http::text(StatusCode::OK, "ok"),
        Some(reason) => {
            tracing::warn!("health check failed: {reason}");
            http::text(StatusCode::SERVICE_UNAVAILABLE, &reason)
        }
    };
    http::set_header(&mut response, "cache-control", "no-store");
    response
}

async fn problem(app: &App) -> Option<String> {
    let read = app.store.read(|conn| {
        Ok(
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
                row.get::<_, i64>(0)
            })?,
        )
    });
    match tokio::time::timeout(WITHIN, read).await {
        Err(_) => return Some(format!("database reads take more than {WITHIN:?}")),
        Ok(Err(error)) => return Some(format!("database unreachable: {error}")),
        Ok(Ok(_)) => {}
    }
    // An empty write job: the writer thread takes it, opens and commits a
    // transaction (which writes nothing to the disk).
    match tokio::time::timeout(WITHIN, app.store.write(|_| Ok(()))).await {
        Err(_) => Some(format!(
            "the database writer does not answer within {WITHIN:?}"
        )),
        Ok(Err(error)) => Some(format!("database writes fail: {error}")),
        Ok(Ok(())) => None,
    }
}
