//! The bench module against real demo-plugin processes, and its in-process baseline.
//!
//! Measurements (release build recommended):
//! `cargo test --release --test bench -- --ignored --nocapture measure`

mod common;

use bytes::Bytes;
use common::BIN;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tgo_console::bench::{self, BenchOptions, BenchReport, Percentiles};
use tgo_console::host::{CapabilityKind, HostConfig, RenderContext};
use tgo_console::launcher::LaunchSpec;

/// Options benching the demo plugin on a socket in `dir`.
fn demo(dir: &tempfile::TempDir) -> BenchOptions {
    let socket = dir.path().join("tgo.sock");
    BenchOptions {
        host: HostConfig {
            socket: Some(socket.clone()),
            request_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(2),
            log_budget_bytes: bench::SUGGESTED_LOG_BUDGET_BYTES,
            ..HostConfig::default()
        },
        command: LaunchSpec {
            program: BIN.into(),
            args: vec![
                "demo-plugin".into(),
                "--socket".into(),
                socket.display().to_string(),
                "--log-file".into(),
                dir.path().join("demo.log").display().to_string(),
            ],
            ..Default::default()
        },
        requests: None,
        duration: None,
        concurrency: 1,
        method: None,
        params: None,
        progress: false,
        baseline: false,
    }
}

fn ordered(p: &Percentiles) -> bool {
    p.min <= p.p50 && p.p50 <= p.p90 && p.p90 <= p.p99 && p.p99 <= p.max
}

