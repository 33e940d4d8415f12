//! Snapshots of every template (plain text of a `TestBackend`; colours are checked by the
//! unit tests that need them) and the outcomes of keys and clicks.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use serde_json::{Value, json};

use super::*;
use crate::jsonui::{Cell, Column, Pagination, Row, Table, parse_ui};

fn ui(v: Value) -> Node {
    let parsed = parse_ui(&v);
    parsed.value
}

fn term(node: &Node, state: &UiState, w: u16, h: u16, focused: bool) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| {
            let area = frame.area();
            render(
                node,
                state,
                area,
                frame.buffer_mut(),
                &Theme::default(),
                focused,
            );
        })
        .unwrap();
    terminal
}

/// Renders `node` unfocused with a fresh state.
fn shot(node: &Node, w: u16, h: u16) -> Terminal<TestBackend> {
    term(node, &UiState::new(node), w, h, false)
}

fn vp(w: u16, h: u16) -> Rect {
    Rect::new(0, 0, w, h)
}

/// A key as the console routes it to a JSON-UI: through the default keymap's render scope, or
/// its editing scope while a field is edited.
fn handle_key(node: &Node, state: &mut UiState, key: KeyEvent, viewport: Rect) -> UiOutcome {
    use crate::tui::action::{KeyInput, Scope};
    let keymap = crate::tui::keymap::Keymap::default();
    let scope = if is_editing(state) {
        Scope::Editing
    } else {
        Scope::Render
    };
    let action = keymap.action(&[scope], &key);
    super::handle_key(node, state, KeyInput { action, key }, viewport)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn press_keys(node: &Node, state: &mut UiState, keys: &[KeyCode], view: Rect) -> UiOutcome {
    let mut last = UiOutcome::Ignored;
    for &k in keys {
        last = handle_key(node, state, key(k), view);
    }
    last
}

/// The event of a `Press::Event` outcome.
fn event(out: UiOutcome) -> (UiEvent, Option<String>) {
    match out {
        UiOutcome::Press(Press::Event { event, confirm }) => (event, confirm),
        other => panic!("not an event: {other:?}"),
    }
}

fn focus_on(node: &Node, state: &mut UiState, id: &str) {
    assert!(
        layout(node, state, 70).targets.iter().any(|t| t.id == id),
        "no target {id}: {:?}",
        layout(node, state, 70)
            .targets
            .iter()
            .map(|t| &t.id)
            .collect::<Vec<_>>()
    );
    state.set_focus(Some(id.to_string()));
}

// ---------------------------------------------------------------- fixtures

fn text_node() -> Node {
    ui(json!({"template": "group", "data": {"items": [
        {"template": "text", "data": {"text": "Order #1024 was paid. The parcel leaves the warehouse tomorrow morning.", "size": "lg"}},
        {"template": "text", "data": {"text": "Payment confirmed", "type": "success"}},
        {"template": "text", "data": {"text": "订单号 SO-2024-0001", "copyable": true}}
    ]}}))
}

fn key_value_node() -> Node {
    ui(
        json!({"template": "key_value", "data": {"title": "Customer", "items": [
            {"label": "Name", "value": "张三"},
            {"label": "Email", "value": "zhangsan@example.com", "copyable": true},
            {"label": "Level", "value": "VIP", "type": "badge", "color": "#d4a017"},
            {"label": "Profile", "value": "Open in CRM", "type": "link", "link": "https://crm.example.com/c/42"},
            {"label": "Lifetime value", "value": "¥12,800.00", "type": "currency"},
            {"label": "Address", "value": "Room 1201, Building 3, 88 Century Avenue, Pudong New Area, Shanghai"}
        ]}}),
    )
}

fn table_json(rows: usize) -> Value {
    let rows: Vec<Value> = (1..=rows)
        .map(|i| {
            json!({"id": format!("SO-{i:04}"), "order": format!("SO-{i:04}"),
                   "item": if i % 2 == 0 { "无线耳机 Pro" } else { "USB-C cable" },
                   "amount": format!("¥{}.00", i * 37),
                   "status": if i % 3 == 0 { json!({"text": "refunded", "color": "red"}) }
                             else { json!({"text": "paid", "color": "green"}) }})
        })
        .collect();
    json!({"template": "table", "data": {
        "title": "Recent orders",
        "columns": [
            {"key": "order", "label": "Order"},
            {"key": "item", "label": "Item"},
            {"key": "amount", "label": "Amount", "align": "right"},
            {"key": "status", "label": "Status", "align": "center", "type": "badge"}
        ],
        "rows": rows,
        "pagination": {"total": 195, "page": 1, "page_size": 20},
        "row_click_action": "open_order"
    }})
}

fn buttons_node() -> Node {
    ui(json!({"template": "group", "data": {"items": [
        {"template": "button", "data": {"label": "Refresh", "action_id": "refresh"}},
        {"template": "button", "data": {"label": "Delete customer", "action_id": "delete", "type": "danger"}},
        {"template": "button", "data": {"label": "Archived", "action_id": "archive", "type": "secondary", "disabled": true}}
    ]}}))
}

fn action_node() -> Node {
    ui(json!({"template": "action", "data": {"buttons": [
        {"id": "approve", "label": "Approve", "type": "primary"},
        {"id": "hold", "label": "Put on hold"},
        {"id": "refund", "label": "Refund", "type": "danger", "confirm": "Refund ¥120 to the customer?"},
        {"id": "notes", "label": "Notes", "type": "ghost"},
        {"id": "sync", "label": "Syncing", "loading": true},
        {"id": "export", "label": "Export", "disabled": true}
    ]}}))
}

fn tabs_node() -> Node {
    ui(
        json!({"template": "tabs", "data": {"default_tab": "profile", "items": [
            {"key": "orders", "label": "Orders", "content":
                {"template": "text", "data": {"text": "3 open orders"}}},
            {"key": "profile", "label": "Profile", "content":
                {"template": "key_value", "data": {"items": [{"label": "Name", "value": "张三"}]}}},
            {"key": "notes", "label": "备注", "content":
                {"template": "group", "data": {"items": [
                    {"template": "text", "data": {"text": "No notes yet"}},
                    {"template": "button", "data": {"label": "Add note", "action_id": "add_note"}}
                ]}}}
        ]}}),
    )
}

fn form_node() -> Node {
    ui(json!({"template": "form", "data": {
        "title": "Create ticket",
        "action_id": "create_ticket",
        "submit_text": "Create",
        "cancel_text": "Reset",
        "fields": [
            {"name": "subject", "label": "Subject", "type": "text", "required": true, "placeholder": "What happened?"},
            {"name": "details", "label": "Details", "type": "textarea", "rows": 2, "default": "Parcel arrived damaged"},
            {"name": "quantity", "label": "Quantity", "type": "number", "default": 1},
            {"name": "priority", "label": "Priority", "type": "select", "default": "normal",
             "options": [{"value": "low", "label": "Low"}, {"value": "normal", "label": "Normal"}, {"value": "high", "label": "High"}]},
            {"name": "channel", "label": "Channel", "type": "radio", "default": "email",
             "options": [{"value": "email", "label": "Email"}, {"value": "phone", "label": "Phone"}]},
            {"name": "due", "label": "Due date", "type": "date", "default": "2024-06-01"},
            {"name": "notify", "label": "Notify the customer", "type": "checkbox", "default": true},
            {"name": "urgent", "label": "Urgent", "type": "switch"},
            {"name": "visitor", "type": "hidden", "default": "v_12345"}
        ]
    }}))
}

fn card_node() -> Node {
    ui(json!({"template": "card", "data": {
        "title": "Order SO-1024", "subtitle": "Placed 2024-05-20 14:03",
        "fields": [{"label": "Items", "value": "3"}, {"label": "Total", "value": "¥360.00", "highlight": true}],
        "tags": [{"text": "paid", "color": "green"}, {"text": "express", "color": "blue"}],
        "actions": [{"id": "track", "label": "Track", "type": "primary"}, {"id": "cancel", "label": "Cancel", "type": "danger", "confirm": "Cancel this order?"}],
        "footer": "Ships from Hangzhou"
    }}))
}

fn cards_node() -> Node {
    ui(json!({"template": "cards", "data": {
        "title": "Recommended", "item_click_action": "view_product",
        "items": [
            {"id": "p1", "title": "无线耳机 Pro", "description": "Noise cancelling", "price": "¥899"},
            {"id": "p2", "title": "USB-C cable", "description": "2 m, braided", "price": "¥39"},
            {"id": "p3", "title": "Phone case", "price": "¥59"}
        ]
    }}))
}

fn links_node() -> Node {
    ui(json!({"template": "group", "data": {"items": [
        {"template": "link", "data": {"text": "Order history", "url": "https://shop.example.com/orders", "description": "All orders of this visitor"}},
        {"template": "links", "data": {"title": "Help", "items": [
            {"text": "Refund policy", "url": "https://shop.example.com/refunds"},
            {"text": "Shipping", "url": "https://shop.example.com/shipping"}
        ]}}
    ]}}))
}

fn markdown_node() -> Node {
    ui(json!({"template": "markdown", "data": {"content":
        "# Visitor summary\n\nThe visitor asked about **order SO-1024** and a `refund`.\n\n## Steps\n- Check the [tracking page](https://x.example) first, then contact the courier if the parcel is late\n- Offer a coupon\n1. Numbered too\n> Quoted note\n---\n```\nlet code = 1;\n```"}}))
}

fn list_node() -> Node {
    ui(json!({"template": "group", "data": {"items": [
        {"template": "list", "data": {"title": "Conversations", "show_more": true, "more_action": "more_convs", "items": [
            {"id": "c1", "title": "Where is my parcel?", "description": "Resolved by agent Li", "time": "10:32"},
            {"id": "c2", "title": "Invoice request", "time": "昨天"},
            {"title": "No id here", "description": "not selectable"}
        ]}},
        {"template": "list", "data": {"items": [{"id": "a", "text": "Simple item A"}, {"id": "b", "text": "Simple item B"}]}}
    ]}}))
}

fn timeline_node() -> Node {
    ui(
        json!({"template": "timeline", "data": {"title": "Order events", "items": [
            {"time": "05-20 14:03", "title": "Order placed", "status": "info"},
            {"time": "05-20 14:05", "title": "Paid", "description": "WeChat Pay, ¥360.00", "status": "success"},
            {"time": "05-21 09:00", "title": "Delayed", "description": "Weather in Hangzhou", "status": "warning"},
            {"title": "Delivered", "status": "default"}
        ]}}),
    )
}

fn stats_node() -> Node {
    ui(json!({"template": "stats", "data": {"items": [
        {"label": "Orders", "value": "12", "trend": "+2", "trend_type": "up"},
        {"label": "Spent", "value": "¥3,420", "trend": "-8%", "trend_type": "down"},
        {"label": "Tickets", "value": "1"},
        {"label": "NPS", "value": "9", "color": "green"}
    ]}}))
}

fn empty_node() -> Node {
    ui(
        json!({"template": "empty", "data": {"icon": "inbox", "title": "No orders yet",
        "description": "This visitor has not bought anything.", "action": {"id": "create_order", "label": "Create order"}}}),
    )
}

fn loading_node() -> Node {
    ui(json!({"template": "loading", "data": {"text": "Fetching orders…"}}))
}

fn rich_group(layout: &str) -> Node {
    ui(
        json!({"template": "group", "data": {"layout": layout, "items": [
            {"template": "group", "data": {"items": [
                {"template": "text", "data": {"text": "张三 · VIP customer since 2019", "bold": true}},
                {"template": "stats", "data": {"items": [
                    {"label": "Orders", "value": "12", "trend": "+2"},
                    {"label": "Spent", "value": "¥3,420"}
                ]}}
            ]}},
            table_json(4),
            {"template": "action", "data": {"buttons": [
                {"id": "refresh", "label": "Refresh", "type": "primary"},
                {"id": "close", "label": "Close ticket", "type": "danger"}
            ]}}
        ]}}),
    )
}

// ---------------------------------------------------------------- snapshots: templates

#[test]
fn snapshot_text() {
    insta::assert_snapshot!(shot(&text_node(), 70, 7).backend());
}

#[test]
fn snapshot_key_value() {
    insta::assert_snapshot!(shot(&key_value_node(), 70, 9).backend());
}

#[test]
fn snapshot_table() {
    insta::assert_snapshot!(shot(&ui(table_json(6)), 70, 11).backend());
}

#[test]
fn snapshot_button() {
    insta::assert_snapshot!(shot(&buttons_node(), 70, 5).backend());
}

#[test]
fn snapshot_action_bar() {
    // Narrow enough to wrap.
    insta::assert_snapshot!(shot(&action_node(), 50, 3).backend());
}

#[test]
fn snapshot_group_vertical() {
    let node = ui(json!({"template": "group", "data": {"items": [
        {"template": "text", "data": {"text": "First block"}},
        {"template": "text", "data": {"text": "Second block", "type": "info"}}
    ]}}));
    insta::assert_snapshot!(shot(&node, 70, 4).backend());
}

#[test]
fn snapshot_tabs() {
    insta::assert_snapshot!(shot(&tabs_node(), 70, 5).backend());
}

#[test]
fn snapshot_form() {
    insta::assert_snapshot!(shot(&form_node(), 70, 24).backend());
}

#[test]
fn snapshot_card() {
    insta::assert_snapshot!(shot(&card_node(), 70, 11).backend());
}

#[test]
fn snapshot_cards_grid() {
    insta::assert_snapshot!(shot(&cards_node(), 70, 8).backend());
}

#[test]
fn snapshot_cards_list() {
    insta::assert_snapshot!(shot(&cards_node(), 40, 8).backend());
}

#[test]
fn snapshot_links() {
    insta::assert_snapshot!(shot(&links_node(), 70, 7).backend());
}

#[test]
fn snapshot_markdown() {
    insta::assert_snapshot!(shot(&markdown_node(), 50, 16).backend());
}

#[test]
fn snapshot_markdown_max_height() {
    let node = ui(json!({"template": "markdown", "data": {
        "content": "line 1\nline 2\nline 3\nline 4\nline 5\nline 6", "max_height": "80px"}}));
    insta::assert_snapshot!(shot(&node, 30, 6).backend());
}

#[test]
fn snapshot_list() {
    insta::assert_snapshot!(shot(&list_node(), 70, 11).backend());
}

#[test]
fn snapshot_timeline() {
    insta::assert_snapshot!(shot(&timeline_node(), 70, 8).backend());
}

#[test]
fn snapshot_stats() {
    insta::assert_snapshot!(shot(&stats_node(), 70, 5).backend());
}

#[test]
fn snapshot_empty() {
    insta::assert_snapshot!(shot(&empty_node(), 70, 5).backend());
}

#[test]
fn snapshot_loading() {
    insta::assert_snapshot!(shot(&loading_node(), 70, 1).backend());
}

#[test]
fn snapshot_unknown_template() {
    let node = ui(json!({"template": "chart", "data": {"kind": "bar", "values": [1, 2, 3]}}));
    insta::assert_snapshot!(shot(&node, 70, 10).backend());
}

#[test]
fn snapshot_invalid() {
    let node = ui(json!(["not", "a", "template"]));
    insta::assert_snapshot!(shot(&node, 70, 7).backend());
}

// ---------------------------------------------------------------- snapshots: states and sizes

#[test]
fn snapshot_tabs_after_switching() {
    let node = tabs_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "root");
    let out = handle_key(&node, &mut state, key(KeyCode::Right), vp(70, 6));
    assert_eq!(out, UiOutcome::Handled);
    insta::assert_snapshot!(term(&node, &state, 70, 6, true).backend());
}

