//! Starting plugin processes and keeping what they print.
//!
//! `manifest` reads plugin manifests into launch specs; `process` runs one child;
//! `supervisor` runs many, restarting and watching them; `tree` finds and ends the processes
//! below the console.
//!
//! No plugin process outlives the console, in layers:
//! - Each plugin leads its own process group; stopping it signals the group, and dropping it
//!   (or [`kill_all_now`], for panics) SIGKILLs the group.
//! - The console is a child subreaper: what a plugin starts outside its group (`setsid`,
//!   `setpgid`) comes back to the console when its parent exits, so at exit the console kills
//!   every process still below it ([`tree::kill_descendants`]).
//! - Each plugin gets `PR_SET_PDEATHSIG` = SIGKILL: it dies with the console's spawner thread.
//! - A SIGKILLed console runs no code, and its orphans go to the subreaper above it: the
//!   watchdog (`crate::watchdog`), the process the user started, which runs the console as its
//!   child, kills everything below itself when the console ends, and is itself watched by the
//!   console (parent-death signal). Only killing both at once, or a process started for the
//!   plugin by something outside this tree (a service manager, `ssh`), escapes.

pub mod build;
pub mod install;
pub mod manifest;
pub mod outbox;
mod process;
pub mod supervisor;
pub mod tree;

pub use manifest::{Manifest, ManifestError};
pub use process::{
    ChildPlugin, LaunchSpec, LineSink, OutputBuffer, OutputLine, SpawnOptions, Stop, StreamKind,
    become_subreaper, kill_all_now,
};
pub use supervisor::{
    LaunchEnv, LaunchId, LaunchOp, LaunchedView, Launcher, LauncherEvent, ProcState,
    spawn_supervisor,
};
