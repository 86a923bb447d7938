//! How many connections the server holds: in all, and per source address,
//! so that one client (or a few) cannot take every descriptor; and the
//! descriptor limit itself, raised at start where the system allows.

use crate::locks::lock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The address a client is counted under: IPv4 as is (IPv4-mapped IPv6
/// too), IPv6 by its /64, which one subscriber usually holds whole.
pub fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// Open connections, counted per source. The map holds only sources with
/// an open connection, so it is bounded by `max_total`.
pub struct Connections {
    max_total: usize,
    max_per_source: usize,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// Why a connection was not taken.
#[derive(Debug, PartialEq, Eq)]
pub enum Full {
    Total,
    Source,
}

/// One open connection; counted until dropped.
pub struct Slot {
    connections: Arc<Connections>,
    source: IpAddr,
}

impl Connections {
    pub fn new(max_total: usize, max_per_source: usize) -> Arc<Connections> {
        Arc::new(Connections {
            max_total,
            max_per_source,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Counts a new connection from `source` (a [`source_key`]), unless a
    /// limit is reached. Once per connection, not per request.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Result<Slot, Full> {
        self.admit_within(source, true)
    }

    /// Counts a new connection of a trusted reverse proxy, which carries
    /// many clients: only the total limit applies.
    pub fn admit_proxy(self: &Arc<Self>, source: IpAddr) -> Result<Slot, Full> {
        self.admit_within(source, false)
    }

    fn admit_within(self: &Arc<Self>, source: IpAddr, per_source: bool) -> Result<Slot, Full> {
        let mut open = lock(&self.open);
        if open.0 >= self.max_total {
            return Err(Full::Total);
        }
        let from_source = open.1.entry(source).or_insert(0);
        if per_source && *from_source >= self.max_per_source {
            return Err(Full::Source);
        }
        *from_source += 1;
        open.0 += 1;
        Ok(Slot {
            connections: self.clone(),
            source,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = lock(&self.connections.open);
        open.0 -= 1;
        if let Some(count) = open.1.get_mut(&self.source) {
            *count -= 1;
            if *count == 0 {
                open.1.remove(&self.source);
            }
        }
    }
}

/// Descriptors kept for everything but client connections: the database
/// and its readers, the log, the listener, files being backed up.
const RESERVED_DESCRIPTORS: usize = 64;

/// Raises the soft limit on open descriptors to the hard limit (systemd's
/// usual soft limit of 1,024 is easily reached by idle clients), logs the
/// result, and returns how many connections fit in it.
pub fn raise_descriptor_limit(max_connections: usize) -> usize {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write `limit`.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            tracing::warn!("cannot read the descriptor limit; up to {max_connections} connections");
            return max_connections;
        }
        let before = limit.rlim_cur;
        if limit.rlim_cur < limit.rlim_max {
            // Some systems (macOS) refuse an unlimited soft limit: ask for
            // no more than a million.
            let wanted = limit.rlim_max.min(1 << 20);
            let raised = libc::rlimit {
                rlim_cur: wanted,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: as above.
            if wanted > before && unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit.rlim_cur = wanted;
            }
        }
        let available = usize::try_from(limit.rlim_cur)
            .unwrap_or(usize::MAX)
            .saturating_sub(RESERVED_DESCRIPTORS)
            .max(1);
        let fitting = max_connections.min(available);
        if limit.rlim_cur != before {
            tracing::info!(
                "descriptor limit raised from {before} to {}; up to {fitting} connections",
                limit.rlim_cur
            );
        } else {
            tracing::info!(
                "descriptor limit {before} (hard limit {}); up to {fitting} connections",
                limit.rlim_max
            );
        }
        if fitting < max_connections {
            tracing::warn!(
                "[server] max_connections = {max_connections} does not fit in the descriptor limit: {fitting} instead"
            );
        }
        fitting
    }
    #[cfg(not(unix))]
    max_connections
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_key(a), source_key(b));
        assert_ne!(source_key(a), source_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(source_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn slots_are_counted_per_source_and_given_back() {
        let connections = Connections::new(3, 2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = connections.admit(a).unwrap();
        let _second = connections.admit(a).unwrap();
        assert_eq!(connections.admit(a).err(), Some(Full::Source));
        let _third = connections.admit(b).unwrap();
        assert_eq!(connections.admit(b).err(), Some(Full::Total));
        drop(first);
        assert!(connections.admit(a).is_ok());
        assert!(lock(&connections.open).1.len() <= 2);
    }
}
