//! Serving connections: HTTP/1.1, a deadline on every request's headers,
//! and a shutdown that waits for the requests under way only as long as a
//! client may stay idle.
//!
//! With the body's own idle timeout ([`crate::budget`]) no client holds a
//! connection by sending nothing: stalled headers close the connection,
//! a stalled body is answered `400 RequestTimeout`, and stopping the
//! endpoint never waits on a client that went quiet.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Serves `app` on `listener` until `shutdown` completes; then stops
/// accepting, lets the requests under way finish for up to `idle`, and
/// closes what is left.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    idle: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (closing, closed) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        accept_failed(&e).await;
                        continue;
                    }
                };
                // Answers go out as written, not held back for more.
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                let mut closed = closed.clone();
                connections.spawn(async move {
                    let mut builder = http1::Builder::new();
                    builder.timer(TokioTimer::new()).header_read_timeout(idle);
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let mut connection = std::pin::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => return,
                        _ = closed.changed() => connection.as_mut().graceful_shutdown(),
                    }
                    let _ = connection.await;
                });
            }
        }
    }
    drop(listener);
    drop(closing);
    let under_way = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(idle, under_way).await.is_err() {
        connections.shutdown().await;
    }
    Ok(())
}

/// After a failed `accept`: a connection reset before it was accepted is
/// nothing; anything else (out of file descriptors) waits a moment rather
/// than spinning.
async fn accept_failed(e: &io::Error) {
    use io::ErrorKind::*;
    if !matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
