//! `update`: the one entry of every state change. It routes each message to the reducer of
//! its area (`connections`, `render`, `events`, `plugins`, `launches`, `output`, `inspect`,
//! `modals`, `mouse`), turns a key into an [`Action`] through the keymap of the scopes that
//! have the keyboard, and returns the effects for the app to carry out. No I/O here.

use super::action::{Action, KeyInput, Scope};
use super::commands;
use super::connections;
use super::diagnostics;
use super::events;
use super::history;
use super::inspect;
use super::launches;
use super::modals;
use super::mouse::{self, BarClick};
use super::msg::{Effect, Msg, Purpose};
use super::output;
use super::palette::{PaletteOutcome, PaletteState, Pick};
use super::playing;
use super::plugins;
use super::render;
use super::restore;
use super::saving;
use super::state::*;
use super::view;
use crate::host::MessageLog;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::time::Instant;

pub use super::render::RENDER_DEBOUNCE;
pub use super::render::request_effects;

pub fn update(state: &mut State, msg: Msg, log: &MessageLog, now: Instant) -> Vec<Effect> {
    let was_render = state.focus == Pane::Render;
    let mut effects = apply(state, msg, log, now);
    super::preview::sync(state);
    effects.extend(render::due_render(state));
    // A story being played and a path being walked again go on once nothing is on its way.
    effects.extend(playing::advance(state));
    effects.extend(restore::pump(state));
    // Entering the render pane focuses its first button, row or field, so the very next key
    // acts on something visible.
    if state.focus == Pane::Render && !was_render && state.modal.is_none() {
        let width = view::layout_of(state).render_body.width;
        if let Some(r) = state.shown_rendered_mut() {
            render::focus_first(r, width);
        }
    }
    let sends = |e: &Effect| {
        matches!(
            e,
            Effect::Request { .. }
                | Effect::Launch { .. }
                | Effect::AddPlugins(_)
                | Effect::RunCommand { .. }
        )
    };
    launches::mark_removing(state, &effects);
    if state.session.read_only && effects.iter().any(sends) {
        effects.retain(|e| !sends(e));
        state.toast(
            ToastKind::Info,
            "this is a replay: nothing is sent".into(),
            TOAST,
        );
    }
    // Every request sent from the console is kept in the history (the app writes it).
    let kept: Vec<Effect> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Request {
                plugin_id,
                method,
                params,
                ..
            } => {
                let entry = history::HistoryEntry::now(plugin_id, method, params);
                history::remember(&mut state.history, entry.clone());
                Some(Effect::History(entry))
            }
            _ => None,
        })
        .collect();
    effects.extend(kept);
    effects
}

