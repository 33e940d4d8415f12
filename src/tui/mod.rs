//! The interactive console: a ratatui front end over the host library. It consumes host events
//! and the message log, and sends commands through the host handle; it never touches a socket.

pub mod composer;
pub mod inspector;
pub mod theme;
pub mod uiview;