#[test]
fn snapshot_form_while_editing() {
    let node = form_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "f0");
    let view = vp(70, 24);
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    assert!(is_editing(&state));
    for c in "Broken \x1b screen".chars() {
        handle_key(&node, &mut state, key(KeyCode::Char(c)), view);
    }
    insta::assert_snapshot!(term(&node, &state, 70, 24, true).backend());
}

#[test]
fn snapshot_form_failed_submit() {
    let node = form_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "submit");
    let view = vp(70, 26);
    let out = handle_key(&node, &mut state, key(KeyCode::Enter), view);
    assert_eq!(
        out,
        UiOutcome::Handled,
        "an empty required field must refuse"
    );
    assert_eq!(state.focus(), Some("f0"), "focus goes to the bad field");
    insta::assert_snapshot!(term(&node, &state, 70, 26, true).backend());
}

#[test]
fn snapshot_table_focused_selected_row() {
    let node = ui(table_json(6));
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "root");
    press_keys(
        &node,
        &mut state,
        &[KeyCode::Down, KeyCode::Down],
        vp(70, 11),
    );
    insta::assert_snapshot!(term(&node, &state, 70, 11, true).backend());
    assert_eq!(
        focused_label(&node, &state).as_deref(),
        Some("row 3/6: SO-0003")
    );
}

