//! MCP over standard input and output.
//!
//! MCP clients start a stdio server with pipes for its standard streams (Node-based clients with
//! socket pairs). Those are read and written without blocking, on the runtime's own event loop:
//! tokio's `stdin()` and `stdout()` hand every read and write to a thread of the blocking pool, so
//! each message would cross threads twice. Anything else (a terminal, a file) still goes through them.

use std::pin::Pin;
use std::task::{Context, Poll};

use rmcp::ServiceExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::sync::CancellationToken;

use super::server::McpServer;

/// A readable standard stream.
type Input = Pin<Box<dyn AsyncRead + Send>>;
/// A writable standard stream.
type Output = Pin<Box<dyn AsyncWrite + Send>>;

/// Serves MCP on standard input and output until the client closes either: once stdout cannot be
/// written, nothing more the server does can reach the client, so it stops (calls in flight and
/// their upstream requests are dropped with it).
pub async fn serve(server: McpServer) -> Result<(), String> {
    let broken = CancellationToken::new();
    let output = WatchedWriter { inner: output(), broken: broken.clone() };
    let running = server.serve((input(), output)).await.map_err(|e| e.to_string())?;
    let stop = running.cancellation_token();
    tokio::select! {
        finished = running.waiting() => finished.map_err(|e| e.to_string()).map(|_| ()),
        () = broken.cancelled() => {
            stop.cancel();
            tracing::info!("standard output is closed: the client is gone, stopping");
            Ok(())
        }
    }
}

/// Standard input, event-driven when it is a pipe or a socket.
fn input() -> Input {
    #[cfg(unix)]
    if let Some(stream) = event_driven::input() {
        return stream;
    }
    Box::pin(tokio::io::stdin())
}

/// Standard output, event-driven when it is a pipe or a socket not shared with standard error.
fn output() -> Output {
    #[cfg(unix)]
    if let Some(stream) = event_driven::output() {
        return stream;
    }
    Box::pin(tokio::io::stdout())
}

/// Pipes and sockets made non-blocking and registered with the runtime's reactor.
#[cfg(unix)]
mod event_driven {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
    use std::os::unix::fs::{FileTypeExt, MetadataExt};

    use tokio::net::unix::pipe;

    use super::{Input, Output};

    /// What a standard stream is connected to, for the ones that can be event-driven.
    enum Kind {
        Pipe,
        Socket,
    }

    /// Standard input as a pipe receiver or a socket.
    pub(super) fn input() -> Option<Input> {
        let (fd, kind) = duplicate(io::stdin().as_fd())?;
        match kind {
            Kind::Pipe => pipe::Receiver::from_owned_fd(fd).ok().map(|pipe| Box::pin(pipe) as Input),
            Kind::Socket => socket(fd).map(|socket| Box::pin(socket) as Input),
        }
    }

    /// Standard output as a pipe sender or a socket. Non-blocking mode belongs to the open file, not
    /// the descriptor: when standard error writes to the same pipe, it stays blocking, so that a log
    /// line is never dropped because the pipe is full.
    pub(super) fn output() -> Option<Output> {
        if same_file(io::stdout().as_fd(), io::stderr().as_fd()) {
            return None;
        }
        let (fd, kind) = duplicate(io::stdout().as_fd())?;
        match kind {
            Kind::Pipe => pipe::Sender::from_owned_fd(fd).ok().map(|pipe| Box::pin(pipe) as Output),
            Kind::Socket => socket(fd).map(|socket| Box::pin(socket) as Output),
        }
    }

    /// A descriptor of its own for `fd`, when `fd` is a pipe or a socket.
    fn duplicate(fd: BorrowedFd<'_>) -> Option<(OwnedFd, Kind)> {
        let file = File::from(fd.try_clone_to_owned().ok()?);
        let file_type = file.metadata().ok()?.file_type();
        let kind = if file_type.is_fifo() {
            Kind::Pipe
        } else if file_type.is_socket() {
            Kind::Socket
        } else {
            return None;
        };
        Some((OwnedFd::from(file), kind))
    }

    /// A stream socket, non-blocking, on the runtime's reactor.
    fn socket(fd: OwnedFd) -> Option<tokio::net::UnixStream> {
        let socket = std::os::unix::net::UnixStream::from(fd);
        socket.set_nonblocking(true).ok()?;
        tokio::net::UnixStream::from_std(socket).ok()
    }

    /// Whether two descriptors are the same file (the same pipe, socket or terminal).
    fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
        let metadata = |fd: BorrowedFd<'_>| File::from(fd.try_clone_to_owned().ok()?).metadata().ok();
        match (metadata(a), metadata(b)) {
            (Some(a), Some(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => true,
        }
    }
}

/// A writer that signals `broken` when a write fails (the reader of a pipe went away).
struct WatchedWriter<W> {
    inner: W,
    broken: CancellationToken,
}

impl<W: AsyncWrite + Unpin> WatchedWriter<W> {
    fn watch<T>(&self, result: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        if let Poll::Ready(Err(_)) = &result {
            self.broken.cancel();
        }
        result
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for WatchedWriter<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(result)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
