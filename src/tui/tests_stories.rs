//! Stories in the console (issue 13.2): scenario files listed under their capabilities, a
//! story played with each expectation marked in the render header, what is on screen saved
//! as a scenario that reads back, the path to it as a breadcrumb and walked again after a
//! restart, and the request history in the palette.

use super::*;
use crate::scenario::{SelectTarget, StepAction};
use crate::tui::story::{Saved, StoryFile, StoryKey};
use std::path::PathBuf;

const DIR: &str = "/plugins/demo";

/// A request's id as the host would give it, then its answer: what `update` asks next.
fn exchange(h: &mut Harness, effect: &Effect, id: u64, outcome: Outcome) -> Vec<Effect> {
    let Effect::Request {
        plugin_id,
        method,
        purpose,
        ..
    } = effect
    else {
        panic!("not a request: {effect:?}")
    };
    h.send(Msg::Sent {
        purpose: purpose.clone(),
        plugin_id: plugin_id.clone(),
        method: method.clone(),
        conn: 1,
        id,
    });
    h.send(Msg::Reply {
        purpose: purpose.clone(),
        reply: Reply {
            plugin_id: plugin_id.clone(),
            method: method.clone(),
            id,
            outcome,
            latency: Duration::from_millis(3),
            request_seq: id,
            response_seq: None,
        },
        ui: None,
    })
}

fn first_request(effects: &[Effect]) -> Effect {
    effects
        .iter()
        .find(|e| matches!(e, Effect::Request { .. }))
        .cloned()
        .unwrap_or_else(|| panic!("no request in {effects:?}"))
}

/// The demo launched by the console (launch #1 over connection 1), not registered yet.
fn launched() -> Harness {
    let mut h = Harness::new();
    h.launch(1, "demo", Some("com.tgo.demo"));
    h.send(Msg::ConnOwner {
        conn: 1,
        launch: crate::launcher::LaunchId(1),
    });
    h
}

/// The launched demo with its first panel drawn.
fn launched_and_rendered() -> Harness {
    let mut h = launched();
    let render = first_request(&h.register(demo_caps()));
    exchange(&mut h, &render, 1, Outcome::Result { value: panel() });
    h
}

/// Moves through the render pane to the button labelled `label` and presses it.
fn press(h: &mut Harness, label: &str) -> Vec<Effect> {
    h.state.focus = Pane::Render;
    h.key(KeyCode::Home);
    for _ in 0..20 {
        let focused = h
            .state
            .shown_rendered()
            .and_then(|r| crate::tui::uiview::focused_label(&r.node, &r.ui));
        if focused.as_deref() == Some(label) {
            return h.key(KeyCode::Enter);
        }
        h.key(KeyCode::Down);
    }
    panic!("no {label:?} to press")
}

fn quiet(h: &mut Harness) {
    h.now += Duration::from_secs(60);
    h.send(Msg::Tick);
}

fn story(name: &str, file: &str, starts: Option<&str>, steps: usize) -> StoryFile {
    StoryFile {
        path: PathBuf::from(DIR).join(file),
        name: name.into(),
        starts_with: starts.map(String::from),
        steps,
        error: None,
    }
}

