//! MCP sessions of the HTTP transport, bounded: at most a configured number at once, and each one
//! closed (and its memory freed) after a configured time without activity.
//!
//! rmcp's `LocalSessionManager` keeps a session's handle in its map until the client deletes it, so
//! sessions that clients abandon pile up; this wrapper counts, times and closes them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_core::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::common::server_side_http::{ServerSseMessage, SessionId};
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};

/// Why a session operation failed.
#[derive(Debug)]
pub enum SessionsError {
    /// The server holds its maximum of sessions.
    Full(usize),
    /// The underlying session manager failed.
    Local(LocalSessionManagerError),
}

impl fmt::Display for SessionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionsError::Full(max) => write!(f, "this server holds its maximum of {max} sessions"),
            SessionsError::Local(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for SessionsError {}

impl From<LocalSessionManagerError> for SessionsError {
    fn from(error: LocalSessionManagerError) -> Self {
        SessionsError::Local(error)
    }
}

/// A session manager that holds at most `max` sessions and closes those idle for `idle`.
pub struct Sessions {
    inner: LocalSessionManager,
    last_active: Mutex<BTreeMap<SessionId, Instant>>,
    max: usize,
    idle: Duration,
}

impl Sessions {
    /// At most `max` sessions, each closed after `idle` without a request.
    pub fn new(max: usize, idle: Duration) -> Self {
        let mut inner = LocalSessionManager::default();
        let mut config = SessionConfig::default();
        // rmcp's own idle timer ends a session's worker a little after this manager closes it.
        config.keep_alive = Some(idle + Duration::from_secs(5));
        config.init_timeout = Some(idle.min(SessionConfig::DEFAULT_INIT_TIMEOUT));
        inner.session_config = config;
        Self { inner, last_active: Mutex::new(BTreeMap::new()), max: max.max(1), idle }
    }

    /// Sessions open now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a new session would be refused.
    pub fn is_full(&self) -> bool {
        self.len() >= self.max
    }

    /// The most sessions held at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Closes every session idle for longer than the limit; returns how many.
    pub async fn expire(&self) -> usize {
        let now = Instant::now();
        let stale: Vec<SessionId> = {
            let mut sessions = self.lock();
            let stale: Vec<SessionId> = sessions
                .iter()
                .filter(|(_, active)| now.saturating_duration_since(**active) > self.idle)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &stale {
                sessions.remove(id);
            }
            stale
        };
        for id in &stale {
            // A session whose worker already ended is removed all the same.
            let _ = self.inner.close_session(id).await;
        }
        stale.len()
    }

    fn touch(&self, id: &SessionId) {
        if let Some(active) = self.lock().get_mut(id) {
            *active = Instant::now();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<SessionId, Instant>> {
        self.last_active.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl SessionManager for Sessions {
    type Error = SessionsError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.expire().await;
        if self.is_full() {
            return Err(SessionsError::Full(self.max));
        }
        let (id, transport) = self.inner.create_session().await?;
        self.lock().insert(id.clone(), Instant::now());
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.touch(id);
        Ok(self.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.lock().contains_key(id) && self.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.lock().remove(id);
        Ok(self.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.create_stream(id, message).await?)
    }

    async fn accept_message(&self, id: &SessionId, message: ClientJsonRpcMessage) -> Result<(), Self::Error> {
        self.touch(id);
        Ok(self.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.create_standalone_stream(id).await?)
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.touch(id);
        Ok(self.inner.resume(id, last_event_id).await?)
    }
}
