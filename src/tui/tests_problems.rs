//! Where problems show: the diagnostics list (scrolled, wrapped, focused, zoomed), an
//! event's action diagnostics next to the render's, config answers, registrations that lack
//! something, and connections that never registered.

use super::*;

/// A panel with seven diagnostics (two errors), several too long for one line at 80 columns.
fn faulty_panel() -> Value {
    json!({"template": "group", "data": {"items": [
        {"template": "table", "data": {"title": "Tickets",
            "columns": [{"key": "id", "label": "ID"}, {"key": "reason_text", "label": "Reason"}],
            "rows": [{"id": "T-1", "reason": "late delivery"}, {"id": "T-2", "reason": "damaged"}]}},
        {"template": "key_value", "data": {"items": [
            {"label": "Email", "value": "a@b.c", "type": "mail"}]}},
        {"template": "button", "data": {"label": "Refund", "actionId": "refund"}},
        {"template": "text", "data": {"txt": "hello"}},
        {"template": "list", "data": {"items": [{"title": "first ticket"}]}}
    ]}})
}

fn faulty() -> Harness {
    let mut h = Harness::new();
    h.register(demo_caps());
    h.reply(
        Purpose::Render(cap(0)),
        "visitor_panel/render",
        Outcome::Result {
            value: faulty_panel(),
        },
    );
    h.now += Duration::from_secs(10); // toasts gone
    h.send(Msg::Tick);
    h
}

/// The diagnostic lines on screen (each starts with its mark).
fn marks(screen: &str) -> usize {
    screen.matches('✖').count() + screen.matches('⚠').count()
}

#[test]
fn the_list_shows_three_wrapped_lines_then_says_how_to_read_the_rest() {
    let mut h = faulty();
    let count = match h.state.shown_slot() {
        Some(RenderSlot::Ready(r)) => r.diagnostics.len(),
        _ => 0,
    };
    assert_eq!(count, 7);
    let screen = h.sized(80, 24);
    assert!(
        screen.contains("diagnostics: 2 errors, 5 warnings"),
        "{screen}"
    );
    assert!(screen.contains("D read"), "{screen}");
    insta::assert_snapshot!("diagnostics_compact_80x24", screen);
}

#[test]
fn d_focuses_the_list_and_j_k_pgdn_scroll_it_to_every_line() {
    let mut h = faulty();
    h.sized(80, 24);
    h.key(KeyCode::Char('2'));
    h.key(KeyCode::Char('D'));
    assert!(super::super::diagnostics::is_focused(&h.state));
    let top = h.sized(80, 24);
    assert!(top.contains("Esc back"), "{top}");
    // Scroll to the end: every diagnostic comes by, none is cut.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let screen = h.sized(80, 24);
        for line in screen.lines() {
            if let Some(p) = line.find(['✖', '⚠']) {
                seen.insert(line[p..].trim_end_matches(['│', ' ']).to_string());
            }
        }
        h.key(KeyCode::Char('j'));
    }
    assert_eq!(seen.len(), 7, "{seen:#?}");
    let bottom = h.sized(80, 24);
    assert!(
        bottom.contains("rows have \"reason\"") || bottom.contains("TGO web UI"),
        "{bottom}"
    );
    insta::assert_snapshot!("diagnostics_focused_scrolled_80x24", bottom);
    let bottom_line = h.state.diag.scroll;
    h.key(KeyCode::PageUp);
    assert!(h.state.diag.scroll < bottom_line, "PgUp pages back");
    h.key(KeyCode::Char('g'));
    assert_eq!(h.sized(80, 24), top, "g returns to the top");
    // Esc gives the keyboard back to the UI: j moves between its buttons again.
    h.key(KeyCode::Esc);
    assert!(!super::super::diagnostics::is_focused(&h.state));
}

#[test]
fn zoomed_the_list_takes_the_room_it_needs_and_wraps_long_lines() {
    let mut h = faulty();
    h.key(KeyCode::Char('2'));
    h.key(KeyCode::Char('z'));
    let screen = h.sized(160, 45);
    assert_eq!(marks(&screen), 7, "all seven, zoomed:\n{screen}");
    assert!(
        screen.contains("unknown field \"actionId\" — did you mean \"action_id\"?"),
        "{screen}"
    );
    insta::assert_snapshot!("diagnostics_zoomed_160x45", screen);
    // At 80 columns the web-UI note wraps onto a second line instead of being cut.
    let narrow = h.sized(80, 24);
    assert!(
        narrow.contains("  text, key_value, table, button, group, tabs, form"),
        "{narrow}"
    );
}

#[test]
fn an_events_action_diagnostics_join_the_list_labelled() {
    let mut h = faulty();
    h.reply(
        Purpose::Event {
            cap: cap(0),
            in_modal: false,
            event: crate::host::UiEvent::button_click("test"),
        },
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "show_toast", "data": {"msg": "saved"}}),
        },
    );
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    h.key(KeyCode::Char('2'));
    h.key(KeyCode::Char('D'));
    h.key(KeyCode::Char('G'));
    let screen = h.sized(160, 45);
    assert!(
        screen.contains("JSON-ACTION · last event · show_toast"),
        "{screen}"
    );
    assert!(
        screen.contains("$.data.msg: unknown field \"msg\" — did you mean \"message\"?"),
        "{screen}"
    );
    assert!(
        screen.contains("diagnostics: 3 errors, 6 warnings"),
        "{screen}"
    );
    insta::assert_snapshot!("diagnostics_with_action_160x45", screen);
}