#[test]
fn stories_are_listed_under_the_capability_they_start_with() {
    let mut h = launched();
    let effects = h.register(demo_caps());
    assert!(
        effects.contains(&Effect::FindStories(DIR.into())),
        "a launched plugin's stories are looked for when it registers: {effects:?}"
    );
    exchange(
        &mut h,
        &first_request(&effects),
        1,
        Outcome::Result { value: panel() },
    );
    let mut broken = story(
        "broken.scenario.yml",
        "stories/broken.scenario.yml",
        None,
        0,
    );
    broken.error =
        Some("stories/broken.scenario.yml:4:5: steps[0].rendr: unknown field `rendr`".into());
    h.send(Msg::StoriesFound {
        dir: DIR.into(),
        files: vec![
            story(
                "orders of a VIP",
                "stories/vip.scenario.yml",
                Some("Customer 360"),
                3,
            ),
            story(
                "every template",
                "all.scenario.yml",
                Some("visitor_panel"),
                1,
            ),
            story("look up an order", "tests/tools.scenario.yml", None, 1),
            broken,
        ],
    });
    let vip = Row::Story(StoryKey {
        plugin_id: "com.tgo.demo".into(),
        path: PathBuf::from(DIR).join("stories/vip.scenario.yml"),
    });
    let rows = h.state.rows();
    let at = |r: &Row| rows.iter().position(|x| x == r).unwrap();
    assert_eq!(at(&vip), at(&Row::Capability(cap(0))) + 1);
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(vip.clone());
    quiet(&mut h);
    insta::assert_snapshot!("stories_in_the_plugins_pane", h.sized(100, 30));
    // A story selected below the pane's bottom is scrolled into view.
    h.state.selected = Some(Row::Story(StoryKey {
        plugin_id: "com.tgo.demo".into(),
        path: PathBuf::from(DIR).join("stories/broken.scenario.yml"),
    }));
    let short = h.sized(100, 11);
    assert!(short.contains("⚠ broken.scenar"), "{short}");
    h.state.selected = Some(vip.clone());
    h.sized(100, 30);
    // Enter reads the file afresh to play it.
    let load = vec![Effect::LoadStory(StoryKey {
        plugin_id: "com.tgo.demo".into(),
        path: PathBuf::from(DIR).join("stories/vip.scenario.yml"),
    })];
    assert_eq!(h.key(KeyCode::Enter), load);
    // So does a second click on it (the first selects it; the rows above it move up as the
    // selected story's details go).
    let row_of = |h: &Harness, text: &str| {
        h.screen(100, 30)
            .lines()
            .position(|l| l.contains(text))
            .unwrap() as u16
    };
    let y = row_of(&h, "look up an or");
    click(&mut h, 5, y);
    assert!(matches!(h.state.selected, Some(Row::Story(_))));
    let y = row_of(&h, "look up an or");
    assert_eq!(
        click(&mut h, 5, y),
        vec![Effect::LoadStory(StoryKey {
            plugin_id: "com.tgo.demo".into(),
            path: PathBuf::from(DIR).join("tests/tools.scenario.yml"),
        })]
    );
}

const STORY: &str = r#"
name: view all orders
plugin: {manifest: ../plugin.yml}
context: {visitor_id: v_42}
steps:
  - render: Customer 360
    expect:
      - {path: "$.template", equals: group}
      - {text: ORD-2}
  - click: view_all
    expect:
      - {action: open_url}
      - {path: "$.data.url", matches: "visitor=v_99$"}
  - click: no_such_button
"#;

