//! What protects the upstream and the caller: a circuit breaker, exponential backoff with full
//! jitter, a client-side token bucket, and an optional TTL cache of GET responses.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use super::upstream::UpstreamResponse;

/// The breaker's state, as health checks and metrics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow; consecutive failures are counted.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Calls fail fast until the cool-down ends.
    Open {
        /// When a probe may go through.
        until: Instant,
    },
    /// One probe call is allowed through; its outcome closes or reopens the breaker.
    HalfOpen {
        /// Whether the probe is under way.
        probing: bool,
    },
}

impl BreakerState {
    /// `closed`, `open` or `half_open`.
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed { .. } => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen { .. } => "half_open",
        }
    }
}

/// A circuit breaker: opens after `threshold` consecutive failures, fails fast for `cooldown`, then
/// lets a single probe through.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self { threshold: threshold.max(1), cooldown, state: Mutex::new(BreakerState::Closed { failures: 0 }) }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        *self.lock()
    }

    /// Whether a call may go upstream now; `Err` carries how long until one may.
    pub fn admit(&self) -> Result<(), Duration> {
        let mut state = self.lock();
        let now = Instant::now();
        match *state {
            BreakerState::Closed { .. } => Ok(()),
            BreakerState::Open { until } if now >= until => {
                *state = BreakerState::HalfOpen { probing: true };
                Ok(())
            }
            BreakerState::Open { until } => Err(until - now),
            BreakerState::HalfOpen { probing: true } => Err(Duration::from_secs(1)),
            BreakerState::HalfOpen { probing: false } => {
                *state = BreakerState::HalfOpen { probing: true };
                Ok(())
            }
        }
    }

    /// Records the outcome of an admitted call: `healthy` when the upstream answered below 500.
    pub fn record(&self, healthy: bool) {
        let mut state = self.lock();
        *state = match (*state, healthy) {
            (BreakerState::Closed { .. }, true) | (BreakerState::HalfOpen { .. }, true) => {
                BreakerState::Closed { failures: 0 }
            }
            (BreakerState::Closed { failures }, false) if failures + 1 < self.threshold => {
                BreakerState::Closed { failures: failures + 1 }
            }
            (BreakerState::Closed { .. }, false) | (BreakerState::HalfOpen { .. }, false) => {
                BreakerState::Open { until: Instant::now() + self.cooldown }
            }
            // Calls admitted before the breaker opened do not change an open breaker.
            (open @ BreakerState::Open { .. }, _) => open,
        };
    }

    /// Ends an admitted call that sent nothing (no rate-limit token, no time left): a half-open probe
    /// slot is given back; failure counts and an open breaker stay as they are.
    pub fn release(&self) {
        let mut state = self.lock();
        if *state == (BreakerState::HalfOpen { probing: true }) {
            *state = BreakerState::HalfOpen { probing: false };
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Exponential backoff with full jitter: a random wait in `[0, min(cap, base * 2^attempt)]`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let ceiling = base.saturating_mul(2u32.saturating_pow(attempt.min(16))).min(cap);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(fastrand::u64(0..=millis))
}

/// A client-side token bucket; `None` rate means unlimited.
pub struct RateLimit {
    limiter: Option<DefaultDirectRateLimiter>,
}

/// Why no token was had.
#[derive(Debug)]
pub struct RateLimitExceeded;

impl RateLimit {
    /// A bucket refilled at `rps` per second holding at most `burst` tokens; `rps <= 0` disables it.
    pub fn new(rps: f64, burst: u32) -> Self {
        let limiter = (rps > 0.0 && rps.is_finite()).then(|| {
            let period = Duration::from_secs_f64(1.0 / rps).max(Duration::from_nanos(1));
            let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
            let quota =
                Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst);
            RateLimiter::direct(quota)
        });
        Self { limiter }
    }

    /// Takes a token, waiting at most until `deadline`; `Ok(true)` when it had to wait.
    pub async fn acquire(&self, deadline: Instant) -> Result<bool, RateLimitExceeded> {
        let Some(limiter) = &self.limiter else { return Ok(false) };
        if limiter.check().is_ok() {
            return Ok(false);
        }
        tokio::time::timeout_at(deadline.into(), limiter.until_ready())
            .await
            .map(|_| true)
            .map_err(|_| RateLimitExceeded)
    }
}

