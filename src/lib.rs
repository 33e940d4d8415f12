//! tgo-console: a terminal debugging host for TGO plugins.
//!
//! Layers, bottom up: `protocol` (framing, JSON-RPC types), `host` (listeners, connections,
//! registry, pending requests, message log), `jsonui` (typed JSON-UI / JSON-ACTION + validator),
//! then the front ends (`check`, `proxy`, `cli`). Nothing below the front ends knows about a
//! terminal. Proxy mode (between plugins and a real TGO host) is the host's `upstream` module.

pub mod bench;
pub mod call;
pub mod check;
pub mod cli;
pub mod config;
pub mod demo_plugin;
pub mod drawn;
pub mod host;
pub mod jsondiff;
pub mod jsonui;
pub mod junit;
pub mod launcher;
pub mod protocol;
pub mod proxy;
pub mod record;
pub mod scaffold;
pub mod scenario;
pub mod text;
pub mod tui;
pub mod watchdog;