#[test]
fn a_played_story_marks_each_expectation_in_the_render_header() {
    let mut h = launched_and_rendered();
    let path = PathBuf::from(DIR).join("stories/view-all.scenario.yml");
    let scenario = crate::scenario::parse(STORY, &path).unwrap();
    let key = StoryKey {
        plugin_id: "com.tgo.demo".into(),
        path: path.clone(),
    };
    let effects = h.send(Msg::StoryLoaded {
        key,
        scenario: Ok(Box::new(scenario)),
    });
    assert_eq!(h.state.ctx.visitor_id, "v_42", "the story's context");
    assert!(
        h.state
            .render
            .slots
            .values()
            .all(|s| matches!(s, RenderSlot::Pending { previous: None, .. })),
        "renders for the other visitor are dropped"
    );
    // Step 1 goes through the console's render path, with the story's context.
    let render = first_request(&effects);
    let Effect::Request {
        params, purpose, ..
    } = &render
    else {
        unreachable!()
    };
    assert_eq!(params["visitor_id"], "v_42");
    assert_eq!(purpose, &Purpose::Render(cap(0)));
    let mut answers = vec![
        Outcome::Result { value: panel() },
        Outcome::Result {
            value: json!({"action": "open_url", "data": {"url": "https://crm.example.com/orders?visitor=v_42"}}),
        },
    ]
    .into_iter();
    let mut next = render;
    for id in 10.. {
        let Some(answer) = answers.next() else { break };
        let effects = exchange(&mut h, &next, id, answer);
        let Some(Effect::Judge(job)) = effects.iter().find(|e| matches!(e, Effect::Judge(_)))
        else {
            panic!("the answer goes to be judged: {effects:?}")
        };
        let effects = h.send(Msg::StepJudged {
            play: job.play,
            index: job.index,
            report: Box::new(job.run()),
        });
        if let Some(e) = effects.iter().find(|e| matches!(e, Effect::Request { .. })) {
            next = e.clone();
        }
    }
    let play = h.state.stories.play.as_ref().unwrap();
    assert!(play.done);
    assert_eq!(play.marks[0].expectations, [true, true]);
    assert_eq!(play.marks[1].expectations, [true, false]);
    assert_eq!(play.marks[2].passed, Some(false), "the button is not there");
    assert_eq!(h.state.stories.results.get(&path), Some(&false));
    let screen = h.sized(100, 30);
    assert!(
        screen.contains("story view all orders: 2 of 3 steps failed"),
        "{screen}"
    );
    quiet(&mut h);
    insta::assert_snapshot!("story_played", h.sized(100, 30));
}

#[test]
fn the_path_is_a_breadcrumb_and_a_restart_walks_it_again() {
    let mut h = launched_and_rendered();
    let click = first_request(&press(&mut h, "View all"));
    exchange(
        &mut h,
        &click,
        20,
        Outcome::Result {
            value: json!({"action": "noop", "data": {}}),
        },
    );
    let select = first_request(&press(&mut h, "row 2/2: ORD-2"));
    exchange(
        &mut h,
        &select,
        21,
        Outcome::Result {
            value: json!({"action": "noop", "data": {}}),
        },
    );
    assert_eq!(
        h.state.trail.crumbs(),
        ["click view_all", "select ORD-2"],
        "the events since the render"
    );
    quiet(&mut h);
    insta::assert_snapshot!("breadcrumb", h.sized(100, 30));

    // The plugin restarts: the panel is rendered again and the path is walked again, one
    // step at a time, each through the console's event path.
    let restart = |h: &mut Harness| {
        h.send(Msg::Host(HostEvent::Disconnected {
            conn: 1,
            plugin_id: Some("com.tgo.demo".into()),
            reason: "restarting".into(),
        }));
        first_request(&h.register(demo_caps()))
    };
    let render = restart(&mut h);
    let effects = exchange(&mut h, &render, 30, Outcome::Result { value: panel() });
    let again = first_request(&effects);
    let Effect::Request { params, .. } = &again else {
        unreachable!()
    };
    assert_eq!(params["action_id"], "view_all");
    let effects = exchange(
        &mut h,
        &again,
        31,
        Outcome::Result {
            value: json!({"action": "noop", "data": {}}),
        },
    );
    let Effect::Request { params, .. } = first_request(&effects) else {
        unreachable!()
    };
    assert_eq!(params["selected_id"], "ORD-2");
    exchange(
        &mut h,
        &first_request(&effects),
        32,
        Outcome::Result {
            value: json!({"action": "noop", "data": {}}),
        },
    );
    assert_eq!(
        h.state.trail.note.as_ref().map(|n| n.text.as_str()),
        Some("path restored: 2 steps sent again")
    );
    assert_eq!(
        h.state.trail.steps.len(),
        2,
        "walking it adds nothing to it"
    );

    // Restarted with a panel whose button is gone: the walk stops and says where.
    let render = restart(&mut h);
    let mut gone = panel();
    gone["data"]["items"].as_array_mut().unwrap().remove(2);
    let effects = exchange(&mut h, &render, 40, Outcome::Result { value: gone });
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Request { .. })),
        "nothing more is sent: {effects:?}"
    );
    let note = h.state.trail.note.clone().unwrap();
    assert!(note.stopped);
    assert_eq!(
        note.text,
        "path stopped at step 1: button `view_all` is not in the new answer"
    );
    quiet(&mut h);
    insta::assert_snapshot!("path_stopped", h.sized(100, 30));
}