/// A table big enough that anything proportional to its rows would show.
fn huge_table(n: usize) -> Node {
    let columns = ["id", "name", "amount"]
        .iter()
        .map(|k| Column {
            key: k.to_string(),
            label: k.to_uppercase(),
            width: None,
            align: (*k == "amount").then_some(crate::jsonui::Align::Right),
            kind: None,
        })
        .collect();
    let rows = (0..n)
        .map(|i| Row {
            cells: vec![
                Cell {
                    text: format!("{i}"),
                    color: None,
                },
                Cell {
                    text: format!("customer {i}"),
                    color: None,
                },
                Cell {
                    text: format!("{}.00", i % 997),
                    color: Some("green".into()),
                },
            ],
            row_id: None,
        })
        .collect();
    Node::Table(Table {
        title: Some("All customers".into()),
        columns,
        rows,
        pagination: Some(Pagination {
            total: Some(n as u64),
            page: Some(1),
            page_size: Some(n as u64),
        }),
        row_click_action: None,
    })
}

#[test]
fn snapshot_huge_table_scrolled_to_middle() {
    let node = huge_table(200_000);
    let mut state = UiState::new(&node);
    state.set_focus(Some("root".into()));
    state.selected.insert(String::new(), 100_000);
    let view = vp(70, 12);
    let started = Instant::now();
    super::input::reveal_focus(&node, &mut state, view);
    let terminal = term(&node, &state, 70, 12, true);
    let took = started.elapsed();
    insta::assert_snapshot!(terminal.backend());
    assert_eq!(layout(&node, &state, 70).height, 3 + 200_000 + 1);
    eprintln!("200k-row table: reveal + layout + frame took {took:?}");
    assert!(took.as_millis() < 50, "layout + frame took {took:?}");
    // Enter on the selected row: item_select with the row index as its id.
    let (ev, _) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev.selected_id.as_deref(), Some("100000"));
    assert_eq!(ev.action_id, "");
}

