//! Proxy mode in the console (issue 15.4): the inspector's party column and the latencies of
//! a relayed answer, and the render pane "as the real host saw it".

use super::*;
use crate::host::{Direction, EntryKind, LogEntry};
use crate::protocol::Id;
use bytes::Bytes;

/// A console proxying to a real host, with the demo plugin registered and rendered.
fn proxying() -> Harness {
    let mut h = rendered();
    h.state.session.upstream = Some("unix:/var/run/tgo/tgo.sock".into());
    h.state.inspector.parties = true;
    h.now += Duration::from_secs(10); // toasts gone
    h.send(Msg::Tick);
    h
}

fn frame(v: Value) -> Bytes {
    Bytes::from(serde_json::to_vec(&v).unwrap())
}

fn logged(h: &mut Harness, mut e: LogEntry, secs: u64, millis: u64) -> u64 {
    e.at = at(secs) + Duration::from_millis(millis);
    h.log.push(e)
}

/// What the proxy logs for one host request relayed to the plugin and answered: the host's
/// request, its copy, the plugin's answer, and the answer's copy to the host.
fn relayed(h: &mut Harness, id: i64, method: &str, params: Value, answer: Value) -> [u64; 4] {
    let plugin = Some("com.tgo.demo".to_string());
    let asked = frame(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
    let request = EntryKind::Request {
        id: Id::Num(id),
        method: method.into(),
    };
    let from_host = LogEntry::new(
        Direction::In,
        1,
        plugin.clone(),
        asked.clone(),
        request.clone(),
    )
    .upstream();
    let a = logged(h, from_host, 60, 0);
    let mut copy = LogEntry::new(Direction::Out, 1, plugin.clone(), asked, request);
    copy.via = Some(a);
    let b = logged(h, copy, 60, 0);
    let said = frame(json!({"jsonrpc": "2.0", "id": id, "result": answer}));
    let result = EntryKind::Result {
        id: Some(Id::Num(id)),
    };
    let c = logged(
        h,
        LogEntry::new(
            Direction::In,
            1,
            plugin.clone(),
            said.clone(),
            result.clone(),
        ),
        60,
        42,
    );
    h.log.pair(b, c, Duration::from_micros(41_800));
    let mut back = LogEntry::new(Direction::Out, 1, plugin, said, result).upstream();
    back.via = Some(c);
    let d = logged(h, back, 60, 42);
    h.log.pair(a, d, Duration::from_micros(41_870));
    h.send(Msg::LogGrew);
    [a, b, c, d]
}

/// The real host's panel: not the console's, and with a mistake to diagnose.
fn host_panel() -> Value {
    json!({"template": "group", "data": {"items": [
        {"template": "key_value", "data": {"title": "Profile (real host)", "items": [
            {"label": "Name", "value": "李四"}, {"label": "Tier", "value": "Silver"}]}},
        {"template": "button", "data": {"label": "Refund", "actionId": "refund"}}
    ]}})
}

#[test]
fn the_inspector_tags_each_frame_with_its_leg_and_splits_the_latency() {
    let mut h = proxying();
    let params = RenderContext::default().render_params(&CapabilityKind::VisitorPanel);
    let [_, _, _, back] = relayed(&mut h, 7, "visitor_panel/render", params, host_panel());
    h.state.focus = Pane::Inspector;
    // The answer that went back to the host: its total, the plugin's time, the proxy's.
    while h.state.inspector.selected() != Some(back) {
        h.key(KeyCode::Char('k'));
    }
    h.key(KeyCode::Char('z'));
    let screen = h.sized(160, 40);
    assert!(screen.contains("host↔proxy") && screen.contains("proxy↔plugin"));
    assert!(
        screen.contains("total 41.87 ms, plugin 41.80 ms, proxy 0.07 ms"),
        "{screen}"
    );
    insta::assert_snapshot!("proxy_inspector_160x40", screen);

    h.key(KeyCode::Char('z'));
    // `party:host` keeps the host's leg only.
    h.key(KeyCode::Char('/'));
    h.chars("party:host");
    h.key(KeyCode::Enter);
    assert_eq!(h.state.inspector.counts().0, 2);
}

#[test]
fn the_render_pane_shows_what_the_real_host_got() {
    let mut h = proxying();
    h.state.focus = Pane::Render;
    // Nothing from the host yet: said, and the console's own render stays.
    h.key(KeyCode::Char('H'));
    assert!(!h.state.showing_host());
    let toast = &h.state.status.toasts.last().unwrap().text;
    assert!(
        toast.contains("has not rendered Customer 360 yet"),
        "{toast}"
    );

    let params = RenderContext::default().render_params(&CapabilityKind::VisitorPanel);
    relayed(&mut h, 3, "visitor_panel/render", params, host_panel());
    h.key(KeyCode::Char('H'));
    assert!(h.state.showing_host());
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(120, 34);
    assert!(screen.contains("as the real host saw it"), "{screen}");
    assert!(screen.contains("李四") && screen.contains("real host"));
    insta::assert_snapshot!("proxy_render_as_the_host_saw_it_120x34", screen);

    // A newer host render is drawn as it comes; H goes back to the console's own.
    let params = RenderContext::default().render_params(&CapabilityKind::VisitorPanel);
    let newer = json!({"template": "text", "data": {"text": "second host render"}});
    relayed(&mut h, 4, "visitor_panel/render", params, newer);
    assert!(h.sized(120, 34).contains("second host render"));
    h.key(KeyCode::Char('H'));
    assert!(!h.state.showing_host());
    assert!(h.sized(120, 34).contains("张三"));
}

#[test]
fn without_an_upstream_there_is_no_host_render_to_show() {
    let mut h = rendered();
    h.state.focus = Pane::Render;
    h.key(KeyCode::Char('H'));
    assert!(!h.state.showing_host());
    let toast = &h.state.status.toasts.last().unwrap().text;
    assert!(toast.contains("--upstream"), "{toast}");
}

#[test]
fn a_lost_real_host_shows_under_the_plugin_until_it_is_back() {
    let mut h = proxying();
    let lost = |connected| {
        Msg::Host(HostEvent::Upstream {
            conn: 1,
            plugin_id: Some("com.tgo.demo".into()),
            connected,
            text: if connected {
                "upstream unix:/var/run/tgo/tgo.sock reconnected and registered again".into()
            } else {
                "upstream connection lost: the host closed the connection; the plugin is kept, redialling".into()
            },
        })
    };
    h.send(lost(false));
    let screen = h.sized(120, 34);
    assert!(screen.contains("real host lost, redialling"), "{screen}");
    assert!(
        screen.contains("upstream connection lost"),
        "the toast: {screen}"
    );
    h.send(lost(true));
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    assert!(!h.sized(120, 34).contains("real host lost"));
}
