//! concord: a CalDAV/iCalendar server for an intercommunal calendar.
//!
//! Layers, each reachable alone: `http`/`server` (plumbing), `dav`
//! (WebDAV/CalDAV protocol), `ical` (iCalendar model: parse, validate,
//! recurrence), `store` (SQLite), `auth`, and `cli` (administration).

pub mod api;
pub mod app;
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
pub mod http;
pub mod ical;
pub mod import;
pub mod locks;
pub mod params;
pub mod paths;
pub mod places;
pub mod query;
pub mod selection;
pub mod server;
pub mod store;
pub mod text;
pub mod time;
pub mod tokens;
pub mod web;
pub mod write;
