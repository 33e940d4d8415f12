//! Chaos from the console (issue 14.2): `C` on a plugin starts the run, the modal shows each
//! fault as it is judged, then the verdict table, and a toast says how it ended.

use super::*;
use crate::check::chaos::{ChaosReport, Fault, FaultReport, Verdict};
use crate::tui::msg::ChaosNews;

fn judged(fault: Fault, verdict: Verdict, detail: &str) -> FaultReport {
    FaultReport {
        fault,
        verdict,
        sent: String::new(),
        detail: detail.into(),
        healthy: (verdict != Verdict::NotRun)
            .then(|| "visitor_panel/render: ok in 0.4 ms".to_string()),
        duration_ms: 1.0,
    }
}

/// What the demo plugin does with every fault.
fn survived() -> Vec<FaultReport> {
    use Fault::*;
    use Verdict::*;
    vec![
        judged(MalformedJson, Ok, "ignored it (no answer)"),
        judged(NonUtf8, Ok, "ignored it (no answer)"),
        judged(
            UnknownMethod,
            ErrorAnswer,
            "error -32601: Method not found: chaos/no_such_method",
        ),
        judged(MissingParams, Ok, "answered with a result"),
        judged(WrongParamTypes, Ok, "answered with a result"),
        judged(DuplicateId, Ok, "answered both of the two requests 37"),
        judged(Notification, Ok, "no answer, as JSON-RPC wants"),
        judged(HugeParams, Ok, "answered with a result"),
        judged(Burst, Ok, "all 1000 answered in 220 ms"),
        judged(
            SlowReader,
            Ok,
            "all 1000 answered in 5081 ms, after 5.0 s without the host reading",
        ),
        judged(CloseMidFrame, Ok, "dialled again and registered in 64 ms"),
    ]
}

fn report(faults: Vec<FaultReport>) -> ChaosReport {
    let killed_by = faults.iter().find(|f| f.verdict.fails()).map(|f| f.fault);
    ChaosReport {
        plugin_id: "com.tgo.demo".into(),
        healthy_method: "visitor_panel/render".into(),
        passed: killed_by.is_none(),
        killed_by,
        faults,
    }
}

/// The demo registered and rendered, the plugin's row selected in the plugins pane.
fn on_the_plugin() -> Harness {
    let mut h = rendered();
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    h.now += Duration::from_secs(10); // toasts gone
    h.send(Msg::Tick);
    h
}

fn news(h: &mut Harness, news: ChaosNews) -> Vec<Effect> {
    h.send(Msg::Chaos(news))
}