fn apply(state: &mut State, msg: Msg, log: &MessageLog, now: Instant) -> Vec<Effect> {
    state.now = now;
    state.status.toasts.retain(|t| t.until > now);
    if state.status.error.as_ref().is_some_and(|e| e.until <= now) {
        state.status.error = None;
    }
    // Long composer params are checked once the typing pauses (see `next_wakeup`).
    if let Some(Modal::Composer(c)) = &mut state.modal {
        c.settle(now);
    }
    match msg {
        Msg::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key, log),
        Msg::Key(_) => Vec::new(),
        Msg::Mouse(m) => match mouse::on_mouse(state, m, log) {
            Ok(effects) => effects,
            Err(BarClick::Quit) => act(state, Action::Quit, log),
            Err(BarClick::Help) => act(state, Action::Help, log),
            Err(BarClick::Compose) => act(state, Action::Compose, log),
        },
        Msg::Paste(text) => {
            super::paste::paste(state, &text);
            Vec::new()
        }
        Msg::Resize(w, h) => {
            state.size = (w, h);
            Vec::new()
        }
        Msg::Host(ev) => connections::on_host(state, ev),
        Msg::LogGrew => {
            state.inspector.sync(log);
            super::host_view::sync(state, log);
            Vec::new()
        }
        Msg::Sent {
            purpose,
            plugin_id,
            method,
            conn,
            id,
        } => {
            if let Purpose::Event { event, .. } = &purpose {
                events::on_sent(state, &plugin_id, &method, event);
            }
            playing::on_sent(state, &purpose, &plugin_id, &method, conn, id);
            restore::on_sent(state, &purpose, &plugin_id, &method, conn, id);
            state.pending.push(PendingView {
                conn,
                id,
                plugin_id,
                method,
                since: now,
                purpose,
            });
            Vec::new()
        }
        Msg::SendFailed { purpose, error } => {
            let why = error.to_string();
            playing::refused(state, &purpose, &why);
            restore::refused(state, &purpose, &why);
            failed(state, &purpose, FailKind::NotConnected, why);
            Vec::new()
        }
        Msg::Reply { purpose, reply, ui } => {
            // A played story's step and a restored path's step are told first: the answer
            // itself lands as any other.
            let judge = playing::answered(state, &reply);
            restore::answered(state, &reply);
            let mut effects = on_reply(state, purpose, reply, ui, log);
            effects.extend(judge);
            effects
        }
        Msg::Notice { text, error } => {
            let kind = if error {
                ToastKind::Error
            } else {
                ToastKind::Success
            };
            if error {
                state.set_error(text.clone());
            }
            state.toast(kind, text, TOAST * 2);
            Vec::new()
        }
        Msg::Launcher(batch) => {
            launches::on_events(state, batch, now);
            Vec::new()
        }
        Msg::Added { views, errors } => {
            launches::on_added(state, views, errors, now);
            Vec::new()
        }
        Msg::ConnOwner { conn, launch } => {
            let mut effects = match launches::on_conn_owner(state, conn, launch) {
                // Linked late: a folded entry's capability was on screen; show it anew.
                Some(key) => render::render(state, &key),
                None => Vec::new(),
            };
            // Linked late, its stories were not looked for when it registered.
            let dir = state
                .launch(launch)
                .and_then(|l| l.plugin_id.clone())
                .and_then(|p| state.plugin_dir(&p));
            effects.extend(dir.map(Effect::FindStories));
            effects
        }
        Msg::Signal(name) => {
            tracing::info!("{name}: quitting");
            quit(state)
        }
        Msg::CommandDone {
            name,
            output,
            ok,
            status,
            text,
        } => {
            commands::done(state, &name, output, ok, &status, text);
            Vec::new()
        }
        Msg::Edited(result) => {
            modals::edited(state, result);
            Vec::new()
        }
        Msg::StoriesFound { dir, files } => {
            let rows_before = state.rows();
            state.stories.found.insert(dir, files);
            super::entries::keep_selection(state, &rows_before);
            Vec::new()
        }
        Msg::StoryLoaded { key, scenario } => playing::loaded(state, key, scenario),
        Msg::StepJudged {
            play,
            index,
            report,
        } => {
            playing::judged(state, play, index, &report);
            Vec::new()
        }
        Msg::StorySaved { path, saved } => {
            saving::saved(state, path, saved);
            Vec::new()
        }
        Msg::Chaos(news) => super::chaos::on_news(state, news),
        Msg::Tick => Vec::new(),
        Msg::Health { plugins, usage } => {
            state.health.plugins = plugins.into_iter().collect();
            state.health.usage = usage.into_iter().collect();
            Vec::new()
        }
        Msg::Focus(focused) => {
            state.health.focused = focused;
            Vec::new()
        }
    }
}

