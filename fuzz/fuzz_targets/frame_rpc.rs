#![no_main]
//! Bytes from a plugin socket, arriving in arbitrary chunks, through `FrameCodec` and then
//! every decoded frame through the JSON-RPC parse.
//!
//! Input layout: byte 0 picks the frame limit (small, so the oversize path is reachable),
//! byte 1 seeds the chunk sizes (0 = everything at once), the rest is the byte stream.

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tgo_console::protocol::codec::frame;
use tgo_console::protocol::jsonrpc::{self, Id, Incoming, MAX_VALUE_DEPTH, json_depth};
use tgo_console::protocol::{FrameCodec, FrameError, Message, ResponseBody};
use tokio_util::codec::{Decoder, Encoder};

/// How the stream ends, worked out without the codec.
#[derive(Debug, PartialEq)]
enum End {
    Clean,
    TooLarge {
        announced: u64,
    },
    /// Mid-frame: `buffered` bytes of the unfinished frame after its header (or of the
    /// header itself when even that is incomplete).
    Truncated {
        buffered: usize,
    },
}

/// The reference framing: what any chunking of `stream` must decode to.
fn reference(stream: &[u8], max: usize) -> (Vec<&[u8]>, End) {
    let mut frames = Vec::new();
    let mut rest = stream;
    loop {
        if rest.is_empty() {
            return (frames, End::Clean);
        }
        if rest.len() < 4 {
            return (
                frames,
                End::Truncated {
                    buffered: rest.len(),
                },
            );
        }
        let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if n > max {
            return (
                frames,
                End::TooLarge {
                    announced: n as u64,
                },
            );
        }
        if rest.len() - 4 < n {
            return (
                frames,
                End::Truncated {
                    buffered: rest.len() - 4,
                },
            );
        }
        frames.push(&rest[4..4 + n]);
        rest = &rest[4 + n..];
    }
}

/// Chunk sizes from a tiny LCG so the same input always splits the same way.
struct Chunks {
    state: u32,
    limit: usize,
}

impl Chunks {
    fn next(&mut self, left: usize) -> usize {
        if self.limit == 0 {
            return left;
        }
        self.state = self.state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (1 + (self.state >> 16) as usize % self.limit).min(left)
    }
}

fuzz_target!(|data: &[u8]| {
    let [max_sel, chunk_sel, stream @ ..] = data else {
        return;
    };
    let max = usize::from(*max_sel) * 2;
    let (want_frames, want_end) = reference(stream, max);

    // Decode the stream chunk by chunk, the way FramedRead drives a decoder.
    let mut codec = FrameCodec::new(max);
    let mut chunks = Chunks {
        state: u32::from(*chunk_sel),
        limit: if *chunk_sel == 0 {
            0
        } else {
            usize::from(chunk_sel % 64) + 1
        },
    };
    let mut buf = BytesMut::new();
    let mut got: Vec<Bytes> = Vec::new();
    let mut error = None;
    let mut pos = 0;
    'feed: while pos < stream.len() {
        let n = chunks.next(stream.len() - pos);
        buf.extend_from_slice(&stream[pos..pos + n]);
        pos += n;
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(f)) => got.push(f),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break 'feed;
                }
            }
        }
    }
    if error.is_none() {
        loop {
            match codec.decode_eof(&mut buf) {
                Ok(Some(f)) => got.push(f),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
    }

    // Chunking must not change what is decoded, nor how the stream ends.
    assert_eq!(got.len(), want_frames.len(), "frame count");
    for (g, w) in got.iter().zip(&want_frames) {
        assert_eq!(&g[..], *w);
        assert!(g.len() <= max);
    }
    let end = match error {
        None => End::Clean,
        Some(FrameError::TooLarge { announced, max: m }) => {
            assert_eq!(m, max);
            End::TooLarge { announced }
        }
        Some(FrameError::Truncated { buffered }) => End::Truncated { buffered },
        Some(FrameError::Io(e)) => panic!("decoder invented an I/O error: {e}"),
    };
    assert_eq!(end, want_end, "end of stream");

    // Encoding is the inverse of decoding, and refuses what the decoder would refuse.
    for f in &got {
        round_trip(f.clone(), max);
    }
    round_trip(Bytes::copy_from_slice(stream), max);

    for f in &got {
        match jsonrpc::parse(f) {
            Ok(incoming) => check_incoming(&incoming),
            Err(invalid) => assert!(!invalid.reason.is_empty()),
        }
    }
});

fn round_trip(payload: Bytes, max: usize) {
    let mut codec = FrameCodec::new(max);
    let mut buf = BytesMut::new();
    match codec.encode(payload.clone(), &mut buf) {
        Ok(()) => {
            assert!(payload.len() <= max);
            assert_eq!(&buf[..], &frame(&payload)[..]);
            let back = codec.decode(&mut buf).expect("decode own frame");
            assert_eq!(back.as_deref(), Some(&payload[..]));
            assert!(buf.is_empty());
        }
        Err(FrameError::TooLarge { announced, max: m }) => {
            assert!(payload.len() > max);
            assert_eq!((announced, m), (payload.len() as u64, max));
        }
        Err(e) => panic!("encode failed: {e}"),
    }
}

/// Floats may not survive text and back bit for bit (serde_json without float_roundtrip);
/// round trips are only compared without them.
fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(a) => a.iter().any(has_float),
        Value::Object(o) => o.values().any(has_float),
        _ => false,
    }
}

fn shallow(v: &Value) {
    let text = serde_json::to_string(v).expect("serialise a parsed value");
    assert!(json_depth(&text) <= MAX_VALUE_DEPTH);
}

fn check_incoming(incoming: &Incoming) {
    match &incoming.message {
        Message::Request { id, method, params } => {
            // `"params": null` reads as absent.
            assert_ne!(params, &Some(Value::Null));
            if let Some(p) = params {
                shallow(p);
            }
            if let Id::Num(n) = id
                && let Ok(n) = u64::try_from(*n)
                && !params.as_ref().is_some_and(has_float)
            {
                let p = params.clone().unwrap_or(Value::Null);
                let again = jsonrpc::parse(&jsonrpc::request_bytes(n, method, &p))
                    .expect("our own request parses");
                assert_eq!(again.message, incoming.message);
                assert!(again.notes.is_empty());
            }
        }
        Message::Notification { params, .. } => {
            assert_ne!(params, &Some(Value::Null));
            if let Some(p) = params {
                shallow(p);
            }
        }
        Message::Response { id, body } => match body {
            ResponseBody::Result(v) => {
                shallow(v);
                if let Some(id) = id
                    && !has_float(v)
                {
                    let again = jsonrpc::parse(&jsonrpc::result_bytes(id, v))
                        .expect("our own result parses");
                    assert_eq!(again.message, incoming.message);
                }
            }
            ResponseBody::Error(e) => {
                if !e.data.as_ref().is_some_and(has_float) {
                    let again = jsonrpc::parse(&jsonrpc::error_bytes(id.as_ref(), e))
                        .expect("our own error parses");
                    assert_eq!(again.message, incoming.message);
                }
            }
            ResponseBody::Invalid(reason) => assert!(!reason.is_empty()),
        },
    }
}
