//! The path to what is on screen: the capability rendered, the context it was rendered with,
//! and the events sent since (clicks, selections, submits). A restarted plugin (`--watch`)
//! is walked down the same path again by `restore`; the render header shows it as a
//! breadcrumb. Data only: `restore` is the reducer.

use super::msg::CapKey;
use super::plays::Awaited;
use super::uiview::UiState;
use crate::host::{RenderContext, UiEvent};

/// One event on the path.
#[derive(Clone, Debug, PartialEq)]
pub struct TrailStep {
    pub event: UiEvent,
    /// Pressed in a modal the path opened (`show_modal`).
    pub in_modal: bool,
}

impl TrailStep {
    /// `click view_all`, `select ORD-2`, `submit create`: as a breadcrumb says it.
    pub fn crumb(&self) -> String {
        let e = &self.event;
        match e.event_type.as_str() {
            "button_click" => format!("click {}", e.action_id),
            "item_select" => format!("select {}", e.selected_id.as_deref().unwrap_or("")),
            "form_submit" => format!("submit {}", e.action_id),
            other => format!("{other} {}", e.action_id),
        }
    }

    /// `button \`view_all\``, `row \`ORD-2\``: what it acts on, for "not in the new answer".
    pub fn target(&self) -> String {
        let e = &self.event;
        match e.event_type.as_str() {
            "button_click" => format!("button `{}`", e.action_id),
            "item_select" => format!("row `{}`", e.selected_id.as_deref().unwrap_or("")),
            "form_submit" => format!("form `{}`", e.action_id),
            other => format!("{other} `{}`", e.action_id),
        }
    }
}

/// What was open over the panel when the plugin went away, to open again.
#[derive(Clone, Debug)]
pub struct SavedModal {
    /// A chat_toolbar's modal: rendered again at the end of the path. `None`: a modal an
    /// event on the path opened (sending it again opens it again).
    pub toolbar: Option<CapKey>,
    pub ui: UiState,
}

/// A path being walked again after the plugin registered anew.
#[derive(Clone, Debug)]
pub struct Restoring {
    /// The next step of the path to send.
    pub next: usize,
    /// The request of the step on its way.
    pub awaiting: Option<Awaited>,
    /// The panel's view state before the restart (form values, tabs, scroll, focus).
    pub ui: Option<UiState>,
    pub modal: Option<SavedModal>,
    /// Steps not sent again, and why (a form submit, a button that asks first).
    pub skipped: Vec<String>,
    /// The toolbar of `modal` was asked to render again: its form values wait for it.
    pub reopening: bool,
}

/// How the last walk down the path ended, for the header.
#[derive(Clone, Debug, PartialEq)]
pub struct TrailNote {
    pub text: String,
    /// It stopped short (a target gone, a request failed).
    pub stopped: bool,
}

/// The path to what the render pane shows.
#[derive(Clone, Debug, Default)]
pub struct Trail {
    /// The capability rendered (events of other capabilities are not on its path).
    pub cap: Option<CapKey>,
    /// The context it was rendered with.
    pub ctx: RenderContext,
    pub steps: Vec<TrailStep>,
    pub restoring: Option<Restoring>,
    pub note: Option<TrailNote>,
}

impl Trail {
    /// A fresh path at `cap`, rendered with `ctx`.
    pub fn start(&mut self, cap: CapKey, ctx: RenderContext) {
        *self = Trail {
            cap: Some(cap),
            ctx,
            ..Trail::default()
        };
    }

    /// `click view_all › select ORD-2`: the events of the path.
    pub fn crumbs(&self) -> Vec<String> {
        self.steps.iter().map(TrailStep::crumb).collect()
    }
}