/// An answer, where the same request from a click would have put it.
fn on_reply(
    state: &mut State,
    purpose: Purpose,
    reply: crate::host::Reply,
    ui: Option<Box<crate::jsonui::Parsed<crate::jsonui::Node>>>,
    log: &MessageLog,
) -> Vec<Effect> {
    state
        .pending
        .retain(|p| !(p.id == reply.id && p.plugin_id == reply.plugin_id));
    // A render's answer is remembered for `=`; the first after a rebuild is compared with
    // the one before it.
    let since_build = match (&purpose, &reply.outcome) {
        (Purpose::Render(key), crate::host::Outcome::Result { value }) => {
            let same = super::past::after_build(state, log, key, value);
            super::past::remember(state, key, reply.response_seq);
            same.map(|same| (key.clone(), same))
        }
        _ => None,
    };
    let value = match render::answered(reply.outcome) {
        Ok(value) => value,
        Err((kind, message)) => {
            failed(state, &purpose, kind, message);
            return Vec::new();
        }
    };
    // Something worked: an older error in the status bar is no longer the news.
    state.status.error = None;
    match purpose {
        Purpose::Event {
            cap,
            in_modal,
            event,
        } => events::on_reply(
            state,
            (cap, in_modal, event),
            value,
            reply.latency,
            &reply.method,
        ),
        other => {
            let effects = render::on_reply(state, other, value, reply.latency, &reply.method, ui);
            if let Some((key, same)) = since_build
                && let Some(RenderSlot::Ready(r)) = state.render.slots.get_mut(&key)
            {
                r.since_build = Some(same);
            }
            effects
        }
    }
}

/// A request that got no usable answer, said where its answer would have gone.
fn failed(state: &mut State, purpose: &Purpose, kind: FailKind, message: String) {
    if let Purpose::Event { cap, event, .. } = purpose {
        events::on_failed(state, cap, event, kind, &message);
    }
    render::fail(state, purpose, kind, message);
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

/// A key: Ctrl-C always quits; otherwise the keymap of the scopes that have the keyboard
/// names an action, and the area that has the keyboard does it (or types the key).
fn on_key(state: &mut State, key: KeyEvent, log: &MessageLog) -> Vec<Effect> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return quit(state);
    }
    let scopes = state.active_scopes();
    let input = KeyInput {
        action: state.personal.keymap.action(&scopes, &key),
        key,
    };
    // A user's command bound to the key comes first, where nothing is typed.
    if scopes.contains(&Scope::Global)
        && let Some(i) = commands::bound_to(state, &key)
    {
        return commands::run(state, i, log);
    }
    if let Some(Modal::Palette(_)) = &state.modal {
        return palette_key(state, input, log);
    }
    if state.modal.is_some() {
        return modals::on_key(state, input, log);
    }
    let typing = !scopes.contains(&Scope::Global);
    let handled = match state.focus {
        Pane::Plugins => input.action.and_then(|a| plugins::on_action(state, a)),
        Pane::Output => input.action.and_then(|a| output::on_action(state, a)),
        Pane::Inspector => inspect::on_key(state, input, log),
        // Esc from time travel comes before the UI's own use of it.
        Pane::Render if input.action == Some(Action::Live) && state.render.past.is_some() => {
            super::past::leave(state);
            Some(Vec::new())
        }
        Pane::Render => {
            let list = view::layout_of(state).diagnostics;
            let diag = input
                .action
                .filter(|_| !typing)
                .and_then(|a| diagnostics::on_action(state, a, list));
            diag.or_else(|| events::render_pane_key(state, input))
        }
    };
    match (handled, input.action) {
        (Some(effects), _) => effects,
        (None, Some(action)) if !typing => act(state, action, log),
        _ => Vec::new(),
    }
}

