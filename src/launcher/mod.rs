//! Starting plugin processes and keeping what they print. Each plugin runs in its own process
//! group so stopping it (or dropping it) never leaves a grandchild behind.

mod process;

pub use process::{ChildPlugin, LaunchSpec, OutputBuffer, OutputLine, Stop, StreamKind};
