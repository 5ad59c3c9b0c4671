//! HTTP/1 accept loop. `axum::serve` would do, except that a fault must be
//! able to drop a connection without answering, which needs a per-connection
//! handle reachable from the request.

use std::convert::Infallible;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Service;

/// Request extension: cancelling it closes the request's TCP connection.
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub CancellationToken);

/// How long in-flight requests get to finish after shutdown; handlers that
/// sleep watch the shutdown token, so this only bounds misbehaving clients.
const DRAIN: Duration = Duration::from_secs(5);

pub(crate) async fn serve(
    router: Router,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let tracker = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(err) => {
                // Per-connection errors (ECONNABORTED, EMFILE) must not stop the server.
                tracing::warn!(error = %err, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Nagle only adds latency to small request/response exchanges.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "set_nodelay failed");
        }
        let kill = CancellationToken::new();
        let router = router.clone();
        let conn_kill = kill.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectionKill(conn_kill.clone()));
            let mut router = router.clone();
            async move { Ok::<_, Infallible>(router.call(request).await.unwrap_or_else(|e| match e {})) }
        });
        let shutdown = shutdown.clone();
        tracker.spawn(async move {
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => log_connection_end(result),
                // Dropping the connection future closes the socket mid-request.
                () = kill.cancelled() => {}
                () = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    tokio::select! {
                        result = conn.as_mut() => log_connection_end(result),
                        () = kill.cancelled() => {}
                        () = tokio::time::sleep(DRAIN) => {}
                    }
                }
            }
        });
    }
    tracker.close();
    tracker.wait().await;
    Ok(())
}

fn log_connection_end(result: Result<(), hyper::Error>) {
    if let Err(err) = result {
        tracing::debug!(error = %err, "connection ended with an error");
    }
}
