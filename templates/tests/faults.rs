//! Fault injection through MCP `tools/call`: each function starts the server against a scripted
//! upstream and proves one rule of retries, timeouts, Retry-After, the circuit breaker, the rate
//! limit, OAuth2 tokens and the GET cache, by what the upstream saw.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Reply, Session, text};

/// A tool name and valid arguments as JSON.
pub type Call = (&'static str, &'static str);

fn is_error(result: &rmcp::model::CallToolResult) -> bool {
    result.is_error == Some(true)
}

/// A session whose first call has succeeded: tokens are cached and the script starts clean.
async fn warmed(read: Call, overrides: &[(&str, &str)]) -> Session {
    let session = Session::start_with(overrides).await;
    let result = session.call_json(read).await;
    assert!(!is_error(&result), "warm-up call failed: {}", text(&result));
    session
}

/// A POST whose request timed out reached the upstream exactly once: it may have been applied.
pub async fn post_that_timed_out_is_sent_once(read: Call, write: Call) {
    let session = warmed(read, &[("TIMEOUT_MS", "300"), ("DEADLINE_MS", "3000"), ("MAX_RETRIES", "3")]).await;
    let before = session.upstream.count();
    session.upstream.script([Reply::Slow(Duration::from_millis(1500))]);
    let result = session.call_json(write).await;
    assert!(is_error(&result), "{}", text(&result));
    assert!(text(&result).contains("may or may not have been applied"), "{}", text(&result));
    assert_eq!(session.upstream.count() - before, 1, "a POST that timed out was sent again");
}

/// A POST that got a 5xx reached the upstream exactly once.
pub async fn post_that_failed_is_sent_once(read: Call, write: Call) {
    let session = warmed(read, &[("MAX_RETRIES", "3")]).await;
    let before = session.upstream.count();
    session.upstream.script([Reply::Status(503), Reply::Status(503)]);
    let result = session.call_json(write).await;
    assert!(is_error(&result) && text(&result).contains("HTTP 503"), "{}", text(&result));
    assert!(text(&result).contains("not safe to repeat blindly"), "{}", text(&result));
    assert_eq!(session.upstream.count() - before, 1, "a POST that got a 503 was sent again");
}

/// A POST whose connection was dropped is not sent again: the request may have been read.
pub async fn post_after_a_reset_is_not_resent(read: Call, write: Call) {
    let session = warmed(read, &[("MAX_RETRIES", "3")]).await;
    let connections = session.upstream.connections();
    session.upstream.script([Reply::ResetAfterRead]);
    let result = session.call_json(write).await;
    assert!(is_error(&result), "{}", text(&result));
    assert_eq!(session.upstream.connections() - connections, 1, "a POST was sent again after a reset");
}

/// An idempotent GET recovers from a 503, a reset before the request was read and a reset after.
pub async fn get_recovers_after_transient_failures(read: Call) {
    let session = warmed(read, &[("MAX_RETRIES", "3"), ("DEADLINE_MS", "10000")]).await;
    let before = session.upstream.count();
    session.upstream.script([Reply::Status(503), Reply::ResetBeforeRead, Reply::ResetAfterRead]);
    let result = session.call_json(read).await;
    assert!(!is_error(&result), "{}", text(&result));
    // 503 and reset-after-read were read; reset-before-read was not; the fourth attempt succeeded.
    assert_eq!(session.upstream.count() - before, 3);
}

/// A 429 or 503 with `Retry-After` (seconds, or an HTTP date) is waited for before the retry.
pub async fn retry_after_is_waited_for(read: Call) {
    for (status, in_seconds, at_least) in [(429, false, 950), (503, true, 1500)] {
        let session = warmed(read, &[("MAX_RETRIES", "2"), ("DEADLINE_MS", "10000")]).await;
        // An HTTP date three seconds ahead, truncated to the second: between 2 and 3 seconds away.
        let value = if in_seconds {
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3))
        } else {
            "1".to_string()
        };
        let before = session.upstream.count();
        session.upstream.script([Reply::RetryAfter(status, value.clone())]);
        let result = session.call_json(read).await;
        assert!(!is_error(&result), "{}", text(&result));
        let requests = session.upstream.requests();
        let [first, second] = &requests[before..] else { panic!("expected one retry, saw {}", requests.len() - before) };
        let waited = second.0 - first.0;
        assert!(waited >= Duration::from_millis(at_least), "Retry-After {value} was not waited for: {waited:?}");
    }
}

/// When the wait asked for would pass the call's deadline, the call gives up at once, saying when
/// to try again.
pub async fn retry_after_beyond_the_deadline_gives_up_early(read: Call) {
    let session = warmed(read, &[("MAX_RETRIES", "3"), ("DEADLINE_MS", "2000")]).await;
    let before = session.upstream.count();
    session.upstream.script([Reply::RetryAfter(429, "30".into())]);
    let started = Instant::now();
    let result = session.call_json(read).await;
    assert!(is_error(&result) && text(&result).contains("wait 30 seconds"), "{}", text(&result));
    assert!(started.elapsed() < Duration::from_secs(2), "it waited instead of giving up");
    assert_eq!(session.upstream.count() - before, 1);
}