/// Form submits and buttons that ask first change what the plugin holds: a restart does not
/// send them again unless the config's `[restore]` says so.
#[test]
fn submits_and_confirmed_buttons_are_not_sent_again_unless_configured() {
    for resend in [false, true] {
        let mut h = launched_and_rendered();
        h.state.personal.restore.confirmed = resend;
        let block = press(&mut h, "Block");
        assert!(block.is_empty(), "asks first");
        let click = first_request(&h.key(KeyCode::Char('y')));
        exchange(
            &mut h,
            &click,
            20,
            Outcome::Result {
                value: json!({"action": "noop", "data": {}}),
            },
        );
        h.send(Msg::Host(HostEvent::Disconnected {
            conn: 1,
            plugin_id: Some("com.tgo.demo".into()),
            reason: "restarting".into(),
        }));
        let render = first_request(&h.register(demo_caps()));
        let effects = exchange(&mut h, &render, 30, Outcome::Result { value: panel() });
        let sent = effects
            .iter()
            .any(|e| matches!(e, Effect::Request { params, .. } if params["action_id"] == "block"));
        assert_eq!(sent, resend);
        if !resend {
            assert_eq!(
                h.state.trail.note.as_ref().unwrap().text,
                "restored what was on screen; not sent again: click block (it asks first)"
            );
        }
    }
}

#[test]
fn what_is_on_screen_is_saved_as_a_scenario_that_reads_back() {
    let mut h = launched_and_rendered();
    h.state.ctx.language = "en-US".into();
    // A new context renders again: the path starts there.
    let render = first_request(&h.key(KeyCode::Char('r')));
    exchange(&mut h, &render, 5, Outcome::Result { value: panel() });
    let click = first_request(&press(&mut h, "View all"));
    exchange(
        &mut h,
        &click,
        20,
        Outcome::Result {
            value: json!({"action": "noop", "data": {}}),
        },
    );
    let select = first_request(&press(&mut h, "row 2/2: ORD-2"));
    exchange(
        &mut h,
        &select,
        21,
        Outcome::Result {
            value: json!({"action": "noop", "data": {}}),
        },
    );
    h.key(KeyCode::Char('S'));
    assert!(matches!(h.state.modal, Some(Modal::SaveStory(_))));
    h.chars("-vip");
    h.key(KeyCode::Tab); // a snapshot per step
    quiet(&mut h);
    insta::assert_snapshot!("save_story", h.sized(100, 30));
    let effects = h.key(KeyCode::Enter);
    let [
        Effect::SaveStory {
            path,
            text,
            overwrite: false,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        path,
        &PathBuf::from(DIR).join("stories/customer-360-vip.scenario.yml")
    );
    let s = crate::scenario::parse(text, path).unwrap();
    assert_eq!(s.name, "customer-360-vip");
    assert_eq!(
        s.plugin.launch,
        crate::scenario::PluginLaunch::Manifest("../plugin.yml".into())
    );
    assert_eq!(
        s.context.render_context(),
        h.state.ctx,
        "the render's context"
    );
    let steps: Vec<StepAction> = s.steps.iter().map(|s| s.action.clone()).collect();
    assert_eq!(
        steps,
        [
            StepAction::Render("Customer 360".into()),
            StepAction::Click("view_all".into()),
            StepAction::Select(SelectTarget::Id("ORD-2".into())),
        ]
    );
    assert_eq!(
        s.steps[2].expect[0].to_string(),
        "snapshot: 03-select-ord-2"
    );
    // It exists: said, and only a second Enter overwrites it.
    h.send(Msg::StorySaved {
        path: path.clone(),
        saved: Saved::Exists,
    });
    assert!(matches!(h.state.modal, Some(Modal::SaveStory(_))));
    assert!(h.sized(100, 30).contains("Enter again overwrites it"));
    let effects = h.key(KeyCode::Enter);
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::SaveStory {
                overwrite: true,
                ..
            }]
        ),
        "{effects:?}"
    );
    h.send(Msg::StorySaved {
        path: path.clone(),
        saved: Saved::Written,
    });
    assert!(h.state.modal.is_none());
}