#[test]
fn snapshot_horizontal_group() {
    let node = ui(
        json!({"template": "group", "data": {"layout": "horizontal", "items": [
            {"template": "key_value", "data": {"title": "Visitor", "items": [
                {"label": "Name", "value": "张三"}, {"label": "City", "value": "Shanghai"}]}},
            {"template": "stats", "data": {"items": [{"label": "Orders", "value": "12"}]}},
            {"template": "text", "data": {"text": "Third column wraps its text when narrow"}}
        ]}}),
    );
    insta::assert_snapshot!(shot(&node, 70, 5).backend());
}

#[test]
fn snapshot_rich_group_narrow() {
    insta::assert_snapshot!(shot(&rich_group("horizontal"), 20, 5).backend());
}

#[test]
fn snapshot_rich_group_wide() {
    insta::assert_snapshot!(shot(&rich_group("horizontal"), 160, 40).backend());
}

const HOSTILE: &str = "\x1b[2J\x1b]0;x\x07";

#[test]
fn snapshot_hostile_strings() {
    let h = HOSTILE;
    let node = ui(json!({"template": "group", "data": {"items": [
        {"template": "text", "data": {"text": format!("text {h}")}},
        {"template": "key_value", "data": {"title": h, "items": [{"label": h, "value": h, "type": "badge"}]}},
        {"template": "table", "data": {"columns": [{"key": "a", "label": h}], "rows": [{"a": h}]}},
        {"template": "action", "data": {"buttons": [{"id": "x", "label": h}]}},
        {"template": "form", "data": {"fields": [{"name": "f", "label": h, "default": h},
            {"name": "s", "label": "s", "type": "select", "options": [{"value": "1", "label": h}], "default": "1"}]}},
        {"template": "markdown", "data": {"content": format!("# {h}\n- **{h}**")}},
        {"template": h, "data": {"k": h}}
    ]}}));
    let terminal = shot(&node, 60, 40);
    for cell in terminal.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "control char drawn: {:?}",
            cell.symbol()
        );
    }
    insta::assert_snapshot!(terminal.backend());
}

