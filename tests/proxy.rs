//! Proxy mode (issue 15): tgo-console between real plugin processes and a "real" TGO host.
//! The upstream is a second host (the library's, on its own socket), or a Python stand-in for
//! the real host's dev-token check; the plugins are the demo plugin and rogue.py; the proxy
//! is the library host with `upstream` set, or the `tgo-console proxy` binary.

mod common;

use common::console::Console;
use common::*;
use crossterm::event::KeyCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;
use tgo_console::host::context::capability_render_params;
use tgo_console::host::{
    Direction, EntryKind, HostEvent, LogEntry, Outcome, Party, RenderContext, UpstreamAddr,
    UpstreamConfig,
};
use tgo_console::launcher::{ChildPlugin, LaunchSpec};
use tgo_console::proxy::CONSOLE_ID_BASE;

fn upstream(socket: &Path) -> UpstreamConfig {
    UpstreamConfig {
        redial_min: Duration::from_millis(50),
        redial_max: Duration::from_millis(400),
        ..UpstreamConfig::new(UpstreamAddr::Unix(socket.to_path_buf()))
    }
}

/// A host in proxy mode in front of the host listening on `socket`.
async fn start_proxy(socket: &Path) -> TestHost {
    let up = upstream(socket);
    start_host(move |c| c.upstream = Some(up)).await
}

fn render_params(h: &TestHost, plugin: &str) -> Value {
    let caps = h
        .handle
        .plugin(plugin)
        .expect("registered")
        .info
        .capabilities;
    capability_render_params(&RenderContext::default(), &caps, 0)
}

fn entries(h: &TestHost) -> Vec<LogEntry> {
    h.handle.log().entries().iter().cloned().collect()
}

fn find<'a>(all: &'a [LogEntry], what: &str, pred: impl Fn(&LogEntry) -> bool) -> &'a LogEntry {
    all.iter()
        .find(|e| pred(e))
        .unwrap_or_else(|| panic!("no {what} in the log: {:#?}", all))
}

fn by_seq(all: &[LogEntry], seq: Option<u64>) -> &LogEntry {
    let seq = seq.expect("a linked entry");
    all.iter()
        .find(|e| e.seq == seq)
        .expect("linked entry kept")
}

fn is_request(e: &LogEntry, method: &str) -> bool {
    matches!(&e.kind, EntryKind::Request { method: m, .. } if m == method)
}

fn request_id(e: &LogEntry) -> i64 {
    match &e.kind {
        EntryKind::Request {
            id: tgo_console::protocol::Id::Num(n),
            ..
        } => *n,
        other => panic!("not a numbered request: {other:?}"),
    }
}

/// Output lines of a child process so far.
fn output(p: &ChildPlugin) -> Vec<String> {
    p.output()
        .lock()
        .lines()
        .iter()
        .map(|l| l.text.clone())
        .collect()
}