/// The global actions (and what the palette picks).
fn act(state: &mut State, action: Action, log: &MessageLog) -> Vec<Effect> {
    match action {
        Action::Quit => return quit(state),
        Action::Help => state.modal = Some(Modal::Help { scroll: 0 }),
        Action::Palette => open_palette(state, log),
        Action::NextPane | Action::PrevPane => {
            let i = Pane::ALL
                .iter()
                .position(|p| *p == state.focus)
                .unwrap_or(0);
            let n = Pane::ALL.len();
            let by = if action == Action::NextPane { 1 } else { n - 1 };
            state.enter_pane(Pane::ALL[(i + by) % n]);
        }
        Action::FocusPlugins => state.enter_pane(Pane::Plugins),
        Action::FocusRender => state.enter_pane(Pane::Render),
        Action::FocusInspector => state.enter_pane(Pane::Inspector),
        Action::FocusOutput => state.enter_pane(Pane::Output),
        Action::AddPlugin => launches::open_add(state),
        Action::Zoom => state.zoom = !state.zoom,
        Action::ToggleDiagnostics => state.show_diagnostics = !state.show_diagnostics,
        Action::EditContext => modals::open_context_editor(state),
        Action::Rerender => return render::rerender(state),
        Action::Compose => modals::open_composer(state, None),
        Action::Pending => state.modal = Some(Modal::Pending { selected: 0 }),
        Action::Toolbar => return render::toolbar_of_selected(state),
        Action::OpenUrl => return events::open_last_url(state),
        Action::Copy => return events::copy_last(state),
        Action::SaveStory => saving::open(state),
        Action::HostView => super::host_view::toggle(state, log),
        // Esc in the inspector (with no filter to clear) leaves time travel too.
        Action::Live | Action::ClearFilter => {
            super::past::leave(state);
        }
        Action::WebPreview => return super::preview::toggle_web(state),
        Action::RenderWidth => return super::preview::next_width(state),
        Action::Diff => match super::past::diff_shown(state, log) {
            Ok(d) => state.modal = Some(Modal::Diff(Box::new(d))),
            Err(why) => state.toast(ToastKind::Info, why, TOAST),
        },
        _ => {}
    }
    Vec::new()
}

/// `palette`: everything the console can do or show, to pick from by typing.
fn open_palette(state: &mut State, log: &MessageLog) {
    let entries = commands::palette_entries(state, log);
    state.modal = Some(Modal::Palette(Box::new(PaletteState::new(entries))));
}

fn palette_key(state: &mut State, input: KeyInput, log: &MessageLog) -> Vec<Effect> {
    let Some(Modal::Palette(p)) = &mut state.modal else {
        return Vec::new();
    };
    match p.handle_key(input) {
        PaletteOutcome::Handled => Vec::new(),
        PaletteOutcome::Cancel => {
            state.modal = None;
            Vec::new()
        }
        PaletteOutcome::Pick(pick) => {
            state.modal = None;
            picked(state, pick, log)
        }
    }
}

/// Does what the palette picked.
fn picked(state: &mut State, pick: Pick, log: &MessageLog) -> Vec<Effect> {
    match pick {
        Pick::Action(scope, action) => {
            // A pane's action acts where its pane is: give it the keyboard first.
            let synthetic = KeyInput {
                action: Some(action),
                key: KeyEvent::from(KeyCode::Null),
            };
            match scope {
                Scope::Inspector => {
                    state.enter_pane(Pane::Inspector);
                    inspect::on_key(state, synthetic, log).unwrap_or_default()
                }
                Scope::Plugins => {
                    state.enter_pane(Pane::Plugins);
                    plugins::on_action(state, action).unwrap_or_default()
                }
                Scope::Render => {
                    state.enter_pane(Pane::Render);
                    let list = view::layout_of(state).diagnostics;
                    diagnostics::on_action(state, action, list).unwrap_or_default()
                }
                _ => act(state, action, log),
            }
        }
        Pick::Plugin(id) => {
            state.enter_pane(Pane::Plugins);
            plugins::select_row(state, Some(Row::Plugin(id)), false)
        }
        Pick::Capability(key) => {
            state.enter_pane(Pane::Plugins);
            state.selected = Some(Row::Capability(key.clone()));
            render::select_cap(state, &key, true)
        }
        Pick::Filter(query) => {
            state.enter_pane(Pane::Inspector);
            state.inspector.set_filter(&query, log);
            Vec::new()
        }
        Pick::Request {
            plugin_id,
            method,
            params,
        } => {
            modals::open_composer(state, Some((plugin_id, method, params)));
            Vec::new()
        }
        Pick::Command(i) => commands::run(state, i, log),
    }
}
