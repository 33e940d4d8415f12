//! The wire: length-prefixed frames and JSON-RPC 2.0 messages. No sockets, no terminal.

pub mod codec;
pub mod jsonrpc;

pub use codec::{DEFAULT_MAX_FRAME_BYTES, FrameCodec, FrameError};
pub use jsonrpc::{Id, Incoming, Invalid, Message, ResponseBody, RpcError};
