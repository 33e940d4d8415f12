//! `tgo-console screenshots DIR`: draws the main screens with the real renderer (the same
//! `update` and `view` as the console, fed the built-in demo plugin's real answers) and writes
//! them as SVG files, so the README's pictures always match what the console draws.

use super::msg::{CapKey, Msg, Purpose};
use super::state::State;
use super::theme::Theme;
use super::update::update;
use super::view;
use crate::demo_plugin;
use crate::host::register::parse_register;
use crate::host::{
    Direction, EntryKind, HostEvent, LogEntry, MessageLog, Outcome, RenderContext, Reply,
};
use crate::protocol::{Id, jsonrpc};
use bytes::Bytes;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

const PLUGIN: &str = "com.tgo.demo";

/// The wall clock of every picture (2026-03-02 09:41:00 UTC), so a regeneration writes the
/// same bytes: the inspector and the output pane show times of day.
const WALL_CLOCK_SECS: u64 = 1_772_444_460;

/// A console fed by hand: the demo plugin's answers, a message log that mirrors them.
struct Scene {
    state: State,
    log: MessageLog,
    /// When the scene started, on the monotonic clock and on the picture's wall clock.
    start: Instant,
    now: Instant,
    next_id: u64,
}

impl Scene {
    /// The demo plugin registered over connection 1.
    fn new(theme: Theme) -> Self {
        let mut s = Self::bare(theme);
        s.register_demo();
        s
    }

    fn bare(theme: Theme) -> Self {
        let mut state = State::new(
            theme,
            RenderContext::default(),
            vec!["/var/run/tgo/tgo.sock".into()],
            "~/.local/state/tgo-console/tgo-console.log".into(),
        );
        // As after `d`: the demo's warnings (it uses templates the web UI does not draw) would
        // cover the lower half of every panel; the inspector shows them with the answer.
        state.show_diagnostics = false;
        let now = Instant::now();
        Self {
            state,
            log: MessageLog::new(64 << 20),
            start: now,
            now,
            next_id: 1,
        }
    }

    /// The time of day on the picture's clock: the scene's start plus its own elapsed time,
    /// plus a few milliseconds per message so that they are not all at once.
    fn wall_clock(&self) -> SystemTime {
        let frames = Duration::from_micros(2_300 * self.log.last_seq());
        SystemTime::UNIX_EPOCH
            + Duration::from_secs(WALL_CLOCK_SECS)
            + (self.now - self.start)
            + frames
    }

    /// Plugins launched from manifests: the demo (which registers) and one that crashes at
    /// start and is restarting, with its traceback.
    fn launched(theme: Theme) -> Self {
        use crate::launcher::{
            LaunchId, LaunchedView, LauncherEvent, OutputLine, ProcState, StreamKind,
        };
        let mut s = Self::bare(theme);
        let view = |id: u64, name: &str, command: &str| {
            let manifest = format!("~/plugins/{name}/plugin.yml").into();
            LaunchedView::starting(LaunchId(id), name.into(), manifest, command.into())
        };
        s.send(Msg::Added {
            views: vec![
                view(1, "demo", "tgo-console demo-plugin"),
                view(2, "visitor-orders", ".venv/bin/python3 main.py"),
            ],
            errors: Vec::new(),
        });
        let state = |id: u64, state: ProcState, pid: Option<u32>| LauncherEvent::State {
            id: LaunchId(id),
            state,
            pid,
            restarts: 0,
        };
        let started = s.wall_clock();
        let line = |stream: StreamKind, text: &str| LauncherEvent::Output {
            id: LaunchId(2),
            line: OutputLine {
                at: started,
                stream,
                text: text.into(),
            },
        };
        s.send(Msg::Launcher(vec![
            state(1, ProcState::Running, Some(48211)),
            state(2, ProcState::Running, Some(48212)),
            line(StreamKind::Stderr, "[orders] dialing /var/run/tgo/tgo.sock"),
            line(StreamKind::Stderr, "Traceback (most recent call last):"),
            line(
                StreamKind::Stderr,
                "  File \"main.py\", line 118, in <module>",
            ),
            line(StreamKind::Stderr, "    main()"),
            line(StreamKind::Stderr, "  File \"main.py\", line 64, in main"),
            line(
                StreamKind::Stderr,
                "    rows = load_orders(os.environ[\"ORDERS_DB\"])",
            ),
            line(StreamKind::Stderr, "KeyError: 'ORDERS_DB'"),
            state(2, ProcState::Exited { code: 1 }, None),
            state(
                2,
                ProcState::Restarting {
                    // `settle` moves the clock 30 s on: 4 s are left then.
                    at: s.now + Duration::from_millis(33_600),
                    attempt: 2,
                },
                None,
            ),
        ]));
        s.send(Msg::ConnOwner {
            conn: 1,
            launch: LaunchId(1),
        });
        s.register_demo();
        s
    }

