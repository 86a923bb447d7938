//! Rendered feeds kept in memory, keyed by the canonical request
//! (`FeedRequest::key`) so that equivalent URLs share one entry.
//!
//! - A render serves every request for its key until the store's
//!   generation moves; requests that arrive while it is under way wait for
//!   it instead of rendering the same feed again (single flight).
//! - The cache is bounded by the bytes it holds (bodies and their gzip
//!   copies): past the budget, the least recently used entries go.
//! - Renders of different keys run a few at a time ([`render_slots`]):
//!   each holds its whole output and what it was made from (20 MB for a
//!   year of the territory's agenda), so that many distinct requests at
//!   once (a client varying the filters) would otherwise add up to
//!   hundreds of MB. The others wait for a slot; answers from memory
//!   never wait.
//! - Last-Modified is the time the feed's content (its ETag) last changed,
//!   not the newest event's modification time, so that a deletion or an
//!   event leaving the window moves it too.

use crate::http;
use crate::locks::lock;
use crate::store::cache::Budget;
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::HeaderMap;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// How many renders may run at once: one per core, two at least. Renders
/// are mostly CPU work, so more at once would not finish sooner.
pub fn render_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

/// What an entry costs besides its bodies: the key, headers, ETag, file
/// name and map slot, roughly. It also bounds how many entries without a
/// body (renders under way) the cache may hold.
const ENTRY_OVERHEAD: usize = 1024;

/// A feed as `render` makes it, before the cache dates it.
pub struct Content {
    pub body: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    pub filename: String,
}

pub struct Rendered {
    pub body: Bytes,
    pub gzip: Bytes,
    pub etag: String,
    pub last_modified: i64,
    /// Validators and caching headers, made once: a 304 is the most
    /// frequent answer of a subscribed feed.
    pub headers: HeaderMap,
}

impl Rendered {
    fn new(content: Content, last_modified: i64) -> Rendered {
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        put("etag", &content.etag);
        put("last-modified", &http::http_date(last_modified));
        put("cache-control", "public, max-age=300");
        put("vary", "Accept-Encoding");
        put(
            "content-disposition",
            &format!("inline; filename=\"{}\"", content.filename),
        );
        Rendered {
            body: content.body,
            gzip: content.gzip,
            etag: content.etag,
            last_modified,
            headers,
        }
    }

    fn size(&self) -> usize {
        self.body.len() + self.gzip.len()
    }
}

/// How a request got its feed (the `X-Concord-Cache` response header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A finished render.
    Hit,
    /// This request rendered it.
    Miss,
    /// Another request's render, waited for.
    Shared,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Hit => "hit",
            Source::Miss => "miss",
            Source::Shared => "shared",
        }
    }
}

pub struct FeedCache {
    budget: usize,
    /// The memory all caches share (`[cache] max_mb`).
    shared: Arc<Budget>,
    state: Mutex<State>,
    /// The render slots (see the module's notes).
    renders: Semaphore,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Sum of `Entry::size` over `entries`.
    bytes: usize,
    /// What is taken from the shared budget: `bytes`, or less while a
    /// render under way has not been settled.
    charged: usize,
    /// Logical clock for least-recently-used eviction.
    tick: u64,
    /// The latest Last-Modified of an entry that left the cache: a feed
    /// rendered afresh is dated after it, since the cache no longer knows
    /// whether its content changed meanwhile.
    forgotten: i64,
}

struct Entry {
    /// The newest finished render, and the store generation it was read at.
    rendered: Option<Arc<Rendered>>,
    generation: u64,
    /// The render under way, which requests for this key wait for.
    pending: Option<Arc<Pending>>,
    last_used: u64,
}

struct Pending {
    generation: u64,
    cell: OnceCell<Arc<Rendered>>,
}

impl Entry {
    fn size(&self, key: &str) -> usize {
        ENTRY_OVERHEAD + key.len() + self.rendered.as_ref().map_or(0, |r| r.size())
    }
}

impl FeedCache {
    /// A cache holding at most about `budget` bytes of rendered feeds (it
    /// may exceed it by the one feed just rendered), and never more than
    /// the shared budget lets it: a render that does not fit there even
    /// once the other feeds are forgotten is served but not kept.
    pub fn new(budget: usize, shared: Arc<Budget>) -> FeedCache {
        FeedCache {
            budget,
            shared,
            state: Mutex::default(),
            renders: Semaphore::new(render_slots()),
        }
    }