async fn bench(opts: BenchOptions) -> BenchReport {
    let report = bench::run(opts).await.expect("bench runs");
    eprint!("{}", report.to_text());
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn renders_at_concurrency_8() {
    let dir = tempfile::tempdir().unwrap();
    let report = bench(BenchOptions {
        requests: Some(500),
        concurrency: 8,
        baseline: true,
        ..demo(&dir)
    })
    .await;
    let raw = report.baseline.as_ref().expect("a baseline was asked for");
    assert_eq!((raw.frames, raw.concurrency), (500, 8));
    assert!(
        raw.answer_bytes > 1000,
        "the baseline answers a real render"
    );
    assert!(ordered(&raw.latency_us));
    let apart = report.baseline_apart.as_ref().expect("both baselines");
    assert!(apart.echo_apart && !raw.echo_apart);
    assert_eq!(apart.frames, 500);
    assert_eq!(report.plugin_id, "com.tgo.demo");
    assert_eq!(report.method, "visitor_panel/render");
    assert_eq!((report.requests, report.ok), (500, 500));
    assert_eq!(
        (report.plugin_errors, report.timeouts, report.other_failures),
        (0, 0, 0)
    );
    assert!(report.aborted.is_none());
    assert!(ordered(&report.latency_us), "{:?}", report.latency_us);
    assert!(report.latency_us.min > 0);
    assert!(report.throughput_per_s > 0.0);
    let json: Value = serde_json::from_str(&report.to_json()).expect("JSON report");
    assert_eq!(json["ok"], 500);
    assert_eq!(json["method"], "visitor_panel/render");
    assert!(json["latency_us"]["p99"].as_u64().is_some());
    assert!(json["elapsed_s"].as_f64().unwrap() > 0.0);
    assert_eq!(json["baseline"]["frames"], 500);
    assert!(
        !dir.path().join("tgo.sock").exists(),
        "the host removed its socket"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn plugin_errors_are_not_ok() {
    let dir = tempfile::tempdir().unwrap();
    let report = bench(BenchOptions {
        requests: Some(50),
        concurrency: 4,
        method: Some("nope/method".into()),
        ..demo(&dir)
    })
    .await;
    assert_eq!(report.method, "nope/method");
    assert_eq!(
        (report.requests, report.plugin_errors, report.ok),
        (50, 50, 0)
    );
    assert!(ordered(&report.latency_us));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_duration_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let report = bench(BenchOptions {
        duration: Some(Duration::from_millis(300)),
        concurrency: 4,
        method: Some("ping".into()),
        ..demo(&dir)
    })
    .await;
    let total = started.elapsed();
    eprintln!("whole run incl. launch and shutdown: {total:?}");
    assert!(report.ok > 0);
    assert_eq!(report.ok, report.requests);
    assert!(report.elapsed >= Duration::from_millis(300));
    assert!(
        report.elapsed < Duration::from_secs(2),
        "load phase took {:?}",
        report.elapsed
    );
    assert!(total < Duration::from_secs(6), "whole run took {total:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plugin_that_never_registers_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = demo(&dir);
    opts.command = LaunchSpec {
        program: "sh".into(),
        args: vec!["-c".into(), "echo giving up >&2; exit 3".into()],
        ..Default::default()
    };
    let err = bench::run(opts).await.expect_err("no registration");
    let text = format!("{err:#}");
    assert!(text.contains("exited"), "{text}");
    assert!(text.contains("giving up"), "{text}");
}

/// The near-free plugin (`tgo-console bench-plugin`) through the host, then through the
/// minimal host of `--baseline`, in one run: both answer every request, and the JSON report
/// carries the two throughputs and their ratio at top level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baseline_runs_the_same_plugin_on_a_minimal_host() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = BenchOptions {
        requests: Some(300),
        concurrency: 8,
        baseline: true,
        ..demo(&dir)
    };
    opts.command.args = vec![
        "bench-plugin".into(),
        "--socket".into(),
        dir.path().join("tgo.sock").display().to_string(),
    ];
    let report = bench(opts).await;
    assert_eq!(report.plugin_id, "com.tgo.bench");
    assert_eq!((report.requests, report.ok), (300, 300));
    let minimal = report.minimal_host.as_ref().expect("the minimal host ran");
    assert_eq!((minimal.requests, minimal.concurrency), (300, 8));
    assert!(
        (2000..5000).contains(&minimal.answer_bytes),
        "a ~3 KB answer: {}",
        minimal.answer_bytes
    );
    assert!(ordered(&minimal.latency_us));
    let json: Value = serde_json::from_str(&report.to_json()).expect("JSON report");
    let num = |k: &str| json[k].as_f64().unwrap_or_else(|| panic!("{k} in {json}"));
    let (host, base, ratio) = (
        num("throughput_per_sec"),
        num("baseline_throughput_per_sec"),
        num("ratio"),
    );
    assert!(host > 0.0 && base > 0.0);
    assert!((ratio - host / base).abs() < 1e-9 * ratio.max(1.0));
    assert_eq!(json["throughput_per_s"], json["throughput_per_sec"]);
    let text = report.to_text();
    assert!(text.contains("× the minimal host"), "{text}");
    assert!(
        text.contains("latency histogram") && text.contains("p99.9"),
        "{text}"
    );
    let bars = json["latency_histogram_us"]
        .as_array()
        .expect("a histogram");
    let counted: u64 = bars.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(counted, 300, "every request in one bar");
    assert!(
        !dir.path().join("tgo.sock").exists(),
        "both hosts cleaned up"
    );
}

/// The `result` of a default render of the demo's visitor panel, as bytes.
fn render_answer() -> Bytes {
    let params = RenderContext::default().render_params(&CapabilityKind::VisitorPanel);
    let result = tgo_console::demo_plugin::dispatch("visitor_panel/render", &params).unwrap();
    Bytes::from(serde_json::to_vec(&result).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn raw_pingpong_is_sane() {
    for (concurrency, apart) in [(1, false), (16, false), (1, true), (16, true)] {
        let r = if apart {
            bench::raw_pingpong_apart(2_000, concurrency, render_answer()).await
        } else {
            bench::raw_pingpong(2_000, concurrency, render_answer()).await
        }
        .expect("ping-pong runs");
        assert_eq!(r.echo_apart, apart);
        eprint!("{}", r.to_text());
        assert_eq!(r.frames, 2_000);
        assert!(r.answer_bytes > 1000, "a render answer is a few KiB");
        assert!(ordered(&r.latency_us), "{:?}", r.latency_us);
        assert!(r.throughput_per_s > 0.0);
        assert!(r.elapsed < Duration::from_secs(5));
    }
    assert!(
        bench::raw_pingpong(10, 1, Bytes::from_static(b"{oops"))
            .await
            .is_err()
    );
}

/// Host overhead and throughput, for the developer to read. Not run by default.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "measurement: run with --release --ignored --nocapture"]
async fn measure() {
    let dir = tempfile::tempdir().unwrap();
    let render = render_answer();
    let pong = Bytes::from(json!({"pong": true}).to_string());
    for (what, method, payload) in [
        ("render", None, render.clone()),
        ("ping", Some("ping".to_string()), pong),
    ] {
        for concurrency in [1, 64] {
            let raw = bench::raw_pingpong(20_000, concurrency, payload.clone())
                .await
                .unwrap();
            eprint!("[{what} c={concurrency}] {}", raw.to_text());
            let host = bench(BenchOptions {
                requests: Some(20_000),
                concurrency,
                method: method.clone(),
                ..demo(&dir)
            })
            .await;
            eprintln!(
                "[{what} c={concurrency}] host p50 {} µs vs raw p50 {} µs: +{} µs; {:.0} req/s vs raw {:.0} /s\n",
                host.latency_us.p50,
                raw.latency_us.p50,
                host.latency_us.p50.saturating_sub(raw.latency_us.p50),
                host.throughput_per_s,
                raw.throughput_per_s
            );
        }
    }
}
