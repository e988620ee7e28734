//! The limits every listener enforces, so no client can hold a component's connections,
//! memory or time: for HTTP a connection cap, a header-read timeout, an idle/read timeout, a
//! request timeout and a request body cap; for gRPC keepalive, a connection age, stream and
//! message size caps. Each is a flag of every component (see `docs/operations.md`).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Limits of an HTTP listener.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Connections served at once; further ones wait in the kernel's accept queue
    /// (`--web.max-connections`, Prometheus' default 512).
    pub max_connections: usize,
    /// Longest a client may take to send a request's headers.
    pub read_header_timeout: Duration,
    /// A connection that neither sends nor receives anything for this long is closed
    /// (`--web.read-timeout`, Prometheus' default 5m).
    pub idle_timeout: Duration,
    /// Longest one request may take before it is answered 503 (APIs with their own timeout,
    /// such as queries, end earlier).
    pub request_timeout: Duration,
    /// Largest request body read; larger ones are answered 413.
    pub max_request_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            read_header_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(5 * 60),
            request_timeout: Duration::from_secs(10 * 60),
            max_request_body_bytes: 10 << 20,
        }
    }
}

/// Limits of a gRPC listener.
#[derive(Clone, Debug)]
pub struct GrpcLimits {
    /// HTTP/2 pings to idle clients this often; a client that does not answer in
    /// `keepalive_timeout` is dropped.
    pub keepalive_interval: Duration,
    /// How long a ping may go unanswered.
    pub keepalive_timeout: Duration,
    /// Connections are closed (gracefully) after this long, so clients rebalance
    /// (`--grpc-server-max-connection-age`, Thanos' default 60m).
    pub max_connection_age: Duration,
    /// Streams (calls) one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// Largest request message accepted.
    pub max_recv_msg_size: usize,
    /// Largest response message sent.
    pub max_send_msg_size: usize,
}

impl Default for GrpcLimits {
    fn default() -> Self {
        Self {
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(20),
            max_connection_age: Duration::from_secs(60 * 60),
            max_concurrent_streams: 100,
            max_recv_msg_size: 4 << 20,
            max_send_msg_size: 64 << 20,
        }
    }
}

impl GrpcLimits {
    /// A tonic server builder with these limits; add services with their message sizes from
    /// [`GrpcLimits::max_recv_msg_size`] and [`GrpcLimits::max_send_msg_size`].
    pub fn server(&self) -> tonic::transport::Server {
        tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(self.keepalive_interval))
            .http2_keepalive_timeout(Some(self.keepalive_timeout))
            .max_connection_age(self.max_connection_age)
            .max_concurrent_streams(Some(self.max_concurrent_streams))
    }
}

/// A connection that fails with `TimedOut` once nothing was read or written for `idle`.
pub(crate) struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn touch(&mut self) {
        self.timer.as_mut().reset(Instant::now() + self.idle);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer.as_mut().poll(cx).is_ready()
    }
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle too long")
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                self.touch();
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