/// A bounded cache of successful GET responses, by full request.
pub struct ResponseCache {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<BTreeMap<String, (Instant, UpstreamResponse)>>,
}

impl ResponseCache {
    /// A cache keeping responses for `ttl` (zero disables it), at most `capacity` of them.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self { ttl, capacity, entries: Mutex::new(BTreeMap::new()) }
    }

    /// Whether the cache keeps anything.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// A fresh response for `key`.
    pub fn get(&self, key: &str) -> Option<UpstreamResponse> {
        let entries = self.lock();
        entries.get(key).filter(|(stored, _)| stored.elapsed() < self.ttl).map(|(_, response)| response.clone())
    }

    /// Keeps `response` under `key`, dropping expired entries and then the oldest when full.
    pub fn put(&self, key: String, response: UpstreamResponse) {
        if !self.enabled() {
            return;
        }
        let mut entries = self.lock();
        entries.retain(|_, (stored, _)| stored.elapsed() < self.ttl);
        while entries.len() >= self.capacity.max(1) {
            let oldest = entries.iter().min_by_key(|(_, (stored, _))| *stored).map(|(key, _)| key.clone());
            match oldest {
                Some(oldest) => entries.remove(&oldest),
                None => break,
            };
        }
        entries.insert(key, (Instant::now(), response));
    }

    /// Forgets everything (after any call that may change the API's data).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, (Instant, UpstreamResponse)>> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_fails_fast_and_closes_after_a_good_probe() {
        let breaker = Breaker::new(3, Duration::from_millis(50));
        for _ in 0..2 {
            assert!(breaker.admit().is_ok());
            breaker.record(false);
        }
        assert_eq!(breaker.state().name(), "closed");
        breaker.record(false);
        assert_eq!(breaker.state().name(), "open");
        assert!(breaker.admit().is_err());
        std::thread::sleep(Duration::from_millis(60));
        assert!(breaker.admit().is_ok(), "the cool-down is over: one probe");
        assert!(breaker.admit().is_err(), "only one probe at a time");
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn a_failed_probe_reopens_the_breaker() {
        let breaker = Breaker::new(1, Duration::from_millis(10));
        breaker.record(false);
        std::thread::sleep(Duration::from_millis(15));
        assert!(breaker.admit().is_ok());
        breaker.record(false);
        assert_eq!(breaker.state().name(), "open");
    }

    #[test]
    fn a_call_that_sent_nothing_changes_no_count() {
        let breaker = Breaker::new(2, Duration::from_millis(10));
        breaker.record(false);
        breaker.release();
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 1 }, "a release is not a success");
        breaker.record(false);
        std::thread::sleep(Duration::from_millis(15));
        assert!(breaker.admit().is_ok());
        breaker.release();
        assert_eq!(breaker.state(), BreakerState::HalfOpen { probing: false }, "the probe slot is free again");
        assert!(breaker.admit().is_ok());
    }

    #[test]
    fn backoff_is_bounded_by_the_cap() {
        for attempt in 0..40 {
            assert!(backoff(attempt, Duration::from_millis(100), Duration::from_secs(2)) <= Duration::from_secs(2));
        }
        assert!(backoff(0, Duration::from_millis(100), Duration::from_secs(2)) <= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn the_bucket_gives_a_burst_then_refuses_past_the_deadline() {
        let limit = RateLimit::new(1.0, 2);
        let soon = Instant::now() + Duration::from_millis(20);
        assert!(!limit.acquire(soon).await.unwrap());
        assert!(!limit.acquire(soon).await.unwrap());
        assert!(limit.acquire(soon).await.is_err());
    }

    #[test]
    fn the_cache_expires_evicts_and_clears() {
        let response = || UpstreamResponse {
            status: reqwest::StatusCode::OK,
            body: b"{}".to_vec(),
            truncated: false,
            redirect_to: None,
            content_type: None,
            retry_after_seconds: None,
        };
        let cache = ResponseCache::new(Duration::from_secs(60), 2);
        cache.put("a".into(), response());
        cache.put("b".into(), response());
        cache.put("c".into(), response());
        assert!(cache.get("a").is_none() && cache.get("c").is_some());
        cache.clear();
        assert!(cache.get("c").is_none());
        assert!(!ResponseCache::new(Duration::ZERO, 2).enabled());
    }
}