/// The composer saves its request as a one-step story; Esc from the name gives the composer
/// back as it was.
#[test]
fn the_composer_saves_its_request_as_a_call_step() {
    let mut h = launched_and_rendered();
    h.key(KeyCode::Char('c'));
    h.chars("visitor_panel/render");
    h.key(KeyCode::Enter); // its sample params
    let alt_s = || Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::ALT));
    h.send(alt_s());
    assert!(matches!(h.state.modal, Some(Modal::SaveStory(_))));
    h.key(KeyCode::Esc);
    assert!(matches!(h.state.modal, Some(Modal::Composer(_))));
    h.send(alt_s());
    let effects = h.key(KeyCode::Enter);
    let [Effect::SaveStory { path, text, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(
        path.starts_with(PathBuf::from(DIR).join("stories")),
        "{path:?}"
    );
    let s = crate::scenario::parse(text, path).unwrap();
    let StepAction::Call { method, params } = &s.steps[0].action else {
        panic!("{:?}", s.steps[0].action)
    };
    assert_eq!(method, "visitor_panel/render");
    assert_eq!(params["visitor_id"], "v_12345");
    h.send(Msg::StorySaved {
        path: path.clone(),
        saved: Saved::Written,
    });
    assert!(
        matches!(h.state.modal, Some(Modal::Composer(_))),
        "back to the composer"
    );
}

/// A plugin that dialled in by itself has no folder to save into: said, nothing written.
#[test]
fn a_plugin_without_a_manifest_has_no_stories_folder() {
    let mut h = rendered();
    assert!(h.key(KeyCode::Char('S')).is_empty());
    assert!(h.state.modal.is_none());
    let screen = h.sized(100, 30);
    assert!(screen.contains("has no folder for stories"), "{screen}");
}

/// Every request sent joins the history (for the app to keep), and the palette finds it by
/// its params and opens it in the composer.
#[test]
fn requests_are_kept_in_the_history_and_reopened_from_the_palette() {
    let mut h = launched();
    let effects = h.register(demo_caps());
    let kept: Vec<&crate::tui::history::HistoryEntry> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::History(entry) => Some(entry),
            _ => None,
        })
        .collect();
    assert_eq!(kept.len(), 1, "{effects:?}");
    assert_eq!(kept[0].method, "visitor_panel/render");
    // One from an earlier run.
    h.state
        .history
        .push_front(crate::tui::history::HistoryEntry {
            at: 1,
            plugin: "com.tgo.demo".into(),
            method: "tool/execute".into(),
            params: json!({"tool_name": "lookup_order", "arguments": {"order_id": "ORD-77"}}),
            cut: false,
        });
    h.send(Msg::Key(KeyEvent::new(
        KeyCode::Char('p'),
        KeyModifiers::CONTROL,
    )));
    h.chars("ORD-77");
    let screen = h.sized(100, 30);
    assert!(
        screen.contains("history  tool/execute {\"arguments\":{\"order_id\":\"ORD-77\""),
        "{screen}"
    );
    h.key(KeyCode::Enter);
    let Some(Modal::Composer(_)) = &h.state.modal else {
        panic!("the composer opens on it")
    };
    let screen = h.sized(100, 30);
    assert!(screen.contains("ORD-77"), "{screen}");
}