    fn register_demo(&mut self) {
        let s = self;
        let opts = demo_plugin::DemoOptions::default();
        let params = demo_plugin::register_params(&opts);
        s.log_frame(
            Direction::In,
            EntryKind::Request {
                id: Id::Num(1),
                method: "register".into(),
            },
            &json!({"jsonrpc": "2.0", "id": 1, "method": "register", "params": params}),
        );
        let info = parse_register(Some(&params)).expect("the demo registers validly");
        s.send(Msg::Host(HostEvent::Registered {
            conn: 1,
            plugin_id: PLUGIN.into(),
            info,
            replaced: None,
        }));
    }

    fn log_frame(&mut self, dir: Direction, kind: EntryKind, v: &Value) -> u64 {
        let raw = Bytes::from(serde_json::to_vec(v).unwrap_or_default());
        let mut entry = LogEntry::new(dir, 1, Some(PLUGIN.into()), raw, kind);
        entry.at = self.wall_clock();
        self.log.push(entry)
    }

    fn send(&mut self, msg: Msg) {
        let effects = update(&mut self.state, msg, &self.log, self.now);
        for e in effects {
            if let super::msg::Effect::Request {
                method,
                params,
                purpose,
                ..
            } = e
            {
                self.answer(&method, params, purpose);
            }
        }
        self.state.inspector.sync(&self.log);
    }

    /// Answers a request the way the demo plugin does, logging both frames.
    fn answer(&mut self, method: &str, params: Value, purpose: Purpose) {
        let id = self.next_id;
        self.next_id += 1;
        let req = self.log_frame(
            Direction::Out,
            EntryKind::Request {
                id: Id::Num(id as i64),
                method: method.into(),
            },
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}),
        );
        let outcome = match demo_plugin::dispatch(method, &params) {
            Ok(value) => Outcome::Result { value },
            Err(e) => Outcome::PluginError(e),
        };
        let answer: Value = match &outcome {
            Outcome::Result { value } => {
                serde_json::from_slice(&jsonrpc::result_bytes(&Id::Num(id as i64), value))
                    .unwrap_or_default()
            }
            Outcome::PluginError(e) => {
                serde_json::from_slice(&jsonrpc::error_bytes(Some(&Id::Num(id as i64)), e))
                    .unwrap_or_default()
            }
            _ => Value::Null,
        };
        let latency = Duration::from_micros(900 + 350 * id);
        let resp = self.log_frame(
            Direction::In,
            EntryKind::Result {
                id: Some(Id::Num(id as i64)),
            },
            &answer,
        );
        self.log.pair(req, resp, latency);
        let reply = Reply {
            plugin_id: PLUGIN.into(),
            method: method.into(),
            id,
            outcome,
            latency,
            request_seq: req,
            response_seq: Some(resp),
        };
        self.send(Msg::Reply {
            purpose,
            reply,
            ui: None,
        });
    }

    fn key(&mut self, code: KeyCode) {
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn keys(&mut self, codes: &[KeyCode]) {
        for c in codes {
            self.key(*c);
        }
    }

    /// Lets toasts expire, for a calm picture.
    fn settle(&mut self) {
        self.now += Duration::from_secs(30);
        self.send(Msg::Tick);
    }

    fn draw(&mut self, w: u16, h: u16) -> Buffer {
        self.state.size = (w, h);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
        let _ = terminal.draw(|f| view::draw(f, &self.state, &self.log));
        terminal.backend().buffer().clone()
    }
}