// ---------------------------------------------------------------- keys and clicks

#[test]
fn button_press_sends_button_click() {
    let node = buttons_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 5);
    // j from nothing focuses the first visible target.
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Char('j')), view),
        UiOutcome::Handled
    );
    assert_eq!(state.focus(), Some("0"));
    let (ev, confirm) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev, UiEvent::button_click("refresh"));
    assert_eq!(confirm, None);
    // The disabled one can be focused but not pressed.
    press_keys(&node, &mut state, &[KeyCode::Down, KeyCode::Down], view);
    assert_eq!(state.focus(), Some("2"));
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), view),
        UiOutcome::Handled
    );
    // Wrap is off: ↓ on the last target does nothing.
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Down), view),
        UiOutcome::Ignored
    );
    // The focused button is drawn reversed and with » «.
    let terminal = term(&node, &state, 70, 5, true);
    let buf = terminal.backend().buffer();
    assert_eq!(buf[(0, 4)].symbol(), "»");
    assert!(buf[(0, 4)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn action_bar_confirm_and_disabled() {
    let node = action_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "b2");
    let (ev, confirm) = event(handle_key(
        &node,
        &mut state,
        key(KeyCode::Enter),
        vp(70, 3),
    ));
    assert_eq!(ev, UiEvent::button_click("refund"));
    assert_eq!(confirm.as_deref(), Some("Refund ¥120 to the customer?"));
    for loading_or_disabled in ["b4", "b5"] {
        focus_on(&node, &mut state, loading_or_disabled);
        assert_eq!(
            handle_key(&node, &mut state, key(KeyCode::Enter), vp(70, 3)),
            UiOutcome::Handled
        );
    }
}

#[test]
fn card_action_click_sends_its_id_with_confirm() {
    let node = card_node();
    let mut state = UiState::new(&node);
    let lay = layout(&node, &state, 70);
    let cancel = lay.targets.iter().find(|t| t.id == "a1").unwrap();
    let out = handle_click(&node, &mut state, cancel.x + 1, cancel.y as u16, vp(70, 11));
    let (ev, confirm) = event(out);
    assert_eq!(ev.action_id, "cancel");
    assert_eq!(confirm.as_deref(), Some("Cancel this order?"));
}

#[test]
fn table_rows_select_and_leave_at_the_edges() {
    let node = ui(json!({"template": "group", "data": {"items": [
        table_json(3),
        {"template": "button", "data": {"label": "After", "action_id": "after"}}
    ]}}));
    let mut state = UiState::new(&node);
    let view = vp(70, 10);
    focus_on(&node, &mut state, "0");
    press_keys(&node, &mut state, &[KeyCode::Down, KeyCode::Down], view);
    assert_eq!(
        state.focus(),
        Some("0"),
        "↓ stays inside until the last row"
    );
    let (ev, _) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev.event_type, "item_select");
    assert_eq!(ev.action_id, "open_order");
    assert_eq!(ev.selected_id.as_deref(), Some("SO-0003"));
    handle_key(&node, &mut state, key(KeyCode::Down), view);
    assert_eq!(
        state.focus(),
        Some("1"),
        "↓ on the last row leaves the table"
    );
    handle_key(&node, &mut state, key(KeyCode::Up), view);
    assert_eq!(state.focus(), Some("0"));
    assert_eq!(
        focused_label(&node, &state).as_deref(),
        Some("row 3/3: SO-0003")
    );
}