    /// The feed for `key` as of store generation `generation`: from memory
    /// when rendered at that generation or later, else from the render
    /// under way for it, else from `render` (whose errors are not kept).
    pub async fn get<E, F, Fut>(
        &self,
        key: String,
        generation: u64,
        render: F,
    ) -> Result<(Arc<Rendered>, Source), E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Content, E>>,
    {
        let pending = {
            let mut state = lock(&self.state);
            state.tick += 1;
            let tick = state.tick;
            match state.entries.get_mut(&key) {
                Some(entry) => {
                    entry.last_used = tick;
                    match &entry.rendered {
                        Some(rendered) if entry.generation >= generation => {
                            return Ok((rendered.clone(), Source::Hit));
                        }
                        _ => {}
                    }
                    match &entry.pending {
                        Some(pending) if pending.generation >= generation => pending.clone(),
                        _ => {
                            let pending = Pending::new(generation);
                            entry.pending = Some(pending.clone());
                            pending
                        }
                    }
                }
                None => {
                    let pending = Pending::new(generation);
                    let entry = Entry {
                        rendered: None,
                        generation: 0,
                        pending: Some(pending.clone()),
                        last_used: tick,
                    };
                    state.bytes += entry.size(&key);
                    state.entries.insert(key.clone(), entry);
                    state.settle(&self.shared);
                    pending
                }
            }
        };
        let mut rendered_here = false;
        let result = pending
            .cell
            .get_or_try_init(|| {
                rendered_here = true;
                async {
                    // Never closed, so the permit always comes.
                    let _slot = self.renders.acquire().await;
                    match render().await {
                        Ok(content) => Ok(self.install(&key, &pending, content)),
                        Err(error) => {
                            self.abandon(&key, &pending);
                            Err(error)
                        }
                    }
                }
            })
            .await;
        let source = if rendered_here {
            Source::Miss
        } else {
            Source::Shared
        };
        result.map(|rendered| (rendered.clone(), source))
    }

    /// Stores a finished render and dates it; returns what to serve.
    fn install(&self, key: &str, pending: &Arc<Pending>, content: Content) -> Arc<Rendered> {
        let now = crate::store::now();
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        state.tick += 1;
        if !state.entries.contains_key(key) {
            // Evicted (or abandoned) while rendering: start afresh.
            let entry = Entry {
                rendered: None,
                generation: 0,
                pending: None,
                last_used: state.tick,
            };
            state.bytes += entry.size(key);
            state.entries.insert(key.to_owned(), entry);
        }
        let entry = state.entries.get_mut(key).expect("inserted above");
        entry.last_used = state.tick;
        if entry
            .pending
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(p, pending))
        {
            entry.pending = None;
        }
        let rendered = match &entry.rendered {
            // A render of newer data finished first: serve that one.
            Some(newer) if entry.generation > pending.generation => return newer.clone(),
            // Same content: same validators, Last-Modified included.
            Some(old) if old.etag == content.etag => old.clone(),
            old => {
                let previous = old.as_ref().map_or(state.forgotten, |o| o.last_modified);
                Arc::new(Rendered::new(content, last_modified(previous, now)))
            }
        };
        state.bytes -= entry.size(key);
        entry.rendered = Some(rendered.clone());
        entry.generation = pending.generation;
        state.bytes += entry.size(key);
        if state.bytes > self.budget {
            state.evict(self.budget, key);
        }
        if !state.settle(&self.shared) && !state.make_room(&self.shared, key) {
            state.remove(key);
            state.settle(&self.shared);
        }
        rendered
    }

    /// Forgets the entry of a render that failed (an organiser who stopped
    /// publishing, a store error): nothing of it is worth keeping, and
    /// names that never render must not fill the cache.
    fn abandon(&self, key: &str, pending: &Arc<Pending>) {
        let mut state = lock(&self.state);
        let ours = state
            .entries
            .get(key)
            .and_then(|e| e.pending.as_ref())
            .is_some_and(|p| Arc::ptr_eq(p, pending));
        if ours {
            state.remove(key);
            state.settle(&self.shared);
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        lock(&self.state).bytes
    }
}

