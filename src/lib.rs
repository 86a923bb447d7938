//! concord: a CalDAV/iCalendar server for an intercommunal calendar.
//!
//! Layers, each reachable alone: `http`/`server` (plumbing), `dav`
//! (WebDAV/CalDAV protocol), `ical` (iCalendar model: parse, validate,
//! recurrence), `store` (SQLite), `auth`, and `cli` (administration).
//! Lower layers never reach up: `store`, `query` and `ical` use none of
//! `dav`, `feeds`, `web`, `api`, `server`, `app`, `auth`, `cli` and
//! `conflicts`; `query` and `ical` do not use `store`, nor `ical` `query`
//! (`tests/layers.rs` checks).

pub mod accounts;
pub mod api;
pub mod app;
pub mod appointments;
pub mod auth;
pub mod categories;
pub mod cli;
pub mod clock;
pub mod compose;
pub mod config;
pub mod conflicts;
pub mod dav;
pub mod event_view;
pub mod feeds;
pub mod french;
pub mod health;
pub mod http;
pub mod ical;
pub mod import;
pub mod locks;
pub mod log;
pub mod mail;
pub mod params;
pub mod passwords;
pub mod paths;
pub mod places;
pub mod quarter;
pub mod query;
pub mod rate;
pub mod registration;
pub mod selection;
pub mod server;
pub mod store;
pub mod text;
pub mod time;
pub mod tokens;
pub mod web;
pub mod write;
