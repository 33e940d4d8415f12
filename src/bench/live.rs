//! The live view of a running bench, drawn on stderr when it is a terminal: progress with an
//! integer rate and an ETA, error and timeout counts, and throughput and latency over time as
//! sparklines (a few lines under the prompt, a ratatui inline viewport; cleared at the end so
//! the report follows the command).

use super::group_digits;
use super::report::fmt_us;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Sparkline};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Lines the live view takes.
pub const HEIGHT: u16 = 6;
/// How often it is redrawn (each redraw is one point of the sparklines).
pub const TICK: Duration = Duration::from_millis(200);

/// What the workers count as they go (relaxed atomics: a view, not the report).
#[derive(Default)]
pub struct Counters {
    pub finished: AtomicU64,
    pub errors: AtomicU64,
    pub timeouts: AtomicU64,
    /// Sum of latencies (µs) of finished requests.
    pub latency_sum_us: AtomicU64,
    /// Slowest request since the view last looked.
    pub latency_max_us: AtomicU64,
}

impl Counters {
    pub fn record(&self, us: u64, error: bool, timeout: bool) {
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
        self.latency_max_us.fetch_max(us, Ordering::Relaxed);
        if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        if timeout {
            self.timeouts.fetch_add(1, Ordering::Relaxed);
        }
        self.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one redraw shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub finished: u64,
    /// The request count asked for, when the run is bounded by one.
    pub total: Option<u64>,
    /// The duration asked for, when the run is bounded by one.
    pub duration: Option<Duration>,
    pub elapsed: Duration,
    pub errors: u64,
    pub timeouts: u64,
    /// Requests a second over each tick so far, oldest first.
    pub rates: Vec<u64>,
    /// Mean latency (µs) over each tick, oldest first.
    pub latencies: Vec<u64>,
    /// Slowest request (µs) over the last tick.
    pub max_us: u64,
}

impl Snapshot {
    /// Requests a second over the whole run so far.
    pub fn rate(&self) -> u64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            (self.finished as f64 / s).round() as u64
        } else {
            0
        }
    }

    /// Time left: the duration's rest, or the requests left at the rate so far.
    pub fn eta(&self) -> Option<Duration> {
        let by_time = self.duration.map(|d| d.saturating_sub(self.elapsed));
        let by_count = self.total.and_then(|n| {
            let rate = self.rate();
            (rate > 0).then(|| {
                Duration::from_secs_f64(n.saturating_sub(self.finished) as f64 / rate as f64)
            })
        });
        match (by_time, by_count) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// How far along, from 0 to 1.
    pub fn ratio(&self) -> f64 {
        let by_count = self.total.map(|n| self.finished as f64 / n.max(1) as f64);
        let by_time = self
            .duration
            .map(|d| self.elapsed.as_secs_f64() / d.as_secs_f64().max(1e-9));
        by_count
            .into_iter()
            .chain(by_time)
            .fold(0.0, f64::max)
            .clamp(0.0, 1.0)
    }

    /// The first line: counts, integer rate, ETA, errors and timeouts.
    pub fn status_line(&self) -> String {
        let done = match self.total {
            Some(n) => format!(
                "{} / {} requests",
                group_digits(self.finished),
                group_digits(n)
            ),
            None => format!("{} requests", group_digits(self.finished)),
        };
        let eta = self
            .eta()
            .map_or_else(String::new, |d| format!("  ETA {:.1} s", d.as_secs_f64()));
        format!(
            "{done}  {}/s{eta}  elapsed {:.1} s  errors {}  timeouts {}",
            group_digits(self.rate()),
            self.elapsed.as_secs_f64(),
            group_digits(self.errors),
            group_digits(self.timeouts)
        )
    }
}

/// Draws a snapshot into the inline viewport (a pure function of the snapshot).
pub fn draw(f: &mut Frame, s: &Snapshot) {
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(2),
    ])
    .split(f.area());
    let bad = s.errors + s.timeouts > 0;
    let status_style = if bad {
        Style::default().fg(Color::Yellow)
    } else {
        Style::default()
    };
    f.render_widget(Line::styled(s.status_line(), status_style), rows[0]);
    f.render_widget(
        Gauge::default()
            .ratio(s.ratio())
            .label(format!("{:.0} %", s.ratio() * 100.0))
            .gauge_style(Style::default().fg(Color::Cyan)),
        rows[1],
    );
    let label_w = 32;
    for (row, values, label, colour) in [
        (
            rows[2],
            &s.rates,
            format!(
                "throughput {}/s",
                group_digits(s.rates.last().copied().unwrap_or(0))
            ),
            Color::Green,
        ),
        (
            rows[3],
            &s.latencies,
            format!(
                "latency {} (max {})",
                fmt_us(s.latencies.last().copied().unwrap_or(0)),
                fmt_us(s.max_us)
            ),
            Color::Magenta,
        ),
    ] {
        let [text, spark] =
            Layout::horizontal([Constraint::Length(label_w), Constraint::Min(1)]).areas(row);
        f.render_widget(Line::from(Span::raw(label)), text);
        // The newest points, as many as fit.
        let keep = usize::from(spark.width);
        let data: Vec<u64> = values
            .iter()
            .skip(values.len().saturating_sub(keep))
            .copied()
            .collect();
        f.render_widget(
            Sparkline::default()
                .data(&data)
                .style(Style::default().fg(colour)),
            spark,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn snap() -> Snapshot {
        Snapshot {
            finished: 6_000,
            total: Some(20_000),
            duration: None,
            elapsed: Duration::from_millis(1_500),
            errors: 2,
            timeouts: 1,
            rates: vec![3_000, 4_000, 5_000, 4_500],
            latencies: vec![900, 1_200, 15_000, 1_100],
            max_us: 40_000,
        }
    }

    #[test]
    fn the_status_line_has_an_integer_rate_an_eta_and_the_failures() {
        let s = snap();
        assert_eq!(s.rate(), 4_000);
        assert_eq!(
            s.status_line(),
            "6 000 / 20 000 requests  4 000/s  ETA 3.5 s  elapsed 1.5 s  errors 2  timeouts 1"
        );
        let timed = Snapshot {
            total: None,
            duration: Some(Duration::from_secs(10)),
            ..snap()
        };
        assert_eq!(timed.eta(), Some(Duration::from_millis(8_500)));
        assert!((timed.ratio() - 0.15).abs() < 1e-9);
        assert_eq!(Snapshot::default().eta(), None);
    }

    #[test]
    fn draws_progress_and_both_sparklines() {
        let mut t = Terminal::new(TestBackend::new(100, HEIGHT)).unwrap();
        t.draw(|f| draw(f, &snap())).unwrap();
        let screen: String = t
            .backend()
            .buffer()
            .content()
            .chunks(100)
            .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
            .collect();
        assert!(
            screen.contains("6 000 / 20 000 requests  4 000/s  ETA 3.5 s"),
            "{screen}"
        );
        assert!(screen.contains("30 %"), "{screen}");
        assert!(screen.contains("throughput 4 500/s"), "{screen}");
        assert!(
            screen.contains("latency 1.10 ms (max 40.00 ms)"),
            "{screen}"
        );
        assert!(screen.contains('█'), "sparkline bars: {screen}");
    }
}
