//! How each plugin is doing, from the requests the host sent it: counts of requests, errors and
//! timeouts, latency percentiles over its last answers, when it last answered. The host keeps
//! one [`Health`] per plugin id (across reconnects); `check` keeps one per step too.
//!
//! The dot the console draws from it ([`HealthSnapshot::level`]):
//! - red: more than 10 % of the last 100 requests ended in an error (a plugin error, an
//!   invalid answer, a disconnect) — or, known to the console only, a crash loop or no
//!   connection;
//! - amber: a timeout among the last 100, or a p99 latency over 1 s;
//! - green otherwise (and grey before any request).

use super::Outcome;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Requests (and answers) the percentiles and the rule look back on.
pub const WINDOW: usize = 100;
/// A p99 above this makes a plugin amber.
pub const SLOW_P99: Duration = Duration::from_secs(1);
/// More than this share of errors in the window makes a plugin red.
pub const ERROR_SHARE: f64 = 0.10;

/// How one request ended, as health counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// A result.
    Answer,
    /// A plugin error or an invalid answer: it answered, wrongly.
    ErrorAnswer,
    /// No answer: the connection went.
    Lost,
    Timeout,
}

/// One plugin's running tally.
#[derive(Clone, Debug, Default)]
pub struct Health {
    requests: u64,
    errors: u64,
    timeouts: u64,
    cancelled: u64,
    /// The last [`WINDOW`] requests that ended (cancelled ones aside): how, and the latency of
    /// those answered.
    recent: VecDeque<(Ended, Duration)>,
    last_answer: Option<Instant>,
    /// When a request of it last ended (which tally the host forgets first).
    last_request: Option<Instant>,
}

/// Plugin ids whose tallies the host keeps: one that registers without an id gets a new one each
/// time, and a thousand restarts must not keep a thousand tallies.
pub const MAX_TRACKED: usize = 1024;

/// Counts one request of `plugin_id` in `all`, forgetting the least recently used tally when a
/// new id would go over [`MAX_TRACKED`].
pub fn record_in<R>(
    all: &mut std::collections::HashMap<String, Health>,
    plugin_id: &str,
    outcome: &Outcome<R>,
    latency: Duration,
    now: Instant,
) {
    // The common case: a known plugin, no allocation.
    if let Some(h) = all.get_mut(plugin_id) {
        h.record(outcome, latency, now);
        return;
    }
    if all.len() >= MAX_TRACKED {
        let oldest = all
            .iter()
            .min_by_key(|(_, h)| h.last_request)
            .map(|(id, _)| id.clone());
        if let Some(oldest) = oldest {
            all.remove(&oldest);
        }
    }
    let mut h = Health::default();
    h.record(outcome, latency, now);
    all.insert(plugin_id.to_string(), h);
}

/// Everything [`Health`] knows at one moment, ready to show or serialise.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HealthSnapshot {
    /// Requests that ended (any way, cancelled ones too).
    pub requests: u64,
    /// Plugin errors, invalid answers and requests lost with the connection.
    pub errors: u64,
    pub timeouts: u64,
    /// Cancelled by the user (counted in `requests`, neither errors nor timeouts).
    pub cancelled: u64,
    /// Over the answers among the last [`WINDOW`] requests.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Errors among the last [`WINDOW`] requests, and how many that window holds.
    pub recent_errors: usize,
    pub recent_timeouts: usize,
    pub recent: usize,
    /// Seconds since the last answer (result or error), if there was one.
    pub since_last_answer_s: Option<f64>,
}

/// The colour of a plugin's health dot (see the module's rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthLevel {
    /// Nothing asked of it yet.
    Unknown,
    Green,
    Amber,
    Red,
}

impl Health {
    /// Counts one request that ended with `outcome` after `latency`.
    pub fn record<R>(&mut self, outcome: &Outcome<R>, latency: Duration, now: Instant) {
        self.requests += 1;
        self.last_request = Some(now);
        let ended = match outcome {
            Outcome::Result { .. } => Ended::Answer,
            Outcome::PluginError(_) | Outcome::InvalidAnswer { .. } => Ended::ErrorAnswer,
            Outcome::Disconnected { .. } => Ended::Lost,
            Outcome::Timeout { .. } => Ended::Timeout,
            Outcome::Cancelled => {
                self.cancelled += 1;
                return;
            }
        };
        match ended {
            Ended::Answer => {}
            Ended::ErrorAnswer | Ended::Lost => self.errors += 1,
            Ended::Timeout => self.timeouts += 1,
        }
        if matches!(ended, Ended::Answer | Ended::ErrorAnswer) {
            self.last_answer = Some(now);
        }
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back((ended, latency));
    }

    pub fn snapshot(&self, now: Instant) -> HealthSnapshot {
        let mut answered: Vec<Duration> = self
            .recent
            .iter()
            .filter(|(e, _)| matches!(e, Ended::Answer | Ended::ErrorAnswer))
            .map(|(_, l)| *l)
            .collect();
        answered.sort_unstable();
        let pct = |p: f64| -> Option<f64> {
            if answered.is_empty() {
                return None;
            }
            // Nearest rank: the smallest latency at least p of the answers do not exceed.
            let rank = ((p * answered.len() as f64).ceil() as usize).clamp(1, answered.len());
            Some(answered[rank - 1].as_secs_f64() * 1000.0)
        };
        let count = |kind: &[Ended]| self.recent.iter().filter(|(e, _)| kind.contains(e)).count();
        HealthSnapshot {
            requests: self.requests,
            errors: self.errors,
            timeouts: self.timeouts,
            cancelled: self.cancelled,
            p50_ms: pct(0.50),
            p99_ms: pct(0.99),
            recent_errors: count(&[Ended::ErrorAnswer, Ended::Lost]),
            recent_timeouts: count(&[Ended::Timeout]),
            recent: self.recent.len(),
            since_last_answer_s: self
                .last_answer
                .map(|at| now.saturating_duration_since(at).as_secs_f64()),
        }
    }
}

