//! How much of a request body is read: a budget per phase, so that no
//! body, however long or malformed, is buffered without bound.
//!
//! The multipart reader keeps what it has not parsed yet in memory: bytes
//! before the first boundary, part headers that never end, a field with no
//! boundary after it. The body is read through a [`Limited`] stream that
//! fails once more than the phase's limit has arrived:
//!
//! - before the file: S3's 20 KiB of form fields plus [`READ_AHEAD`] (what
//!   the reader may hold of the file's first bytes when the file part
//!   starts); the exact 20 KiB check is made on the parsed fields;
//! - the file: the policy's largest size plus [`READ_AHEAD`], checked
//!   exactly as the bytes arrive;
//! - after the file: fields S3 reads and ignores, up to [`AFTER_FILE`].
//!
//! A refused body is then read to a bounded end ([`drain`]) without the
//! multipart reader, a chunk at a time, so the client sees the answer.
//!
//! A body that stops arriving fails the stream too, once nothing has come
//! for the idle timeout ([`Budget::timed_out`]): a client cannot hold a
//! request open by sending nothing.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::BodyDataStream;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::future::Future;

use policy_runtime::verify::MAX_FORM_BYTES;

/// What the reader may have read beyond a phase's own bytes: the rest of
/// the transport's last chunk.
pub(crate) const READ_AHEAD: u64 = 1024 * 1024;
/// The most bytes read after the file (fields S3 ignores, the closing
/// boundary).
pub(crate) const AFTER_FILE: u64 = MAX_FORM_BYTES + READ_AHEAD;
/// How much of a refused request's body is still read (and thrown away)
/// before answering, so that the client sees the answer rather than a reset
/// connection.
const DRAIN_BYTES: u64 = 8 * 1024 * 1024;
/// How long that may take.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The counter and limit shared by a request's [`Limited`] stream and its
/// handler.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    read: AtomicU64,
    limit: AtomicU64,
    exceeded: AtomicBool,
    timed_out: AtomicBool,
}

impl Budget {
    /// A budget allowing `limit` bytes.
    pub(crate) fn new(limit: u64) -> Arc<Budget> {
        Arc::new(Budget {
            read: AtomicU64::new(0),
            limit: AtomicU64::new(limit),
            exceeded: AtomicBool::new(false),
            timed_out: AtomicBool::new(false),
        })
    }

    /// Bytes read so far.
    pub(crate) fn read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }

    /// Allows `more` bytes beyond those read so far.
    pub(crate) fn allow(&self, more: u64) {
        self.limit
            .store(self.read().saturating_add(more), Ordering::Relaxed);
    }

    /// Whether the body went past the limit (the reader then saw an error).
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    /// Whether the body stopped arriving for the idle timeout (the reader
    /// then saw an error).
    pub(crate) fn timed_out(&self) -> bool {
        self.timed_out.load(Ordering::Relaxed)
    }
}

/// The body, shared between the multipart reader (through [`Limited`]) and
/// [`drain`].
pub(crate) type Shared = Arc<Mutex<BodyDataStream>>;

/// A request's body, to be shared.
pub(crate) fn shared(body: axum::body::Body) -> Shared {
    Arc::new(Mutex::new(body.into_data_stream()))
}