impl Pending {
    fn new(generation: u64) -> Arc<Pending> {
        Arc::new(Pending {
            generation,
            cell: OnceCell::new(),
        })
    }
}

impl State {
    /// Takes from the shared budget what the entries weigh, or gives back
    /// what they no longer do; false when the budget lacks room.
    fn settle(&mut self, shared: &Budget) -> bool {
        if self.bytes > self.charged {
            if !shared.take(self.bytes - self.charged) {
                return false;
            }
        } else {
            shared.give(self.charged - self.bytes);
        }
        self.charged = self.bytes;
        true
    }

    /// Forgets least recently used entries, never `keep`, until the shared
    /// budget holds them all; false when even `keep` alone does not fit.
    fn make_room(&mut self, shared: &Budget, keep: &str) -> bool {
        for key in self.least_recently_used(keep) {
            self.remove(&key);
            if self.settle(shared) {
                return true;
            }
        }
        false
    }

    /// Keys from the least recently used on, `keep` left out.
    fn least_recently_used(&self, keep: &str) -> Vec<String> {
        let mut order: Vec<(u64, &String)> = self
            .entries
            .iter()
            .filter(|(key, _)| key.as_str() != keep)
            .map(|(key, entry)| (entry.last_used, key))
            .collect();
        order.sort_unstable();
        order.into_iter().map(|(_, key)| key.clone()).collect()
    }