#[test]
fn clicking_a_row_selects_and_presses_it() {
    let node = ui(table_json(6));
    let mut state = UiState::new(&node);
    // Title, header, rule, then rows: screen line 5 is the third row.
    let (ev, _) = event(handle_click(&node, &mut state, 10, 5, vp(70, 11)));
    assert_eq!(ev.selected_id.as_deref(), Some("SO-0003"));
    assert_eq!(state.focus(), Some("root"));
    // A click on the header only focuses.
    assert_eq!(
        handle_click(&node, &mut state, 10, 1, vp(70, 11)),
        UiOutcome::Handled
    );
}

#[test]
fn list_and_cards_items_send_item_select() {
    let node = list_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 12);
    focus_on(&node, &mut state, "0");
    handle_key(&node, &mut state, key(KeyCode::Down), view);
    let (ev, _) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev.event_type, "item_select");
    assert_eq!(ev.selected_id.as_deref(), Some("c2"));
    assert_eq!(ev.action_id, "");
    // The item without an id is selectable but sends nothing.
    handle_key(&node, &mut state, key(KeyCode::Down), view);
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), view),
        UiOutcome::Handled
    );
    // ↓ past the last item reaches "More".
    handle_key(&node, &mut state, key(KeyCode::Down), view);
    assert_eq!(state.focus(), Some("0.more"));
    let (ev, _) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev, UiEvent::button_click("more_convs"));

    let node = cards_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "root");
    // Grid of two columns at 70: → moves along the line, ↓ to the next grid line.
    handle_key(&node, &mut state, key(KeyCode::Right), vp(70, 12));
    let (ev, _) = event(handle_key(
        &node,
        &mut state,
        key(KeyCode::Enter),
        vp(70, 12),
    ));
    assert_eq!(ev.selected_id.as_deref(), Some("p2"));
    assert_eq!(ev.action_id, "view_product");
    handle_key(&node, &mut state, key(KeyCode::Down), vp(70, 12));
    let (ev, _) = event(handle_key(
        &node,
        &mut state,
        key(KeyCode::Enter),
        vp(70, 12),
    ));
    assert_eq!(ev.selected_id.as_deref(), Some("p3"));
}

#[test]
fn tab_switch_by_key_and_click() {
    let node = tabs_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 8);
    focus_on(&node, &mut state, "root");
    handle_key(&node, &mut state, key(KeyCode::Char('l')), view);
    assert_eq!(state.tabs.get(""), Some(&2));
    // The notes tab's button is now a target, with a path through the tab.
    assert!(
        layout(&node, &state, 70)
            .targets
            .iter()
            .any(|t| t.id == "tab2.1")
    );
    handle_key(&node, &mut state, key(KeyCode::Char('h')), view);
    assert_eq!(state.tabs.get(""), Some(&1));
    // Click the first tab: "[Orders]" starts at column 0 of line 0.
    assert_eq!(
        handle_click(&node, &mut state, 2, 0, view),
        UiOutcome::Handled
    );
    assert_eq!(state.tabs.get(""), Some(&0));
}