#[test]
fn c_on_a_plugin_runs_chaos_and_shows_each_fault_as_it_is_judged() {
    let mut h = on_the_plugin();
    let effects = h.key(KeyCode::Char('C'));
    let [Effect::Chaos { plugin_id, options }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(plugin_id, "com.tgo.demo");
    assert_eq!(options.visitor, "v_12345", "the console's visitor");
    assert_eq!(options.faults, Fault::ALL);
    assert!(matches!(h.state.modal, Some(Modal::Chaos { .. })));

    let faults = survived();
    news(&mut h, ChaosNews::Starting(Fault::MalformedJson));
    news(&mut h, ChaosNews::Judged(Box::new(faults[0].clone())));
    news(&mut h, ChaosNews::Judged(Box::new(faults[1].clone())));
    news(&mut h, ChaosNews::Starting(Fault::UnknownMethod));
    let screen = h.sized(120, 30);
    assert!(screen.contains("Chaos · com.tgo.demo"), "{screen}");
    assert!(screen.contains("unknown_method     running…"), "{screen}");
    assert!(
        screen.contains("running: 2 of 11 faults judged"),
        "{screen}"
    );
    assert!(screen.contains("Esc close (the run goes on)"), "{screen}");
    insta::assert_snapshot!("chaos_running_120x30", screen);

    // `C` again while it runs only shows it: no second run.
    h.key(KeyCode::Esc);
    assert!(h.state.modal.is_none());
    assert!(h.key(KeyCode::Char('C')).is_empty());
    assert!(matches!(h.state.modal, Some(Modal::Chaos { .. })));

    let effects = news(&mut h, ChaosNews::Done(Box::new(report(faults))));
    assert_eq!(
        effects,
        [Effect::Note {
            plugin: "com.tgo.demo".into(),
            text: "chaos: com.tgo.demo survived all 11 faults".into()
        }],
        "the end is noted in the message log"
    );
    let screen = h.sized(120, 30);
    assert!(screen.contains("→ survived all 11 faults"), "{screen}");
    insta::assert_snapshot!("chaos_survived_120x30", screen);

    // Finished: `C` starts a new run.
    h.key(KeyCode::Esc);
    assert!(matches!(
        h.key(KeyCode::Char('C')).as_slice(),
        [Effect::Chaos { .. }]
    ));
    assert!(h.state.chaos.as_ref().unwrap().judged.is_empty());
}

#[test]
fn a_plugin_killed_by_bad_json_is_said_in_red_and_in_a_toast() {
    let mut h = on_the_plugin();
    h.key(KeyCode::Char('C'));
    let mut faults = vec![judged(
        Fault::MalformedJson,
        Verdict::Crashed,
        "the connection closed (plugin closed the connection)",
    )];
    faults[0].healthy = Some(
        "visitor_panel/render: disconnected before answering (plugin closed the connection)".into(),
    );
    for f in &Fault::ALL[1..] {
        faults.push(judged(
            *f,
            Verdict::NotRun,
            "the plugin crashed at malformed_json",
        ));
    }
    // Closed while it ran: the end still shows, as a toast.
    h.key(KeyCode::Esc);
    news(&mut h, ChaosNews::Done(Box::new(report(faults))));
    let toast = &h.state.status.toasts.last().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert_eq!(
        toast.text,
        "chaos: com.tgo.demo crashed by malformed_json: the connection closed (plugin closed \
         the connection)"
    );
    assert!(h.state.modal.is_none(), "not opened again by itself");
    h.key(KeyCode::Char('C'));
    // … and `C` starts a new run; the palette's "chaos" does the same.
    assert!(h.state.chaos.as_ref().unwrap().report.is_none());
}

#[test]
fn the_verdict_table_of_a_crash_draws_every_row() {
    let mut h = on_the_plugin();
    h.key(KeyCode::Char('C'));
    let mut faults = vec![
        judged(
            Fault::MalformedJson,
            Verdict::ErrorAnswer,
            "error -32700: Parse error (id null)",
        ),
        judged(
            Fault::NonUtf8,
            Verdict::Crashed,
            "the connection closed (plugin closed the connection)",
        ),
    ];
    faults[1].healthy = Some("visitor_panel/render: disconnected before answering".into());
    for f in &Fault::ALL[2..] {
        faults.push(judged(
            *f,
            Verdict::NotRun,
            "the plugin crashed at non_utf8",
        ));
    }
    news(&mut h, ChaosNews::Done(Box::new(report(faults))));
    let screen = h.sized(120, 30);
    assert!(screen.contains("non_utf8           crashed"), "{screen}");
    assert!(
        screen.contains("healthy render: visitor_panel/render: disconnected"),
        "{screen}"
    );
    assert!(
        screen.contains("→ crashed by non_utf8: the connection closed"),
        "{screen}"
    );
    insta::assert_snapshot!("chaos_crashed_120x30", screen);
}

#[test]
fn chaos_needs_a_connected_plugin() {
    let mut h = Harness::new();
    assert!(h.key(KeyCode::Char('C')).is_empty());
    assert_eq!(
        h.state.status.toasts.last().unwrap().text,
        "chaos: select a plugin first"
    );
    let mut h = on_the_plugin();
    h.send(Msg::Host(HostEvent::Disconnected {
        conn: 1,
        plugin_id: Some("com.tgo.demo".into()),
        reason: "plugin closed the connection".into(),
    }));
    h.state.selected = Some(Row::Plugin("com.tgo.demo".into()));
    assert!(h.key(KeyCode::Char('C')).is_empty());
    assert_eq!(
        h.state.status.toasts.last().unwrap().text,
        "chaos: com.tgo.demo is not connected"
    );
    assert!(h.state.chaos.is_none());
}

#[test]
fn the_palette_lists_chaos() {
    let mut h = on_the_plugin();
    h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('p'),
        KeyModifiers::CONTROL,
    )));
    h.chars("chaos");
    let effects = h.key(KeyCode::Enter);
    assert!(
        matches!(effects.as_slice(), [Effect::Chaos { plugin_id, .. }] if plugin_id == "com.tgo.demo"),
        "{effects:?}"
    );
}