    /// Removes least recently used entries, never `keep`, until an eighth
    /// of the budget is free: evicting in batches keeps the sort off most
    /// renders.
    fn evict(&mut self, budget: usize, keep: &str) {
        let target = budget - budget / 8;
        for key in self.least_recently_used(keep) {
            if self.bytes <= target {
                break;
            }
            self.remove(&key);
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some(entry) = self.entries.remove(key) {
            self.bytes -= entry.size(key);
            if let Some(rendered) = &entry.rendered {
                self.forgotten = self.forgotten.max(rendered.last_modified);
            }
        }
    }
}

/// Last-Modified of content that changed at `now` (or whose previous date
/// is unknown), given the one the clients may hold (`previous`). HTTP dates
/// count whole seconds, and a client that sends If-Modified-Since with the
/// previous date must not get a 304: so it is always later, even when the
/// change falls within the same second.
fn last_modified(previous: i64, now: i64) -> i64 {
    now.max(previous + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    fn content(text: &str, size: usize) -> Content {
        Content {
            body: Bytes::from(vec![b'x'; size]),
            gzip: Bytes::new(),
            etag: format!("\"{text}\""),
            filename: "f.ics".into(),
        }
    }

    async fn fetch(cache: &FeedCache, key: &str, generation: u64, etag: &str) -> Source {
        cache
            .get(key.to_owned(), generation, || async {
                Ok::<_, ()>(content(etag, 1000))
            })
            .await
            .unwrap()
            .1
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_share_one_render() {
        let cache = Arc::new(FeedCache::new(1 << 20, Budget::new(usize::MAX)));
        let renders = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, renders) = (cache.clone(), renders.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get("k".into(), 1, || async {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok::<_, ()>(content("a", 10))
                    })
                    .await
                    .unwrap()
            }));
        }
        let mut sources = Vec::new();
        for task in tasks {
            let (rendered, source) = task.await.unwrap();
            assert_eq!(rendered.etag, "\"a\"");
            sources.push(source);
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert_eq!(sources.iter().filter(|s| **s == Source::Miss).count(), 1);
        assert_eq!(fetch(&cache, "k", 1, "a").await, Source::Hit);
        // A newer generation renders again.
        assert_eq!(fetch(&cache, "k", 2, "a").await, Source::Miss);
        assert_eq!(fetch(&cache, "k", 2, "a").await, Source::Hit);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn renders_of_different_keys_run_a_few_at_a_time() {
        let cache = Arc::new(FeedCache::new(1 << 20, Budget::new(usize::MAX)));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut tasks = Vec::new();
        for n in 0..16 {
            let (cache, running, most) = (cache.clone(), running.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(format!("k{n}"), 1, || async {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        running.fetch_sub(1, Ordering::SeqCst);
                        Ok::<_, ()>(content("a", 10))
                    })
                    .await
                    .unwrap()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().1, Source::Miss);
        }
        let most = most.load(Ordering::SeqCst);
        assert!(
            (1..=render_slots()).contains(&most),
            "{most} renders at once, {} slots",
            render_slots()
        );
        // What is in memory is served without a slot.
        assert_eq!(fetch(&cache, "k3", 1, "a").await, Source::Hit);
    }

    #[tokio::test]
    async fn failed_renders_are_not_kept_and_the_next_request_retries() {
        let cache = FeedCache::new(1 << 20, Budget::new(usize::MAX));
        let failed = cache
            .get("nobody".into(), 1, || async { Err::<Content, _>("404") })
            .await;
        assert!(failed.is_err());
        assert_eq!(cache.bytes(), 0);
        assert_eq!(fetch(&cache, "nobody", 1, "a").await, Source::Miss);
    }

    #[tokio::test]
    async fn the_budget_evicts_the_least_recently_used() {
        // Room for three entries of about 2 KiB (body and overhead).
        let cache = FeedCache::new(7 * 1024, Budget::new(usize::MAX));
        for key in ["a", "b", "c"] {
            assert_eq!(fetch(&cache, key, 1, key).await, Source::Miss);
        }
        // "a" is used again, so "b" is the least recently used.
        assert_eq!(fetch(&cache, "a", 1, "a").await, Source::Hit);
        assert_eq!(fetch(&cache, "d", 1, "d").await, Source::Miss);
        assert!(cache.bytes() <= 7 * 1024, "{}", cache.bytes());
        assert_eq!(fetch(&cache, "a", 1, "a").await, Source::Hit);
        assert_eq!(fetch(&cache, "d", 1, "d").await, Source::Hit);
        assert_eq!(fetch(&cache, "b", 1, "b").await, Source::Miss);
    }

    /// The budget shared with the other caches bounds the feeds too: past
    /// it the least recently used go, and a feed larger than all of it is
    /// served without being kept.
    #[tokio::test]
    async fn the_shared_budget_bounds_the_feeds_too() {
        let shared = Budget::new(5 * 1024);
        let cache = FeedCache::new(1 << 20, shared.clone());
        for key in ["a", "b", "c"] {
            assert_eq!(fetch(&cache, key, 1, key).await, Source::Miss);
            assert!(shared.used() <= 5 * 1024, "{}", shared.used());
        }
        assert_eq!(fetch(&cache, "c", 1, "c").await, Source::Hit);
        assert_eq!(fetch(&cache, "a", 1, "a").await, Source::Miss);
        let big = || async { Ok::<_, ()>(content("big", 6000)) };
        let (served, source) = cache.get("big".into(), 1, big).await.unwrap();
        assert_eq!((served.body.len(), source), (6000, Source::Miss));
        assert!(shared.used() <= 5 * 1024, "{}", shared.used());
        assert_eq!(cache.bytes(), shared.used());
        let (_, source) = cache.get("big".into(), 1, big).await.unwrap();
        assert_eq!(source, Source::Miss, "not kept");
    }

    #[tokio::test]
    async fn last_modified_moves_only_with_the_content() {
        let cache = FeedCache::new(1 << 20, Budget::new(usize::MAX));
        let get = |generation, etag: &'static str| {
            let cache = &cache;
            async move {
                cache
                    .get("k".into(), generation, || async move {
                        Ok::<_, ()>(content(etag, 10))
                    })
                    .await
                    .unwrap()
                    .0
            }
        };
        let first = get(1, "a").await;
        // Same content at a later generation: same date, same headers.
        let same = get(2, "a").await;
        assert!(Arc::ptr_eq(&first, &same));
        // Changed content, within the same second: a later date.
        let changed = get(3, "b").await;
        assert!(changed.last_modified > first.last_modified);
        // Back to the first content: a change again.
        let back = get(4, "a").await;
        assert!(back.last_modified > changed.last_modified);
    }

    #[test]
    fn a_change_is_dated_after_the_previous_date_even_within_a_second() {
        assert_eq!(last_modified(100, 50), 101);
        assert_eq!(last_modified(100, 100), 101);
        assert_eq!(last_modified(100, 200), 200);
    }
}