/// The body as the multipart reader sees it: an error once the budget is
/// spent, or once nothing has arrived for `idle`.
pub(crate) struct Limited {
    body: Shared,
    budget: Arc<Budget>,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Limited {
    pub(crate) fn new(body: Shared, budget: Arc<Budget>, idle: Duration) -> Limited {
        Limited {
            body,
            budget,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

impl Stream for Limited {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.budget.exceeded() {
            return Poll::Ready(Some(Err(over_budget())));
        }
        if this.budget.timed_out() {
            return Poll::Ready(Some(Err(idle(this.idle))));
        }
        let mut body = this.body.lock().unwrap_or_else(PoisonError::into_inner);
        match body.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next = tokio::time::Instant::now() + this.idle;
                this.deadline.as_mut().reset(next);
                let read = this
                    .budget
                    .read
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed)
                    + chunk.len() as u64;
                if read > this.budget.limit.load(Ordering::Relaxed) {
                    this.budget.exceeded.store(true, Ordering::Relaxed);
                    return Poll::Ready(Some(Err(over_budget())));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(std::io::Error::other(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.budget.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(idle(this.idle))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

fn idle(timeout: Duration) -> std::io::Error {
    std::io::Error::other(format!(
        "nothing of the request body arrived for {} s",
        timeout.as_secs_f64()
    ))
}

fn over_budget() -> std::io::Error {
    std::io::Error::other("the request body is longer than this part of the form allows")
}

/// Reads and discards what is left of the body, a chunk at a time, up to
/// [`DRAIN_BYTES`] and [`DRAIN_TIME`]. True when the body was read to its
/// end (the connection can stay open).
pub(crate) async fn drain(body: &Shared) -> bool {
    let work = async {
        let mut read: u64 = 0;
        loop {
            let next = futures_util::future::poll_fn(|cx| {
                body.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .poll_next_unpin(cx)
            })
            .await;
            match next {
                Some(Ok(chunk)) => {
                    read += chunk.len() as u64;
                    if read > DRAIN_BYTES {
                        return false;
                    }
                }
                Some(Err(_)) => return false,
                None => return true,
            }
        }
    };
    tokio::time::timeout(DRAIN_TIME, work)
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(chunks: Vec<&'static [u8]>) -> Shared {
        let body = axum::body::Body::from_stream(futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c))),
        ));
        Arc::new(Mutex::new(body.into_data_stream()))
    }

    #[tokio::test]
    async fn the_stream_fails_past_the_limit_and_the_rest_is_drained() {
        let body = shared(vec![b"0123", b"4567", b"89", b"ab"]);
        let budget = Budget::new(6);
        let mut limited = Limited::new(body.clone(), budget.clone(), Duration::from_secs(60));
        assert_eq!(&limited.next().await.unwrap().unwrap()[..], b"0123");
        assert!(limited.next().await.unwrap().is_err());
        assert!(budget.exceeded());
        assert!(limited.next().await.unwrap().is_err(), "stays failed");
        assert!(drain(&body).await, "read to its end");
    }

    #[tokio::test]
    async fn allowing_more_counts_from_what_was_read() {
        let body = shared(vec![b"0123", b"4567", b"89"]);
        let budget = Budget::new(4);
        let mut limited = Limited::new(body, budget.clone(), Duration::from_secs(60));
        assert!(limited.next().await.unwrap().is_ok());
        budget.allow(6);
        assert!(limited.next().await.unwrap().is_ok());
        assert!(limited.next().await.unwrap().is_ok());
        assert!(limited.next().await.is_none());
        assert_eq!(budget.read(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_arriving_fails_after_the_idle_timeout() {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
            let chunk = rx.recv().await?;
            Some((Ok::<_, std::io::Error>(chunk), rx))
        });
        let body: Shared = Arc::new(Mutex::new(
            axum::body::Body::from_stream(chunks).into_data_stream(),
        ));
        let budget = Budget::new(1 << 20);
        let idle = Duration::from_secs(5);
        let mut limited = Limited::new(body, budget.clone(), idle);
        // Chunks 4 s apart keep it going: each resets the deadline.
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_secs(4)).await;
            tx.send(Bytes::from_static(b"data")).unwrap();
            assert!(limited.next().await.unwrap().is_ok());
        }
        let started = tokio::time::Instant::now();
        let stalled = limited.next().await.unwrap().unwrap_err();
        assert_eq!(started.elapsed(), idle);
        assert!(budget.timed_out() && !budget.exceeded(), "{stalled}");
        assert!(limited.next().await.unwrap().is_err(), "stays failed");
        drop(tx);
    }
}
