#![no_main]
//! Untrusted JSON-UI / JSON-ACTION through the parser, the render pane at tiny and normal
//! sizes, and keys, clicks and scrolls on it.
//!
//! Input layout: JSON text, optionally followed by a NUL byte and a key script (one input
//! event per byte; its first byte picks the viewport). JSON text never holds a raw NUL, so
//! the split is unambiguous and plain JSON files work as seeds.

use std::collections::HashSet;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use libfuzzer_sys::fuzz_target;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use serde_json::Value;
use tgo_console::jsonui::{Action, Node, parse_action, parse_ui};
use tgo_console::text::has_control_chars;
use tgo_console::tui::theme::Theme;
use tgo_console::tui::uiview::{self, UiState};

const SIZES: &[(u16, u16)] = &[(1, 1), (3, 2), (80, 24)];
const VIEWPORTS: &[(u16, u16)] = &[(80, 24), (1, 1), (3, 2), (20, 6), (40, 12)];
/// Events per input beyond which a longer script only slows the run down.
const MAX_EVENTS: usize = 64;
/// Keys when the input has no script: move around, press, type, leave.
const DEFAULT_SCRIPT: &[u8] = &[0, 0, 4, 6, 2, 9, 11, 2, 0, 2, 1, 5, 3, 7, 12, 2];

fuzz_target!(|data: &[u8]| {
    let (json, script) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, DEFAULT_SCRIPT),
    };
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };

    let action = parse_action(&value);
    let mut modals = Vec::new();
    collect_modals(&action.value, &mut modals);
    for node in modals.into_iter().take(4) {
        exercise(node, &[]);
    }

    let ui = parse_ui(&value);
    exercise(&ui.value, script);
});

fn collect_modals<'a>(action: &'a Action, out: &mut Vec<&'a Node>) {
    match action {
        Action::ShowModal { content, .. } => out.push(content),
        Action::Batch(all) => all.iter().for_each(|a| collect_modals(a, out)),
        _ => {}
    }
}

fn exercise(node: &Node, script: &[u8]) {
    let mut state = UiState::new(node);
    for &(w, h) in SIZES {
        check_layout(node, &state, w);
        draw(node, &state, w, h, false);
    }
    let Some((&first, events)) = script.split_first() else {
        return;
    };
    let (w, h) = VIEWPORTS[usize::from(first) % VIEWPORTS.len()];
    let viewport = Rect::new(0, 0, w, h);
    for &b in events.iter().take(MAX_EVENTS) {
        apply(node, &mut state, b, viewport);
        check_layout(node, &state, w);
    }
    draw(node, &state, w, h, true);
    for &(w, h) in SIZES {
        draw(node, &state, w, h, true);
    }
    if let Some(label) = uiview::focused_label(node, &state) {
        assert!(!has_control_chars(&label), "focused label {label:?}");
    }
}

/// One input event per script byte: the low nibble picks it, the high nibble parametrises.
fn apply(node: &Node, state: &mut UiState, b: u8, viewport: Rect) {
    let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
    let high = b >> 4;
    let code = match b & 0x0f {
        0 => KeyCode::Tab,
        1 => KeyCode::BackTab,
        2 => KeyCode::Enter,
        3 => KeyCode::Up,
        4 => KeyCode::Down,
        5 => KeyCode::Left,
        6 => KeyCode::Right,
        7 => KeyCode::Esc,
        8 => KeyCode::Backspace,
        9 => KeyCode::Char(char::from(b'a' + high)),
        10 => KeyCode::Char(' '),
        11 => KeyCode::Char(char::from(b'0' + high % 10)),
        12 => [
            KeyCode::PageDown,
            KeyCode::PageUp,
            KeyCode::Home,
            KeyCode::End,
        ][usize::from(high % 4)],
        13 => {
            uiview::handle_scroll(state, high.is_multiple_of(2), viewport, node);
            return;
        }
        14 => {
            let (col, row) = (u16::from(high) * 6, u16::from(high) * 2);
            let _ = uiview::handle_click(node, state, col, row, viewport);
            return;
        }
        _ => match high {
            0..4 => KeyCode::Char(['-', '.', '\u{4e2d}', 'é'][usize::from(high)]),
            // Editing keys with modifiers go to the text editor.
            4..8 => {
                let c = ['a', 'e', 'u', 'w'][usize::from(high - 4)];
                let _ = uiview::handle_key(
                    node,
                    state,
                    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL),
                    viewport,
                );
                return;
            }
            // An app-set offset far past the end must be clamped, not trusted.
            _ => {
                state.set_scroll(u32::MAX >> (high - 8));
                return;
            }
        },
    };
    let _ = uiview::handle_key(node, state, key(code), viewport);
}

/// Focus works by id, so ids must be unique; labels reach the status bar, so they must be
/// escaped.
fn check_layout(node: &Node, state: &UiState, width: u16) {
    let layout = uiview::layout(node, state, width);
    let mut ids = HashSet::new();
    for t in &layout.targets {
        assert!(ids.insert(t.id.as_str()), "duplicate target id {:?}", t.id);
        assert!(!has_control_chars(&t.label) && !t.label.contains(['\n', '\t']));
    }
}

fn draw(node: &Node, state: &UiState, w: u16, h: u16, focused: bool) {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal
        .draw(|frame| {
            let area = frame.area();
            uiview::render(
                node,
                state,
                area,
                frame.buffer_mut(),
                &Theme::default(),
                focused,
            );
        })
        .expect("draw");
    // Hostile plugin strings must never reach the terminal as control characters.
    for cell in terminal.backend().buffer().content() {
        let sym = cell.symbol();
        assert!(
            !sym.chars().any(char::is_control) && !has_control_chars(sym),
            "control character drawn: {sym:?}"
        );
    }
}