/// The pictures: (file stem, what it shows, buffer).
pub fn scenes(theme: &Theme) -> Vec<(&'static str, &'static str, Buffer)> {
    use KeyCode::*;
    let mut out = Vec::new();

    let mut s = Scene::new(theme.clone());
    s.settle();
    // In the panel, down to the end of its orders table (the pane scrolls along), then back
    // up to its first row: the whole table in view.
    s.key(Char('2'));
    s.keys(&[Down; 12]);
    s.keys(&[Up; 3]);
    out.push((
        "main",
        "The console at 120×36: plugins, the rendered Customer 360 panel, the message inspector",
        s.draw(120, 36),
    ));

    let mut s = Scene::new(theme.clone());
    s.settle();
    s.keys(&[Tab, Down, Down, Down, Enter]);
    s.key(Char('3'));
    out.push((
        "event",
        "A button pressed: the event, its JSON-ACTION carried out, the inspector on the answer",
        s.draw(120, 36),
    ));

    let mut s = Scene::new(theme.clone());
    s.keys(&[Char('j'), Enter, Char('2'), Right, Right, Right, Down]);
    s.settle();
    out.push((
        "form",
        "The \"Every template\" panel: tabs, and a form with every field type",
        s.draw(120, 36),
    ));

    let mut s = Scene::new(theme.clone());
    let event_params = s
        .state
        .ctx
        .event_params(&crate::host::UiEvent::button_click("details"));
    s.answer(
        "visitor_panel/event",
        event_params,
        Purpose::Event {
            cap: CapKey {
                plugin_id: PLUGIN.into(),
                index: 0,
            },
            in_modal: false,
            event: crate::host::UiEvent::button_click("details"),
        },
    );
    s.settle();
    out.push((
        "modal",
        "show_modal: the plugin's nested JSON-UI in a modal",
        s.draw(120, 36),
    ));

    let mut s = Scene::new(theme.clone());
    s.keys(&[Char('j'), Char('j'), Char('j'), Enter]);
    s.settle();
    out.push((
        "tools",
        "mcp_tools: a form per tool, generated from its parameters",
        s.draw(120, 36),
    ));

    let mut s = Scene::launched(theme.clone());
    s.settle();
    s.keys(&[Char('1'), Char('G'), Char('4')]);
    out.push((
        "launched",
        "Plugins launched from their manifests: one running, one crashed (its traceback under it \
         and in the output pane) and restarting",
        s.draw(120, 36),
    ));

    // The same panel rendered for another visitor, then `=`: what changed, by path and drawn.
    let mut s = Scene::new(theme.clone());
    s.state.ctx = crate::host::RenderContext::for_visitor("v_20231");
    s.key(Char('r'));
    s.settle();
    s.keys(&[Char('2'), Char('=')]);
    // Down to the last JSON changes, with the drawings under them.
    s.keys(&[Down; 16]);
    out.push((
        "diff",
        "Render diff (=): the panel's JSON changes by path, and the two renders side by side",
        s.draw(120, 36),
    ));

    let mut s = Scene::new(theme.clone());
    s.settle();
    s.key(Char('?'));
    out.push((
        "help",
        "The help overlay, generated from the key map",
        s.draw(120, 36),
    ));
    out
}