fn form_panel() -> Value {
    json!({"template": "group", "data": {"items": [
        {"template": "text", "data": {"text": "Notes"}},
        {"template": "form", "data": {"action_id": "save_note", "fields": [
            {"name": "note", "label": "Note", "type": "text"}]}}
    ]}})
}

fn toolbar_form() -> Value {
    json!({"template": "form", "data": {"title": "Reply", "action_id": "reply",
        "fields": [{"name": "text", "label": "Text", "type": "text"}]}})
}

/// Types `text` into the focused field of whatever has the keyboard.
fn type_in(h: &mut Harness, text: &str) {
    h.key(KeyCode::Enter);
    h.chars(text);
    h.key(KeyCode::Enter);
}

/// After a restart the panel's typed fields and an open toolbar modal (rendered again, with
/// what was typed in it) come back; a form submit on the path is sent again only when the
/// config says so.
#[test]
fn typed_fields_and_a_toolbar_modal_come_back_and_submits_only_when_configured() {
    for resend in [false, true] {
        let mut h = launched();
        h.state.personal.restore.form_submit = resend;
        let render = first_request(&h.register(demo_caps()));
        exchange(
            &mut h,
            &render,
            1,
            Outcome::Result {
                value: form_panel(),
            },
        );
        press(&mut h, "Note");
        h.chars("sent");
        h.key(KeyCode::Enter);
        let submit = first_request(&press(&mut h, "Submit"));
        exchange(
            &mut h,
            &submit,
            2,
            Outcome::Result {
                value: json!({"action": "noop", "data": {}}),
            },
        );
        press(&mut h, "Note");
        h.chars("typed after");
        h.key(KeyCode::Enter);
        let toolbar = first_request(&h.key(KeyCode::Char('t')));
        exchange(
            &mut h,
            &toolbar,
            3,
            Outcome::Result {
                value: toolbar_form(),
            },
        );
        assert!(matches!(h.state.modal, Some(Modal::Ui { .. })));
        type_in(&mut h, "draft reply");

        h.send(Msg::Host(HostEvent::Disconnected {
            conn: 1,
            plugin_id: Some("com.tgo.demo".into()),
            reason: "restarting".into(),
        }));
        let render = first_request(&h.register(demo_caps()));
        assert!(
            h.state.modal.is_none(),
            "the old modal's buttons are the old plugin's"
        );
        let mut effects = exchange(
            &mut h,
            &render,
            10,
            Outcome::Result {
                value: form_panel(),
            },
        );
        if resend {
            let again = first_request(&effects);
            let Effect::Request { params, .. } = &again else {
                unreachable!()
            };
            assert_eq!(params["event_type"], "form_submit");
            assert_eq!(params["form_data"], json!({"note": "sent"}));
            effects = exchange(
                &mut h,
                &again,
                11,
                Outcome::Result {
                    value: json!({"action": "noop", "data": {}}),
                },
            );
        }
        // The toolbar is rendered again and what was typed in it comes back.
        let toolbar = first_request(&effects);
        let Effect::Request { method, .. } = &toolbar else {
            unreachable!()
        };
        assert_eq!(method, "chat_toolbar/render");
        exchange(
            &mut h,
            &toolbar,
            12,
            Outcome::Result {
                value: toolbar_form(),
            },
        );
        let screen = h.sized(100, 30);
        assert!(screen.contains("draft reply"), "{screen}");
        h.key(KeyCode::Esc);
        let screen = h.sized(100, 30);
        assert!(screen.contains("typed after"), "{screen}");
        let note = h.state.trail.note.clone().unwrap().text;
        if resend {
            assert_eq!(note, "path restored: 1 step sent again");
        } else {
            assert_eq!(
                note,
                "restored what was on screen; not sent again: submit save_note (a form submit)"
            );
        }
    }
}