async fn output_has(p: &ChildPlugin, what: &str, pred: impl Fn(&str) -> bool) -> String {
    eventually(
        Duration::from_secs(10),
        || output(p).iter().any(|l| pred(l)),
        || format!("{what}; output: {:#?}", output(p)),
    )
    .await;
    output(p).into_iter().find(|l| pred(l)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_plugin_is_registered_upstream_on_its_own_connection() {
    let mut up = start_host(|_| {}).await;
    let mut proxy = start_proxy(&up.socket).await;
    let _a = proxy.demo("com.tgo.a");
    let _b = proxy.demo("com.tgo.b");
    let on_host = up.registered_as("com.tgo.a").await;
    up.registered_as("com.tgo.b").await;
    let on_proxy = proxy.registered_as("com.tgo.a").await;
    proxy.registered_as("com.tgo.b").await;
    assert_eq!(on_host.capabilities, on_proxy.capabilities);
    let conns: HashSet<u64> = up.handle.plugins().iter().map(|p| p.conn).collect();
    assert_eq!(conns.len(), 2, "one upstream connection per plugin");

    // The plugin's register, its copy to the host, the host's answer and its copy line up.
    let log = entries(&proxy);
    let mine = find(&log, "the plugin's register", |e| {
        is_request(e, "register")
            && e.party == Party::Plugin
            && e.plugin.as_deref() == Some("com.tgo.a")
    });
    let copy = find(&log, "the register sent upstream", |e| {
        e.via == Some(mine.seq)
    });
    assert_eq!((copy.party, copy.dir), (Party::Upstream, Direction::Out));
    assert!(is_request(copy, "register"));
    let answer = by_seq(&log, copy.pair);
    assert_eq!((answer.party, answer.dir), (Party::Upstream, Direction::In));
    let told = by_seq(&log, mine.pair);
    assert_eq!((told.party, told.dir), (Party::Plugin, Direction::Out));
    assert_eq!(told.via, Some(answer.seq));
    assert_eq!(
        told.raw, answer.raw,
        "the host's answer reaches the plugin unchanged"
    );
    let host_log = entries(&up);
    let sent = find(&host_log, "the host's register answer", |e| {
        e.dir == Direction::Out
            && matches!(e.kind, EntryKind::Result { .. })
            && e.plugin.as_deref() == Some("com.tgo.a")
    });
    assert_eq!(sent.raw, answer.raw);
}

const GOOD_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoicGx1Z2luX2RldiJ9.good-signature";
const BAD_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJ0eXBlIjoicGx1Z2luX2RldiJ9.forged-signature";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_dev_token_reaches_the_plugin_as_the_host_said_it() {
    let dir = tempfile::tempdir().unwrap();
    let real_socket = dir.path().join("real.sock");
    let real = ChildPlugin::spawn(&LaunchSpec {
        program: "python3".into(),
        args: vec![
            repo_path("tests/plugins/tgo_host.py").display().to_string(),
            real_socket.display().to_string(),
            GOOD_TOKEN.into(),
        ],
        ..Default::default()
    })
    .unwrap();
    until_exists(&real_socket, Duration::from_secs(10), "the stand-in host");

    let mut bad = upstream(&real_socket);
    bad.dev_token = Some(BAD_TOKEN.into());
    let mut proxy = start_host(move |c| c.upstream = Some(bad)).await;
    let plugin = proxy.rogue("good", Some("rogue.token"));
    let ev = proxy
        .next_event(|e| matches!(e, HostEvent::Rejected { .. }))
        .await;
    let HostEvent::Rejected { reason, .. } = ev else {
        unreachable!()
    };
    assert!(reason.contains("Invalid dev_token"), "{reason}");
    let heard = output_has(&plugin, "the plugin hears the refusal", |l| {
        l.contains("REGISTERED")
    })
    .await;
    assert!(
        heard.contains(r#""code": -32000"#)
            && heard.contains("Invalid dev_token: signature is invalid"),
        "{heard}"
    );
    // The token went over the wire whole, and into the log cut short.
    output_has(&real, "the host got the token", |l| {
        l.contains("REGISTER") && l.contains(BAD_TOKEN)
    })
    .await;
    let log = entries(&proxy);
    assert!(
        log.iter()
            .all(|e| !String::from_utf8_lossy(&e.raw).contains(BAD_TOKEN)),
        "the token is logged in full"
    );
    assert!(log.iter().any(|e| {
        e.party == Party::Upstream && String::from_utf8_lossy(&e.raw).contains("redacted")
    }));

    // The right token is let in.
    let mut good = upstream(&real_socket);
    good.dev_token = Some(GOOD_TOKEN.into());
    let mut proxy = start_host(move |c| c.upstream = Some(good)).await;
    let _plugin = proxy.rogue("good", Some("rogue.token"));
    proxy.registered_as("rogue.token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_render_and_event_reach_the_plugin_and_the_answers_come_back_unchanged() {
    let mut up = start_host(|_| {}).await;
    let mut proxy = start_proxy(&up.socket).await;
    let _p = proxy.demo("com.tgo.demo");
    up.registered_as("com.tgo.demo").await;
    proxy.registered_as("com.tgo.demo").await;

    let params = render_params(&up, "com.tgo.demo");
    let render = up
        .handle
        .request("com.tgo.demo", "visitor_panel/render", params)
        .await
        .unwrap();
    assert!(
        matches!(render.outcome, Outcome::Result { .. }),
        "{render:?}"
    );
    let event = json!({"event_type": "button_click", "action_id": "refresh",
                       "visitor_id": "v_12345", "session_id": "s_1"});
    let event = up
        .handle
        .request("com.tgo.demo", "visitor_panel/event", event)
        .await
        .unwrap();
    assert!(matches!(event.outcome, Outcome::Result { .. }), "{event:?}");

    let host_log = entries(&up);
    let log = entries(&proxy);
    for reply in [&render, &event] {
        let asked = by_seq(&host_log, Some(reply.request_seq));
        let answered = by_seq(&host_log, reply.response_seq);
        // On the proxy: the host's request, its copy to the plugin (same id, same bytes), the
        // plugin's answer and its copy to the host (the bytes the host got).
        let got = find(&log, "the host's request", |e| {
            e.party == Party::Upstream && e.dir == Direction::In && e.raw == asked.raw
        });
        let copy = find(&log, "its copy to the plugin", |e| e.via == Some(got.seq));
        assert_eq!((copy.party, copy.dir), (Party::Plugin, Direction::Out));
        assert_eq!(copy.raw, asked.raw);
        assert_eq!(request_id(copy), reply.id as i64, "forwarded id for id");
        let plugin_answer = by_seq(&log, copy.pair);
        let back = by_seq(&log, got.pair);
        assert_eq!((back.party, back.dir), (Party::Upstream, Direction::Out));
        assert_eq!(back.via, Some(plugin_answer.seq));
        assert_eq!(plugin_answer.raw, answered.raw);
        assert_eq!(back.raw, answered.raw);
        // Host-side total, plugin time and the proxy's overhead are all there to show.
        assert!(back.latency.unwrap() >= plugin_answer.latency.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_requests_amid_host_traffic_disturb_neither_side() {
    let mut up = start_host(|_| {}).await;
    let mut proxy = start_proxy(&up.socket).await;
    let _p = proxy.demo("com.tgo.demo");
    up.registered_as("com.tgo.demo").await;
    proxy.registered_as("com.tgo.demo").await;
    let params = render_params(&up, "com.tgo.demo");

    let host_side = (0..30).map(|_| {
        let h = up.handle.clone();
        let p = params.clone();
        async move { h.request("com.tgo.demo", "visitor_panel/render", p).await }
    });
    let console_side = (0..10).map(|_| {
        let h = proxy.handle.clone();
        let p = params.clone();
        async move { h.request("com.tgo.demo", "visitor_panel/render", p).await }
    });
    let (host_replies, console_replies) = tokio::join!(
        futures::future::join_all(host_side),
        futures::future::join_all(console_side)
    );
    for r in host_replies.iter().chain(&console_replies) {
        let r = r.as_ref().unwrap();
        assert!(matches!(r.outcome, Outcome::Result { .. }), "{r:?}");
    }
    for r in &console_replies {
        assert!(r.as_ref().unwrap().id >= CONSOLE_ID_BASE);
    }
    // The host saw its own 30 requests answered and nothing else: no stray, no console id.
    let host_log = entries(&up);
    let host_conn = up.handle.plugin("com.tgo.demo").unwrap().conn;
    let frames: Vec<&LogEntry> = host_log
        .iter()
        .filter(|e| e.conn == host_conn && e.dir != Direction::Local)
        .collect();
    assert!(frames.iter().all(|e| !e.problem), "{frames:#?}");
    let renders = frames
        .iter()
        .filter(|e| is_request(e, "visitor_panel/render"))
        .count();
    assert_eq!(renders, 30);
    // On the proxy, no console frame crossed to the host's leg.
    let log = entries(&proxy);
    let upstream_ids: Vec<i64> = log
        .iter()
        .filter(|e| e.party == Party::Upstream && is_request(e, "visitor_panel/render"))
        .map(request_id)
        .collect();
    assert_eq!(upstream_ids.len(), 30);
    assert!(upstream_ids.iter().all(|id| (*id as u64) < CONSOLE_ID_BASE));
    let to_host = log
        .iter()
        .filter(|e| e.party == Party::Upstream && e.dir == Direction::Out)
        .count();
    assert_eq!(to_host, 31, "the register and the 30 answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_upstream_is_redialled_and_the_plugin_registered_again() {
    let mut up = start_host(|_| {}).await;
    let mut proxy = start_proxy(&up.socket).await;
    let _p = proxy.demo("com.tgo.demo");
    up.registered_as("com.tgo.demo").await;
    proxy.registered_as("com.tgo.demo").await;

    up.handle.close("the real host went down");
    proxy
        .next_event(|e| {
            matches!(
                e,
                HostEvent::Upstream {
                    connected: false,
                    ..
                }
            )
        })
        .await;
    // The plugin is kept, and the console can still talk to it.
    assert!(proxy.handle.plugin("com.tgo.demo").is_some());
    assert!(matches!(
        proxy.render("com.tgo.demo").await,
        Outcome::Result { .. }
    ));

    let socket = up.socket.clone();
    let mut again = start_host(move |c| c.socket = Some(socket)).await;
    again.registered_as("com.tgo.demo").await;
    proxy
        .next_event(|e| {
            matches!(
                e,
                HostEvent::Upstream {
                    connected: true,
                    ..
                }
            )
        })
        .await;
    assert!(matches!(
        again.render("com.tgo.demo").await,
        Outcome::Result { .. }
    ));
    assert!(proxy.log_mentions("upstream connection lost"));
    assert!(proxy.log_mentions("reconnected and registered again"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_leaves_closes_its_upstream_connection() {
    let mut up = start_host(|_| {}).await;
    let mut proxy = start_proxy(&up.socket).await;
    let mut a = proxy.demo("com.tgo.a");
    let _b = proxy.demo("com.tgo.b");
    up.registered_as("com.tgo.a").await;
    up.registered_as("com.tgo.b").await;
    proxy.registered_as("com.tgo.a").await;
    a.terminate(Duration::from_secs(5)).await;
    up.next_event(
        |e| matches!(e, HostEvent::Disconnected { plugin_id: Some(id), .. } if id == "com.tgo.a"),
    )
    .await;
    // The other plugin's connection is untouched.
    assert!(matches!(
        up.render("com.tgo.b").await,
        Outcome::Result { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_command_prints_and_records_both_legs() {
    let mut up = start_host(|_| {}).await;
    let socket = up.dir.path().join("proxy.sock");
    let record = up.dir.path().join("proxy.jsonl");
    let mut proxy = ChildPlugin::spawn(&LaunchSpec {
        program: BIN.into(),
        args: vec![
            "proxy".into(),
            "--upstream".into(),
            format!("unix:{}", up.socket.display()),
            "--socket".into(),
            socket.display().to_string(),
            "--record".into(),
            record.display().to_string(),
        ],
        ..Default::default()
    })
    .unwrap();
    until_exists(&socket, Duration::from_secs(10), "the proxy's socket");
    let _p = spawn_demo(&socket, "com.tgo.demo");
    up.registered_as("com.tgo.demo").await;
    assert!(matches!(
        up.render("com.tgo.demo").await,
        Outcome::Result { .. }
    ));
    let line = output_has(&proxy, "the answer's line", |l| {
        l.contains("host↔proxy") && l.contains("proxy→host") && l.contains("total ")
    })
    .await;
    assert!(
        line.contains(", plugin ") && line.contains(", proxy "),
        "{line}"
    );
    output_has(&proxy, "the plugin leg", |l| {
        l.contains("proxy↔plugin") && l.contains("visitor_panel/render")
    })
    .await;

    // The proxy going away is the plugin leaving, for the host.
    proxy.terminate(Duration::from_secs(5)).await;
    up.next_event(|e| {
        matches!(
            e,
            HostEvent::Disconnected {
                plugin_id: Some(_),
                ..
            }
        )
    })
    .await;

    let loaded = tgo_console::record::load(&record).unwrap();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let all = loaded.entries;
    let renders: Vec<&LogEntry> = all
        .iter()
        .filter(|e| is_request(e, "visitor_panel/render"))
        .collect();
    assert_eq!(renders.len(), 2, "{renders:#?}");
    assert_eq!(renders[0].party, Party::Upstream);
    assert_eq!(renders[1].party, Party::Plugin);
    assert_eq!(renders[1].via, Some(renders[0].seq));
    // A request is written before its answer exists: the answer names it.
    let back = find(&all, "the answer to the host", |e| {
        e.pair == Some(renders[0].seq)
    });
    assert_eq!((back.party, back.dir), (Party::Upstream, Direction::Out));
    assert_eq!(by_seq(&all, back.via).pair, Some(renders[1].seq));

    // Replayed, it shows the plugin and both legs.
    let state = tgo_console::tui::replay::replay_state(
        tgo_console::tui::theme::Theme::default(),
        &all,
        "proxy.jsonl",
        "log".into(),
    );
    assert!(state.inspector.parties);
    assert_eq!(state.plugins.len(), 1);
    assert_eq!(state.plugins[0].plugin_id, "com.tgo.demo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_shows_both_legs_and_what_the_real_host_got() {
    let mut up = start_host(|_| {}).await;
    let to_up = upstream(&up.socket);
    let mut c = Console::new(140, 40, move |h| h.upstream = Some(to_up)).await;
    tgo_console::tui::proxying(&mut c.state, c.host.handle.config());
    let _demo = c.host.demo("com.tgo.demo");
    c.run(|mut s| async move {
        // The console renders for itself, the real host for itself; neither disturbs the other.
        s.until("[ Refresh ]").await;
        up.registered_as("com.tgo.demo").await;
        assert!(matches!(
            up.render("com.tgo.demo").await,
            Outcome::Result { .. }
        ));
        s.key(KeyCode::Char('H'));
        s.until_screen("the host's render, tagged frames", |s| {
            s.contains("as the real host saw it")
                && s.contains("host↔proxy")
                && s.contains("proxy↔plugin")
                && s.contains("[ Refresh ]")
        })
        .await;
        s.key(KeyCode::Char('H'));
        s.until_screen("back to the console's render", |s| {
            !s.contains("as the real host saw it")
        })
        .await;
        s.key(KeyCode::Char('q'));
    })
    .await;
    assert!(c.state.quit);
    c.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_answer_to_the_console_stays_in_the_console() {
    let mut up = start_host(|_| {}).await;
    let to_up = upstream(&up.socket);
    let mut proxy = start_host(move |c| {
        c.upstream = Some(to_up);
        c.request_timeout = Duration::from_millis(200);
    })
    .await;
    let _p = proxy.rogue("slow", Some("0.6"));
    up.registered_as("rogue.slow").await;
    proxy.registered_as("rogue.slow").await;
    assert!(matches!(
        proxy.render("rogue.slow").await,
        Outcome::Timeout { .. }
    ));
    // The host's request, answered after the console's late answer, is answered as usual.
    assert!(matches!(
        up.render("rogue.slow").await,
        Outcome::Result { .. }
    ));
    let late = format!("late answer to request {CONSOLE_ID_BASE}");
    eventually(
        Duration::from_secs(10),
        || proxy.log_mentions(&late),
        || format!("{late}: {:#?}", entries(&proxy)),
    )
    .await;
    let log = entries(&proxy);
    let to_host: Vec<&LogEntry> = log
        .iter()
        .filter(|e| e.party == Party::Upstream && e.dir == Direction::Out)
        .collect();
    assert_eq!(
        to_host.len(),
        2,
        "the register and the host's render: {to_host:#?}"
    );
    let host_conn = up.handle.plugin("rogue.slow").unwrap().conn;
    let host_log = entries(&up);
    let answers: Vec<&LogEntry> = host_log
        .iter()
        .filter(|e| e.conn == host_conn && e.dir == Direction::In && !is_request(e, "register"))
        .collect();
    assert_eq!(
        answers.len(),
        1,
        "the host's render answered, nothing else: {answers:#?}"
    );
    assert!(answers[0].notes.is_empty(), "{answers:#?}");
}

#[test]
fn a_bad_upstream_or_the_upstream_s_own_socket_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("tgo.sock");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(BIN)
            .args(args)
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_STATE_HOME", dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let err = run(&["proxy", "--upstream", "/var/run/tgo/tgo.sock"]);
    assert!(
        err.contains("unix:/path/to/tgo.sock or tcp:HOST:PORT"),
        "{err}"
    );
    let err = run(&["proxy", "--upstream", "tcp:localhost"]);
    assert!(err.contains("needs HOST:PORT"), "{err}");
    let own = format!("unix:{}", socket.display());
    let sock = socket.display().to_string();
    for args in [
        vec!["proxy", "--upstream", &own, "--socket", &sock],
        vec!["--upstream", &own, "--socket", &sock],
    ] {
        let err = run(&args);
        assert!(err.contains("the upstream's own socket"), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_host_on_tcp_is_dialled_over_tcp_with_the_dev_token() {
    let mut up = start_host(|c| c.tcp = Some("127.0.0.1:0".into())).await;
    let port = up
        .handle
        .addresses()
        .iter()
        .find(|a| a.parse::<std::net::SocketAddr>().is_ok())
        .cloned()
        .expect("a TCP address");
    let to_up = UpstreamConfig {
        dev_token: Some(GOOD_TOKEN.into()),
        ..UpstreamConfig::new(format!("tcp:{port}").parse().unwrap())
    };
    let mut proxy = start_host(move |c| c.upstream = Some(to_up)).await;
    let _p = proxy.demo("com.tgo.demo");
    up.registered_as("com.tgo.demo").await;
    proxy.registered_as("com.tgo.demo").await;
    let peer = up.handle.plugin("com.tgo.demo").unwrap().peer;
    assert!(peer.starts_with("tcp "), "{peer}");
    // The token went over the wire: the upstream's log has the register, token cut short.
    let log = entries(&up);
    let register = find(&log, "the register", |e| is_request(e, "register"));
    let text = String::from_utf8_lossy(&register.raw);
    assert!(text.contains("eyJhbGci…(redacted"), "{text}");
    assert!(matches!(
        up.render("com.tgo.demo").await,
        Outcome::Result { .. }
    ));
}