#[test]
fn form_submit_sends_typed_values() {
    let node = form_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 26);
    focus_on(&node, &mut state, "f0");
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    for c in "Damaged".chars() {
        handle_key(&node, &mut state, key(KeyCode::Char(c)), view);
    }
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    assert!(!is_editing(&state));
    // Quantity: replace 1 with 2.5.
    focus_on(&node, &mut state, "f2");
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    handle_key(&node, &mut state, key(KeyCode::Backspace), view);
    for c in "2.5".chars() {
        handle_key(&node, &mut state, key(KeyCode::Char(c)), view);
    }
    handle_key(&node, &mut state, key(KeyCode::Esc), view);
    // Priority → High, channel → Phone, urgent on, notify off.
    focus_on(&node, &mut state, "f3");
    handle_key(&node, &mut state, key(KeyCode::Right), view);
    focus_on(&node, &mut state, "f4");
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    focus_on(&node, &mut state, "f6");
    handle_key(&node, &mut state, key(KeyCode::Char(' ')), view);
    focus_on(&node, &mut state, "f7");
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    focus_on(&node, &mut state, "submit");
    let (ev, _) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev.event_type, "form_submit");
    assert_eq!(ev.action_id, "create_ticket");
    assert_eq!(
        Value::Object(ev.form_data),
        json!({"subject": "Damaged", "details": "Parcel arrived damaged", "quantity": 2.5,
               "priority": "high", "channel": "phone", "due": "2024-06-01",
               "notify": false, "urgent": true, "visitor": "v_12345"})
    );
}

#[test]
fn form_refuses_missing_required_and_bad_numbers_then_resets() {
    let node = form_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 26);
    focus_on(&node, &mut state, "f2");
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    handle_key(&node, &mut state, key(KeyCode::Char('x')), view);
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    focus_on(&node, &mut state, "submit");
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), view),
        UiOutcome::Handled
    );
    let form = state.forms.get("").unwrap();
    assert_eq!(form.errors[0].as_deref(), Some("required"));
    assert_eq!(form.errors[2].as_deref(), Some("not a number"));
    // Cancel ("Reset") restores the defaults and clears the errors.
    focus_on(&node, &mut state, "cancel");
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), view),
        UiOutcome::Handled
    );
    let form = state.forms.get("").unwrap();
    assert!(form.errors.iter().all(Option::is_none));
}

#[test]
fn clicking_a_text_field_starts_editing_and_clicking_away_stops() {
    let node = form_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 26);
    let lay = layout(&node, &state, 70);
    let subject = lay.targets.iter().find(|t| t.id == "f0").unwrap();
    handle_click(&node, &mut state, 5, subject.y as u16 + 1, view);
    assert!(is_editing(&state));
    handle_key(&node, &mut state, key(KeyCode::Char('j')), view);
    assert!(is_editing(&state), "j is text while editing");
    handle_click(&node, &mut state, 69, 0, view);
    assert!(!is_editing(&state));
    assert_eq!(
        state.forms[""].values[0],
        super::state::FieldValue::Text("j".into())
    );
}

#[test]
fn copy_and_links() {
    let node = text_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "2.copy");
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), vp(70, 7)),
        UiOutcome::Press(Press::Copy("订单号 SO-2024-0001".into()))
    );
    assert_eq!(
        focused_label(&node, &state).as_deref(),
        Some("copy: 订单号 SO-2024-0001")
    );
    let node = key_value_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "link3");
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), vp(70, 9)),
        UiOutcome::Press(Press::OpenUrl("https://crm.example.com/c/42".into()))
    );
    focus_on(&node, &mut state, "copy1");
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), vp(70, 9)),
        UiOutcome::Press(Press::Copy("zhangsan@example.com".into()))
    );
    let node = links_node();
    let mut state = UiState::new(&node);
    focus_on(&node, &mut state, "1.l1");
    assert_eq!(
        handle_key(&node, &mut state, key(KeyCode::Enter), vp(70, 9)),
        UiOutcome::Press(Press::OpenUrl("https://shop.example.com/shipping".into()))
    );
}

#[test]
fn focus_is_kept_in_view() {
    let items: Vec<Value> = (0..30)
        .map(|i| json!({"template": "button", "data": {"label": format!("B{i}"), "action_id": format!("b{i}")}}))
        .collect();
    let node = ui(json!({"template": "group", "data": {"items": items}}));
    let mut state = UiState::new(&node);
    let view = vp(30, 5);
    for _ in 0..12 {
        handle_key(&node, &mut state, key(KeyCode::Char('j')), view);
    }
    // Buttons sit on every other line (group gap): B11 is on line 22.
    assert_eq!(state.focus(), Some("11"));
    assert!(
        state.scroll() <= 22 && 22 < state.scroll() + 5,
        "{}",
        state.scroll()
    );
    handle_key(&node, &mut state, key(KeyCode::Home), view);
    assert_eq!((state.focus(), state.scroll()), (Some("0"), 0));
    handle_key(&node, &mut state, key(KeyCode::End), view);
    assert_eq!(state.focus(), Some("29"));
    assert_eq!(state.scroll(), 58 + 1 - 5);
    // PgUp scrolls and moves the focus onto something visible.
    handle_key(&node, &mut state, key(KeyCode::PageUp), view);
    let lay = layout(&node, &state, 30);
    let t = lay
        .targets
        .iter()
        .find(|t| Some(t.id.as_str()) == state.focus())
        .unwrap();
    assert!(t.y >= state.scroll() && t.y < state.scroll() + 5);
    // The wheel scrolls without moving the focus.
    let before = state.focus().map(str::to_string);
    handle_scroll(&mut state, true, view, &node);
    assert_eq!(state.focus().map(str::to_string), before);
}