#[test]
fn the_mouse_wheel_scrolls_the_list_and_a_click_focuses_it() {
    let mut h = faulty();
    h.state.size = (80, 24);
    let l = view::screen_layout(ratatui::layout::Rect::new(0, 0, 80, 24), &h.state);
    assert!(l.diagnostics.height > 0);
    let before = h.screen(80, 24);
    h.send(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: l.diagnostics.x + 2,
        row: l.diagnostics.y + 1,
        modifiers: KeyModifiers::NONE,
    }));
    assert!(h.state.diag.scroll > 0);
    assert_ne!(h.screen(80, 24), before);
    click(&mut h, l.diagnostics.x + 2, l.diagnostics.y + 1);
    assert!(super::super::diagnostics::is_focused(&h.state));
}

#[test]
fn a_channel_integration_manifest_is_checked_as_check_checks_it() {
    let mut h = Harness::new();
    h.register(
        json!({"id": "com.example.wecom", "name": "wecom", "version": "1",
        "capabilities": [{"type": "channel_integration", "title": "WeCom"}]}),
    );
    h.state.focus = Pane::Plugins;
    h.state.selected = Some(Row::Capability(CapKey {
        plugin_id: "com.example.wecom".into(),
        index: 0,
    }));
    let effects = h.key(KeyCode::Enter);
    assert_eq!(requests(&effects)[0].0, "channel_integration/manifest");
    let reply = Reply {
        plugin_id: "com.example.wecom".into(),
        method: "channel_integration/manifest".into(),
        id: 1,
        outcome: Outcome::Result {
            value: json!({"name": "WeCom", "icon": "wechat"}),
        },
        latency: Duration::from_micros(800),
        request_seq: 1,
        response_seq: None,
    };
    h.send(Msg::Reply {
        purpose: Purpose::Render(CapKey {
            plugin_id: "com.example.wecom".into(),
            index: 0,
        }),
        reply,
        ui: None,
    });
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(100, 30);
    assert!(
        screen.contains("$.channel_type: missing required field \"channel_type\""),
        "{screen}"
    );
    assert!(screen.contains("diagnostics: 1 error"), "{screen}");
}

#[test]
fn an_empty_register_says_what_it_lacks() {
    let mut h = Harness::new();
    let info = parse_register(Some(&json!({}))).unwrap();
    h.send(Msg::Host(HostEvent::Registered {
        conn: 1,
        plugin_id: "plugin_1a2b3c4d".into(),
        info,
        replaced: None,
    }));
    assert!(
        h.state
            .status
            .toasts
            .iter()
            .any(|t| t.kind == ToastKind::Warning
                && t.text.contains("lacks name, version, capabilities")),
        "a warning, not a plain \"registered\""
    );
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(160, 45);
    assert!(screen.contains("⚠ register lacks name,"), "{screen}");
    assert!(screen.contains("version, capabilities: TGO"), "{screen}");
    insta::assert_snapshot!("empty_register_160x45", screen);
}

#[test]
fn connections_that_never_registered_show_in_the_plugins_pane() {
    let mut h = rendered();
    for (conn, reason) in [
        (3, "first message was not 'register'"),
        (4, "closed before registering"),
        (
            5,
            "frame error: frame announces 4294967295 bytes, over the 16777216-byte limit",
        ),
    ] {
        h.send(Msg::Host(HostEvent::Disconnected {
            conn,
            plugin_id: None,
            reason: reason.into(),
        }));
    }
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    let screen = h.sized(100, 30);
    assert!(screen.contains("✖ connection #3 never"), "{screen}");
    assert!(screen.contains("first message was not"), "{screen}");
    assert!(screen.contains("✖ connection #5 never"), "{screen}");
    // A connection that closed without a word is not a plugin's fault worth a row.
    assert!(!screen.contains("#4"), "{screen}");
    insta::assert_snapshot!("unregistered_connections_100x30", screen);
    // Bounded: a plugin reconnecting in a loop does not fill the pane.
    for conn in 10..100 {
        h.send(Msg::Host(HostEvent::Disconnected {
            conn,
            plugin_id: None,
            reason: "first message was not 'register'".into(),
        }));
    }
    assert!(h.state.unregistered.len() <= 3);
}

#[test]
fn the_web_ui_warnings_check_gives_show_live() {
    // A batch is carried out here, but the TGO web UI ignores it: check warns, so does the
    // console, next to the render's own web-UI note (the `action` template).
    let mut h = rendered();
    h.reply(
        Purpose::Event {
            cap: cap(0),
            in_modal: false,
            event: crate::host::UiEvent::button_click("test"),
        },
        "visitor_panel/event",
        Outcome::Result {
            value: json!({"action": "batch", "data": {"actions": [
                {"action": "show_toast", "data": {"message": "Saved", "type": "success"}},
                {"action": "refresh", "data": {}}]}}),
        },
    );
    h.now += Duration::from_secs(10);
    h.send(Msg::Tick);
    h.key(KeyCode::Char('2'));
    h.key(KeyCode::Char('z'));
    let screen = h.sized(120, 40);
    assert!(
        screen.contains("the \"batch\" action is not carried out by the TGO web UI"),
        "{screen}"
    );
    assert!(
        screen.contains("the \"action\" template is not drawn by the TGO web UI"),
        "{screen}"
    );
}