fn hex(c: Color, default: &str) -> String {
    let rgb = match c {
        Color::Reset => return default.to_string(),
        Color::Black => (0, 0, 0),
        Color::Red => (205, 49, 49),
        Color::Green => (13, 188, 121),
        Color::Yellow => (229, 229, 16),
        Color::Blue => (36, 114, 200),
        Color::Magenta => (188, 63, 188),
        Color::Cyan => (17, 168, 205),
        Color::Gray => (204, 204, 204),
        Color::DarkGray => (118, 118, 118),
        Color::LightRed => (241, 76, 76),
        Color::LightGreen => (35, 209, 139),
        Color::LightYellow => (245, 245, 67),
        Color::LightBlue => (59, 142, 234),
        Color::LightMagenta => (214, 112, 214),
        Color::LightCyan => (41, 184, 219),
        Color::White => (242, 242, 242),
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => (i, i, i),
    };
    format!("#{:02x}{:02x}{:02x}", rgb.0, rgb.1, rgb.2)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A buffer as an SVG: one rect per background run, one text element per styled run.
pub fn to_svg(buf: &Buffer, bg_default: &str, fg_default: &str) -> String {
    const CW: f32 = 8.4;
    const CH: f32 = 18.0;
    let area = buf.area;
    let (w, h) = (area.width as f32 * CW, area.height as f32 * CH);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"{bg_default}\"/>\n"
    );
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let cell = &buf[(area.x + x, area.y + y)];
            let mut fg = hex(cell.fg, fg_default);
            let mut bg = hex(cell.bg, bg_default);
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let bold = cell.modifier.contains(Modifier::BOLD);
            // Extend the run while the style stays the same.
            let start = x;
            let mut text = String::new();
            while x < area.width {
                let c = &buf[(area.x + x, area.y + y)];
                let mut cfg = hex(c.fg, fg_default);
                let mut cbg = hex(c.bg, bg_default);
                if c.modifier.contains(Modifier::REVERSED) {
                    std::mem::swap(&mut cfg, &mut cbg);
                }
                if cfg != fg || cbg != bg || c.modifier.contains(Modifier::BOLD) != bold {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (px, py) = (start as f32 * CW, y as f32 * CH);
            if bg != bg_default {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{}\" height=\"{CH}\" fill=\"{bg}\"/>",
                    (x - start) as f32 * CW
                );
            }
            if !text.trim().is_empty() {
                let weight = if bold { " font-weight=\"bold\"" } else { "" };
                let _ = writeln!(
                    svg,
                    "<text x=\"{px}\" y=\"{}\" fill=\"{fg}\"{weight} xml:space=\"preserve\" textLength=\"{}\" lengthAdjust=\"spacingAndGlyphs\">{}</text>",
                    py + CH * 0.75,
                    (x - start) as f32 * CW,
                    escape(&text)
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Writes every scene as `DIR/NAME.svg`; returns the files written.
pub fn write_all(dir: &Path, theme: &Theme) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let (bg, fg) = match theme.name.as_str() {
        "light" => ("#fafafa", "#202020"),
        _ => ("#1e1e1e", "#cccccc"),
    };
    let mut written = Vec::new();
    for (name, _, buf) in scenes(theme) {
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(&path, to_svg(&buf, bg, fg))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenes_draw_what_they_claim() {
        let scenes = scenes(&Theme::default());
        let text = |buf: &Buffer| buf.content().iter().map(|c| c.symbol()).collect::<String>();
        let find = |name: &str| {
            scenes
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, _, b)| text(b))
                .unwrap()
        };
        assert!(find("main").contains("Customer 360"));
        assert!(find("launched").contains("KeyError: 'ORDERS_DB'"));
        assert!(find("launched").contains("restarting in 4 s"));
        assert!(find("main").contains("visitor_panel/render"));
        assert!(find("form").contains("Every field type"));
        assert!(find("modal").contains("Order ORD-"));
        assert!(find("tools").contains("Execute"));
        assert!(find("help").contains("Everywhere"));
        let diff = find("diff");
        assert!(diff.contains("Diff · Customer 360"), "{diff}");
        assert!(
            diff.contains("Platinum") && diff.contains("Bronze"),
            "{diff}"
        );
        let svg = to_svg(&scenes[0].2, "#000000", "#ffffff");
        assert!(svg.starts_with("<svg") && svg.contains("Customer 360"));
    }

    /// The hero shows the whole orders table, not the demo's warnings over it.
    #[test]
    fn the_hero_shows_the_orders_table() {
        let (_, _, main) = scenes(&Theme::default()).swap_remove(0);
        let text = main
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect::<String>();
        for row in ["ORD-10001", "ORD-10004", "4 total"] {
            assert!(text.contains(row), "{row}");
        }
        assert!(!text.contains("diagnostics:"));
    }

    /// Drawn twice, a while apart, every picture is the same bytes: the clock is the scenes'.
    #[test]
    fn pictures_are_the_same_at_every_regeneration() {
        let first = scenes(&Theme::default());
        std::thread::sleep(Duration::from_millis(20));
        let again = scenes(&Theme::default());
        for ((name, _, a), (_, _, b)) in first.iter().zip(&again) {
            assert_eq!(
                to_svg(a, "#000", "#fff"),
                to_svg(b, "#000", "#fff"),
                "{name}"
            );
        }
        let text = first[0]
            .2
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect::<String>();
        assert!(text.contains("09:41:00.004"), "the scenes' own clock");
    }
}
