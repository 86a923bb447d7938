//! Authentication over HTTP: what a client sees when passwords cannot be
//! checked.

mod common;
use common::*;

/// A database error while checking a password is no wrong password: the
/// answer is 503 with Retry-After (a 401 would make the client ask its user
/// again), and logins work again once the database does.
#[test]
fn a_database_error_while_logging_in_answers_503() {
    let server = Server::start();
    let db = server.dir.path().join("data").join("concord.db");
    let sql = |statement: &str| {
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch(statement)
            .unwrap()
    };
    sql("ALTER TABLE principals RENAME TO principals_away");
    for _ in 0..6 {
        let response = server
            .as_user("asso-a", "PROPFIND", "/dav/calendars/asso-a/")
            .send();
        assert_eq!(response.status, 503, "{}", response.text());
        assert!(response.header("retry-after").is_some());
    }
    sql("ALTER TABLE principals_away RENAME TO principals");
    server
        .as_user("asso-a", "PROPFIND", "/dav/calendars/asso-a/")
        .header("depth", "0")
        .send()
        .expect(207);
}
