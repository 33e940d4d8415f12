//! Starting plugin processes and keeping what they print. Each plugin runs in its own process
//! group so stopping it (or dropping it) never leaves a grandchild behind.
//!
//! `manifest` reads plugin manifests into launch specs; `process` runs one child;
//! `supervisor` runs many, restarting and watching them.

pub mod manifest;
mod process;
pub mod supervisor;

pub use manifest::{Manifest, ManifestError};
pub use process::{
    ChildPlugin, LaunchSpec, LineSink, OutputBuffer, OutputLine, SpawnOptions, Stop, StreamKind,
    become_subreaper, kill_all_now,
};
pub use supervisor::{
    LaunchEnv, LaunchId, LaunchOp, LaunchedView, Launcher, LauncherEvent, ProcState,
    spawn_supervisor,
};
