//! Typed JSON-UI / JSON-ACTION model and validator.
//!
//! Plugins answer `*/render` with JSON-UI (`{"template", "data"}`) and `*/event` with
//! JSON-ACTION (`{"action", "data"}`). This module turns an already-parsed
//! [`serde_json::Value`] into typed values a renderer can draw ([`parse_ui`], [`parse_action`])
//! and, on the way, collects [`Diagnostic`]s with JSON paths for the `check` command. It never
//! rejects input: broken or unknown parts are kept (`Unknown` / `Invalid`, with their raw JSON)
//! so the UI can still show what the plugin sent. [`interactions`] lists what a user can press
//! and the event each press sends. Nothing here knows about terminals or sockets.

pub mod action;
pub mod diag;
pub mod interact;
pub mod model;
pub mod parse;
pub mod web;

pub use action::{Action, ContentType, KNOWN_ACTIONS, ToastKind};
pub use diag::{Diagnostic, Severity};
pub use interact::{
    Interaction, InteractionKind, buttons, default_form_data, forms, interactions, sample_form_data,
};
pub use model::*;
pub use parse::{
    MAX_DEPTH, Parsed, WEB_UI_TEMPLATES, WEB_UI_UNSUPPORTED_ACTIONS, WEB_UI_UNSUPPORTED_TEMPLATES,
    parse_action, parse_ui,
};
pub use web::{web_lacks, web_missing};