impl HealthSnapshot {
    /// The dot's colour from the requests alone (the console adds crash loops and connections).
    pub fn level(&self) -> HealthLevel {
        if self.recent == 0 {
            return HealthLevel::Unknown;
        }
        if self.recent_errors as f64 > ERROR_SHARE * self.recent as f64 {
            return HealthLevel::Red;
        }
        if self.recent_timeouts > 0
            || self
                .p99_ms
                .is_some_and(|p| p > SLOW_P99.as_secs_f64() * 1e3)
        {
            return HealthLevel::Amber;
        }
        HealthLevel::Green
    }

    /// "12 req · 2 err · 1 timeout · p50 3 ms · p99 40 ms · answered 4 s ago", the parts that
    /// apply.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("{} req", self.requests)];
        if self.errors > 0 {
            parts.push(format!("{} err", self.errors));
        }
        if self.timeouts > 0 {
            let s = if self.timeouts == 1 { "" } else { "s" };
            parts.push(format!("{} timeout{s}", self.timeouts));
        }
        if let (Some(p50), Some(p99)) = (self.p50_ms, self.p99_ms) {
            parts.push(format!("p50 {} · p99 {}", ms(p50), ms(p99)));
        }
        if let Some(ago) = self.since_last_answer_s {
            parts.push(format!("answered {} ago", ago_text(ago)));
        }
        parts.join(" · ")
    }
}

/// Milliseconds as people read them: "0.4 ms", "12 ms", "1.5 s".
pub fn ms(value: f64) -> String {
    if value >= 1000.0 {
        format!("{:.1} s", value / 1000.0)
    } else if value >= 10.0 {
        format!("{value:.0} ms")
    } else {
        format!("{value:.1} ms")
    }
}

/// Seconds ago as "3 s", "2 min", "1 h".
pub fn ago_text(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::RpcError;

    fn err() -> Outcome {
        Outcome::PluginError(RpcError {
            code: -32003,
            message: "no".into(),
            data: None,
        })
    }

    #[test]
    fn counts_percentiles_and_the_rule() {
        let t0 = Instant::now();
        let mut h = Health::default();
        assert_eq!(h.snapshot(t0).level(), HealthLevel::Unknown);
        for i in 1..=8u64 {
            let ok: Outcome = Outcome::Result { value: 1.into() };
            h.record(&ok, Duration::from_millis(i * 10), t0);
        }
        assert_eq!(h.snapshot(t0).level(), HealthLevel::Green);
        h.record(&err(), Duration::from_millis(5), t0);
        h.record(
            &err(),
            Duration::from_millis(5),
            t0 + Duration::from_secs(1),
        );
        let timeout: Outcome = Outcome::Timeout {
            after: Duration::from_secs(2),
            meanwhile: None,
        };
        h.record(
            &timeout,
            Duration::from_secs(2),
            t0 + Duration::from_secs(3),
        );
        h.record(&Outcome::<serde_json::Value>::Cancelled, Duration::ZERO, t0);
        let s = h.snapshot(t0 + Duration::from_secs(5));
        assert_eq!(
            (s.requests, s.errors, s.timeouts, s.cancelled),
            (12, 2, 1, 1)
        );
        assert_eq!((s.recent, s.recent_errors, s.recent_timeouts), (11, 2, 1));
        // Answers: 5, 5, 10, 20, …, 80 ms: the 5th of 10 is 30 ms, the 10th 80 ms.
        assert_eq!(s.p50_ms, Some(30.0));
        assert_eq!(s.p99_ms, Some(80.0));
        assert_eq!(s.since_last_answer_s, Some(4.0));
        // 2 errors in 11 is over 10 %.
        assert_eq!(s.level(), HealthLevel::Red);
        assert_eq!(
            s.summary(),
            "12 req · 2 err · 1 timeout · p50 30 ms · p99 80 ms · answered 4 s ago"
        );
    }

    #[test]
    fn the_least_recently_used_tally_goes_past_the_cap() {
        let t0 = Instant::now();
        let mut all = std::collections::HashMap::new();
        let ok: Outcome = Outcome::Result { value: 1.into() };
        for i in 0..MAX_TRACKED {
            let at = t0 + Duration::from_millis(i as u64);
            record_in(&mut all, &format!("p{i}"), &ok, Duration::ZERO, at);
        }
        // p0 is used again: p1 is now the oldest.
        let later = t0 + Duration::from_secs(5);
        record_in(&mut all, "p0", &ok, Duration::ZERO, later);
        record_in(&mut all, "new", &ok, Duration::ZERO, later);
        assert_eq!(all.len(), MAX_TRACKED);
        assert!(all.contains_key("p0") && all.contains_key("new"));
        assert!(!all.contains_key("p1"));
    }

    #[test]
    fn timeouts_or_a_slow_p99_are_amber_and_the_window_forgets() {
        let t0 = Instant::now();
        let mut h = Health::default();
        let ok: Outcome = Outcome::Result { value: 1.into() };
        h.record(&ok, Duration::from_millis(1500), t0);
        assert_eq!(h.snapshot(t0).level(), HealthLevel::Amber);
        for _ in 0..WINDOW {
            h.record(&ok, Duration::from_millis(2), t0);
        }
        let s = h.snapshot(t0);
        assert_eq!(
            s.level(),
            HealthLevel::Green,
            "the slow one left the window"
        );
        assert_eq!(s.recent, WINDOW);
        assert_eq!(s.requests, WINDOW as u64 + 1);
    }
}
