//! Answering CalDAV queries from stored objects: the content-line tree,
//! filters (RFC 4791 9.7) and partial retrieval / expansion of
//! calendar-data (RFC 4791 9.6).

pub mod alarms;
pub mod export;
pub mod filter;
pub mod freebusy;
pub mod public;
pub mod retrieve;
pub mod tree;
