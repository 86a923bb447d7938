//! Time limits on a connection, enforced on its socket: a request's head
//! must arrive within the header timeout (counted from its first byte, or
//! from the connection's opening), and a connection between requests may
//! stay idle (or stall on a response the client does not read) for the
//! idle timeout. hyper 1 has a header timeout only, which also starts
//! while a kept-alive connection is idle, so it cannot tell both apart.
//!
//! While a request is being handled, no limit applies here: handlers read
//! bodies with their own time limit (`http::read_body`), and the time a
//! handler takes is not the client's doing.
//!
//! The steady state costs no timer operation: the sleep is armed once and
//! re-armed only when it fires early (its deadline moved later) or when a
//! deadline moves earlier, which happens only for a head split across
//! reads.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Requests of one connection, as its service sees them: the socket
/// applies no limit while they differ.
#[derive(Default)]
pub struct Activity {
    started: AtomicU32,
    finished: AtomicU32,
}

/// Held while a request is being handled.
pub struct Busy(Arc<Activity>);

impl Activity {
    pub fn begin(self: &Arc<Self>) -> Busy {
        self.started.fetch_add(1, Ordering::Relaxed);
        Busy(self.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
}

pub struct Watched<T> {
    io: T,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    /// `activity.finished` when last looked at.
    seen_finished: u32,
    /// Since when the connection has been between requests.
    idle_since: Instant,
    /// When the head being read started to arrive.
    head_since: Option<Instant>,
    /// A byte of the next head arrived; its time is taken when needed.
    head_started: bool,
    /// A write made progress since the deadline was last looked at.
    wrote: bool,
    timer: Pin<Box<Sleep>>,
    armed: Instant,
}

impl<T> Watched<T> {
    pub fn new(io: T, activity: Arc<Activity>, timeouts: Timeouts) -> Watched<T> {
        let now = Instant::now();
        let armed = now + timeouts.header;
        Watched {
            io,
            activity,
            timeouts,
            seen_finished: 0,
            idle_since: now,
            // The first request's head is due from the opening: a client
            // that connects and sends nothing gets the header timeout.
            head_since: Some(now),
            head_started: true,
            wrote: false,
            timer: Box::pin(tokio::time::sleep_until(armed)),
            armed,
        }
    }

    fn busy(&self) -> bool {
        self.activity.started.load(Ordering::Relaxed)
            != self.activity.finished.load(Ordering::Relaxed)
    }

    /// Notices a request that ended since last time: the connection is
    /// idle from now on, and no head is being read.
    fn sync(&mut self) {
        let finished = self.activity.finished.load(Ordering::Relaxed);
        if finished != self.seen_finished {
            self.seen_finished = finished;
            self.idle_since = Instant::now();
            self.head_since = None;
            self.head_started = false;
            self.wrote = false;
        }
    }

    /// Called when the socket has nothing to give or take: an error once
    /// the current deadline has passed, else Pending with the timer armed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        self.sync();
        if self.busy() {
            return Poll::Pending;
        }
        let deadline = if self.head_started {
            *self.head_since.get_or_insert_with(Instant::now) + self.timeouts.header
        } else {
            if self.wrote {
                // The client reads its response: idle counts from now.
                self.wrote = false;
                self.idle_since = Instant::now();
            }
            self.idle_since + self.timeouts.idle
        };
        if deadline < self.armed {
            self.timer.as_mut().reset(deadline);
            self.armed = deadline;
        }
        loop {
            match self.timer.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) if Instant::now() >= deadline => {
                    let what = if self.head_started {
                        "request head not received in time"
                    } else {
                        "connection idle for too long"
                    };
                    return Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, what));
                }
                // Armed for a deadline that has moved later since.
                Poll::Ready(()) => {
                    self.timer.as_mut().reset(deadline);
                    self.armed = deadline;
                }
            }
        }
    }
}

impl<T> Watched<T> {
    /// After a write: hyper polls the socket for the next request only
    /// when woken, and nothing wakes it if the client sends nothing, so
    /// the idle deadline is armed here, where a finished request's answer
    /// goes out. Past the deadline, the task is woken to find it out.
    fn arm(&mut self, cx: &mut Context<'_>) {
        if self.poll_deadline(cx).is_ready() {
            cx.waker().wake_by_ref();
        }
    }

    /// What both write paths do with the socket's answer: an answer going
    /// out arms the idle deadline; a write that waits is bounded by it.
    fn after_write(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) => {
                self.wrote |= n > 0;
                self.arm(cx);
                Poll::Ready(Ok(n))
            }
            Poll::Pending => self.poll_deadline(cx).map(Err),
            ready => ready,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.sync();
                    if !this.head_started && !this.busy() {
                        this.head_started = true;
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => this.poll_deadline(cx).map(Err),
            ready => ready,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        this.after_write(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.after_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