#[test]
fn tiny_and_odd_sizes_never_panic() {
    let nodes = [
        rich_group("horizontal"),
        rich_group("vertical"),
        form_node(),
        tabs_node(),
        markdown_node(),
        card_node(),
        cards_node(),
        list_node(),
        timeline_node(),
        stats_node(),
        empty_node(),
        key_value_node(),
        links_node(),
        text_node(),
        action_node(),
        ui(json!({"template": "x", "data": {}})),
    ];
    for node in &nodes {
        for (w, h) in [(1, 1), (2, 1), (3, 2), (5, 3), (7, 7), (13, 4), (200, 3)] {
            let mut state = UiState::new(node);
            state.set_scroll(u32::MAX);
            term(node, &state, w, h, true);
            for k in [
                KeyCode::Down,
                KeyCode::Enter,
                KeyCode::Right,
                KeyCode::PageDown,
                KeyCode::End,
                KeyCode::Char('x'),
                KeyCode::Esc,
                KeyCode::Up,
            ] {
                handle_key(node, &mut state, key(k), vp(w, h));
                term(node, &state, w, h, true);
            }
            handle_click(node, &mut state, 0, 0, vp(w, h));
            handle_scroll(&mut state, true, vp(w, h), node);
            term(node, &state, w, h, true);
        }
    }
}

#[test]
fn stale_state_falls_back_to_defaults() {
    // A state from another node (or a re-render that changed shape) must not break drawing.
    let state = UiState::new(&form_node());
    let node = tabs_node();
    term(&node, &state, 70, 6, true);
    let mut state = UiState::new(&tabs_node());
    state.tabs.insert(String::new(), 99);
    let node = form_node();
    term(&node, &state, 70, 6, true);
    assert_eq!(layout(&node, &state, 70).targets.len(), 8 + 2);
}

#[test]
fn table_selection_pages_and_stays_in_view() {
    let node = ui(table_json(200));
    let mut state = UiState::new(&node);
    let view = vp(70, 10);
    focus_on(&node, &mut state, "root");
    // The first row keeps the title and header in view.
    handle_key(&node, &mut state, key(KeyCode::Down), view);
    handle_key(&node, &mut state, key(KeyCode::Up), view);
    assert_eq!(state.scroll(), 0);
    handle_key(&node, &mut state, key(KeyCode::PageDown), view);
    assert_eq!(
        state.selected.get(""),
        Some(&9),
        "a page is the view less a line"
    );
    for _ in 0..20 {
        handle_key(&node, &mut state, key(KeyCode::Char('j')), view);
    }
    let row_line = 3 + 29; // title, header, rule, then row 29
    assert!(state.scroll() <= row_line && row_line < state.scroll() + 10);
    assert_eq!(
        focused_label(&node, &state).as_deref(),
        Some("row 30/200: SO-0030")
    );
    // The drawn frame shows the selected row with its marker.
    let terminal = term(&node, &state, 70, 10, true);
    let line = (row_line - state.scroll()) as u16;
    assert_eq!(terminal.backend().buffer()[(0, line)].symbol(), "›");
}

#[test]
fn a_paste_fills_the_focused_text_field_one_line_or_several() {
    let node = form_node();
    let mut state = UiState::new(&node);
    let view = vp(70, 26);
    // A focused one-line field takes it as Enter would have opened it: one line, no escape.
    focus_on(&node, &mut state, "f0");
    assert!(handle_paste(
        &node,
        &mut state,
        "Broken\r\nscreen\x1b[2J\r",
        view
    ));
    assert!(is_editing(&state));
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    // The textarea keeps the lines (terminals send CR for a line break).
    focus_on(&node, &mut state, "f1");
    handle_key(&node, &mut state, key(KeyCode::Enter), view);
    assert!(handle_paste(&node, &mut state, "\rsecond\rthird", view));
    handle_key(&node, &mut state, key(KeyCode::Esc), view);
    // A select takes no text.
    focus_on(&node, &mut state, "f3");
    assert!(!handle_paste(&node, &mut state, "high", view));
    assert!(!is_editing(&state));
    focus_on(&node, &mut state, "submit");
    let (ev, _) = event(handle_key(&node, &mut state, key(KeyCode::Enter), view));
    assert_eq!(ev.form_data["subject"], "Broken screen[2J");
    assert_eq!(
        ev.form_data["details"],
        "Parcel arrived damaged\nsecond\nthird"
    );
}