/// The breaker opens after consecutive failures, fails fast without calling the upstream, and
/// closes after a good probe once the cool-down is over.
pub async fn breaker_opens_fails_fast_and_closes(read: Call) {
    let overrides = [("MAX_RETRIES", "0"), ("BREAKER_THRESHOLD", "2"), ("BREAKER_COOLDOWN_S", "1")];
    let session = warmed(read, &overrides).await;
    session.upstream.script([Reply::Status(500), Reply::Status(502)]);
    for _ in 0..2 {
        assert!(is_error(&session.call_json(read).await));
    }
    let before = session.upstream.count();
    let result = session.call_json(read).await;
    assert!(is_error(&result) && text(&result).contains("paused"), "{}", text(&result));
    assert_eq!(session.upstream.count(), before, "an open breaker let a call through");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let probe = session.call_json(read).await;
    assert!(!is_error(&probe), "the probe failed: {}", text(&probe));
    let after = session.call_json(read).await;
    assert!(!is_error(&after), "the breaker did not close: {}", text(&after));
    assert_eq!(session.upstream.count(), before + 2);
}

/// The client-side rate limit holds: no one-second window sees more than rate + burst requests,
/// and a call that cannot get a token within its deadline fails without reaching the upstream.
pub async fn rate_limit_holds(read: Call) {
    let session = Arc::new(Session::start_with(&[("RATE_LIMIT_RPS", "5"), ("RATE_LIMIT_BURST", "2"), ("DEADLINE_MS", "10000")]).await);
    for result in concurrently(&session, read, 12).await {
        assert!(!is_error(&result), "{}", text(&result));
    }
    let arrivals: Vec<Instant> = session.upstream.requests().into_iter().map(|(at, _)| at).collect();
    let busiest = arrivals.iter().map(|start| arrivals.iter().filter(|at| **at >= *start && **at < *start + Duration::from_secs(1)).count()).max();
    assert!(busiest.unwrap_or(0) <= 7, "{busiest:?} requests in one second with 5/s and a burst of 2");

    let strict = Session::start_with(&[("RATE_LIMIT_RPS", "0.2"), ("RATE_LIMIT_BURST", "1"), ("DEADLINE_MS", "300")]).await;
    assert!(!is_error(&strict.call_json(read).await));
    let before = strict.upstream.count();
    let refused = strict.call_json(read).await;
    assert!(is_error(&refused) && text(&refused).contains("rate limit"), "{}", text(&refused));
    assert_eq!(strict.upstream.count(), before);
}

/// A POST that carries an idempotency key is retried after a 5xx with the same key.
pub async fn idempotency_key_makes_a_post_retryable(read: Call, write: Call, header: &str) {
    let session = warmed(read, &[("MAX_RETRIES", "2")]).await;
    let before = session.upstream.count();
    session.upstream.script([Reply::Status(503)]);
    let result = session.call_json(write).await;
    assert!(!is_error(&result), "{}", text(&result));
    let requests = session.upstream.requests();
    let keys: Vec<String> = requests[before..]
        .iter()
        .map(|(_, request)| {
            let line = request.lines().find(|line| line.to_ascii_lowercase().starts_with(&format!("{}:", header.to_ascii_lowercase())));
            line.unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(keys.len(), 2, "the POST was not retried");
    assert!(!keys[0].is_empty() && keys[0] == keys[1], "the key changed between attempts: {keys:?}");
}

/// Fifty concurrent calls share one OAuth2 token fetch.
pub async fn concurrent_calls_fetch_one_token(read: Call) {
    let session = Arc::new(Session::start_with(&[("DEADLINE_MS", "10000")]).await);
    for result in concurrently(&session, read, 50).await {
        assert!(!is_error(&result), "{}", text(&result));
    }
    assert_eq!(session.upstream.token_count(), 1, "concurrent calls fetched more than one token");
    assert_eq!(session.upstream.count(), 50);
}

/// A 401 makes the server fetch a new token once and retry once; a second 401 is the answer.
pub async fn unauthorized_refreshes_the_token_once(read: Call) {
    let session = warmed(read, &[]).await;
    let (tokens, before) = (session.upstream.token_count(), session.upstream.count());
    session.upstream.script([Reply::Status(401)]);
    assert!(!is_error(&session.call_json(read).await));
    assert_eq!((session.upstream.token_count() - tokens, session.upstream.count() - before), (1, 2));

    session.upstream.script([Reply::Status(401), Reply::Status(401)]);
    let result = session.call_json(read).await;
    assert!(is_error(&result) && text(&result).contains("HTTP 401"), "{}", text(&result));
    assert_eq!(session.upstream.token_count() - tokens, 2, "more than one refresh for one call");
}

/// A cached GET is answered without the upstream until a write empties the cache.
pub async fn cached_gets_until_a_write(read: Call, cached: Call, write: Call) {
    let session = warmed(read, &[("CACHE_TTL_S", "60")]).await;
    let before = session.upstream.count();
    for _ in 0..3 {
        assert!(!is_error(&session.call_json(cached).await));
    }
    assert_eq!(session.upstream.count() - before, 1, "the cache did not answer");
    let _ = session.call_json(write).await;
    assert!(!is_error(&session.call_json(cached).await));
    assert_eq!(session.upstream.count() - before, 3, "a write did not empty the cache");
}

/// Makes `count` calls of `call` at once.
async fn concurrently(session: &Arc<Session>, call: Call, count: usize) -> Vec<rmcp::model::CallToolResult> {
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..count {
        let session = Arc::clone(session);
        calls.spawn(async move { session.call_json(call).await });
    }
    calls.join_all().await
}
