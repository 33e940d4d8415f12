//! How `bench` shows a latency distribution, as load testers do (hey, oha, wrk): a percentile
//! table and a text histogram.

use super::{Percentiles, group_digits};
use serde::Serialize;

/// One bar of the histogram: requests that took from `from_us` (included) to `to_us`
/// (excluded, but for the last bar, which holds the slowest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub from_us: u64,
    pub to_us: u64,
    pub count: u64,
}

/// Bars of a histogram.
pub const BUCKETS: usize = 12;

/// A histogram of sorted latencies (µs) in [`BUCKETS`] bars spaced by ratio from the fastest
/// to the slowest request: latencies spread over orders of magnitude (a slow tail ten times the
/// median), which even bars would squash into one.
pub fn histogram(sorted: &[u32]) -> Vec<Bucket> {
    let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    let (lo, hi) = (u64::from(lo).max(1), u64::from(hi).max(1));
    if hi <= lo {
        return vec![Bucket {
            from_us: lo,
            to_us: hi + 1,
            count: sorted.len() as u64,
        }];
    }
    let ratio = (hi as f64 / lo as f64).powf(1.0 / BUCKETS as f64);
    let mut edges: Vec<u64> = (0..=BUCKETS)
        .map(|i| (lo as f64 * ratio.powi(i as i32)).round() as u64)
        .collect();
    edges[BUCKETS] = hi + 1;
    edges.dedup();
    let mut out = Vec::with_capacity(edges.len());
    let mut at = 0usize;
    for w in edges.windows(2) {
        let end = at + sorted[at..].partition_point(|&s| u64::from(s).max(1) < w[1]);
        out.push(Bucket {
            from_us: w[0],
            to_us: w[1],
            count: (end - at) as u64,
        });
        at = end;
    }
    out
}

/// `12 345` µs as `12.3 ms`, smaller as `842 µs`.
pub fn fmt_us(us: u64) -> String {
    match us {
        0..1_000 => format!("{us} µs"),
        1_000..1_000_000 => format!("{:.2} ms", us as f64 / 1e3),
        _ => format!("{:.2} s", us as f64 / 1e6),
    }
}

/// The histogram as text: one line per bar, its range, a bar of `■` and the count.
pub fn histogram_text(buckets: &[Bucket], width: usize) -> String {
    let most = buckets.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let mut out = String::new();
    for b in buckets {
        let bar = ((b.count as f64 / most as f64) * width as f64).round() as usize;
        let bar = if b.count > 0 { bar.max(1) } else { 0 };
        out += &format!(
            "  {:>10} – {:<10} {:>9} │{}\n",
            fmt_us(b.from_us),
            fmt_us(b.to_us),
            group_digits(b.count),
            "■".repeat(bar)
        );
    }
    out
}

/// The percentile table: one header line, one line of values.
pub fn percentile_table(p: &Percentiles) -> String {
    let cols = [
        ("min", p.min),
        ("p50", p.p50),
        ("p75", p.p75),
        ("p90", p.p90),
        ("p95", p.p95),
        ("p99", p.p99),
        ("p99.9", p.p999),
        ("max", p.max),
    ];
    let mut head = String::from("  ");
    let mut vals = String::from("  ");
    for (name, v) in cols {
        head += &format!("{name:>10}");
        vals += &format!("{:>10}", fmt_us(v));
    }
    format!(
        "{head}{:>10}\n{vals}{:>10}\n",
        "mean",
        fmt_us(p.mean.round() as u64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_sample_once_spaced_by_ratio() {
        let mut s: Vec<u32> = (0..1000).map(|i| 100 + i * i / 10).collect();
        s.sort_unstable();
        let h = histogram(&s);
        assert_eq!(h.len(), BUCKETS);
        assert_eq!(h.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert_eq!(h[0].from_us, 100);
        assert_eq!(h[BUCKETS - 1].to_us, u64::from(*s.last().unwrap()) + 1);
        for w in h.windows(2) {
            assert_eq!(w[0].to_us, w[1].from_us, "contiguous");
        }
        // Each sample is in the bar whose range holds it.
        let mut at = 0;
        for b in &h {
            for &x in &s[at..at + b.count as usize] {
                assert!((b.from_us..b.to_us).contains(&u64::from(x)), "{x} in {b:?}");
            }
            at += b.count as usize;
        }
        assert!(histogram(&[]).is_empty());
        assert_eq!(histogram(&[7, 7, 7])[0].count, 3);
    }

    #[test]
    fn text_shows_ranges_bars_and_counts() {
        let h = [
            Bucket {
                from_us: 90,
                to_us: 900,
                count: 10,
            },
            Bucket {
                from_us: 900,
                to_us: 12_000,
                count: 5,
            },
            Bucket {
                from_us: 12_000,
                to_us: 2_000_000,
                count: 0,
            },
        ];
        let text = histogram_text(&h, 20);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].contains("90 µs") && lines[0].ends_with(&"■".repeat(20)));
        assert!(
            lines[1].contains("12.00 ms") && lines[1].ends_with(&format!("│{}", "■".repeat(10)))
        );
        assert!(lines[2].contains("2.00 s") && lines[2].ends_with('│'));
        let p = Percentiles {
            min: 5,
            p50: 1500,
            max: 2_500_000,
            mean: 12.4,
            ..Default::default()
        };
        let t = percentile_table(&p);
        assert!(
            t.contains("p99.9")
                && t.contains("1.50 ms")
                && t.contains("2.50 s")
                && t.contains("12 µs"),
            "{t}"
        );
    }
}
