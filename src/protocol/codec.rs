//! Framing: a 4-byte big-endian length, then that many bytes of JSON.
//!
//! tokio-util's length-delimited codec does the work; this wrapper checks the announced length
//! *before* anything is buffered for it, so a peer claiming 4 GiB costs us 4 bytes, and it turns
//! codec failures into errors that say what happened.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

/// Default largest frame accepted (16 MiB).
pub const DEFAULT_MAX_FRAME_BYTES: usize = 16 * 1024 * 1024;

/// Bytes of a broken frame's payload kept for the inspector's frame view.
pub const KEPT_BROKEN_BYTES: usize = 4096;

/// Why a byte stream stopped being a sequence of frames. A broken frame keeps its first
/// bytes (`head`, at most [`KEPT_BROKEN_BYTES`] of payload) so it can be looked at.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("frame announces {announced} bytes, over the {max}-byte limit (--max-frame-bytes)")]
    TooLarge {
        announced: u64,
        max: usize,
        head: Bytes,
    },
    #[error(
        "connection closed in the middle of a frame ({buffered} payload bytes of an unfinished frame)"
    )]
    Truncated {
        buffered: usize,
        /// The length its prefix announced (`None`: the prefix itself was cut).
        announced: Option<u64>,
        head: Bytes,
    },
    #[error("read/write failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Frame codec for both directions: decodes to the frame's payload, encodes a payload.
#[derive(Debug)]
pub struct FrameCodec {
    inner: LengthDelimitedCodec,
    max: usize,
    /// The inner codec has consumed a header and is waiting for that frame's payload, so the
    /// buffer now starts with payload bytes, not a length.
    in_payload: bool,
    /// The length the frame being read announced.
    announced: u64,
}

impl FrameError {
    /// The length prefix and kept payload bytes of the broken frame, as they came.
    pub fn frame_bytes(&self) -> Option<Bytes> {
        let (announced, head) = match self {
            FrameError::TooLarge {
                announced, head, ..
            } => (Some(*announced), head),
            FrameError::Truncated {
                announced, head, ..
            } => (*announced, head),
            FrameError::Io(_) => return None,
        };
        let mut out = BytesMut::with_capacity(head.len() + 4);
        if let Some(n) = announced {
            out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
        }
        out.extend_from_slice(head);
        Some(out.freeze())
    }
}

/// The first bytes of `b`, copied (the buffer itself is about to be dropped).
fn kept(b: &[u8]) -> Bytes {
    Bytes::copy_from_slice(&b[..b.len().min(KEPT_BROKEN_BYTES)])
}

impl FrameCodec {
    pub fn new(max_frame_bytes: usize) -> Self {
        let inner = LengthDelimitedCodec::builder()
            .length_field_length(4)
            .big_endian()
            .max_frame_length(max_frame_bytes)
            .new_codec();
        Self {
            inner,
            max: max_frame_bytes,
            in_payload: false,
            announced: 0,
        }
    }

    pub fn max_frame_bytes(&self) -> usize {
        self.max
    }
}

impl Default for FrameCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_BYTES)
    }
}

impl Decoder for FrameCodec {
    type Item = Bytes;
    type Error = FrameError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        let at_header = !self.in_payload && src.len() >= 4;
        if at_header {
            let announced = u64::from(u32::from_be_bytes([src[0], src[1], src[2], src[3]]));
            if announced > self.max as u64 {
                return Err(FrameError::TooLarge {
                    announced,
                    max: self.max,
                    head: kept(&src[4..]),
                });
            }
            self.announced = announced;
        }
        match self.inner.decode(src)? {
            Some(frame) => {
                self.in_payload = false;
                Ok(Some(frame.freeze()))
            }
            None => {
                self.in_payload |= at_header;
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FrameError> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            // A consumed header with no payload after it leaves `src` empty but is still
            // an unfinished frame.
            None if src.is_empty() && !self.in_payload => Ok(None),
            None => {
                let buffered = src.remaining();
                // Before its header was read, the buffer starts with a (short) length.
                let (announced, head) = if self.in_payload {
                    (Some(self.announced), kept(src))
                } else {
                    (None, kept(src))
                };
                src.clear();
                Err(FrameError::Truncated {
                    buffered,
                    announced,
                    head,
                })
            }
        }
    }
}

impl Encoder<Bytes> for FrameCodec {
    type Error = FrameError;

    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), FrameError> {
        if item.len() > self.max {
            return Err(FrameError::TooLarge {
                announced: item.len() as u64,
                max: self.max,
                head: Bytes::new(),
            });
        }
        self.inner.encode(item, dst)?;
        Ok(())
    }
}

/// Encodes one payload as a complete frame (for tests and simple clients).
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_split_and_joined_frames() {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::new();
        let mut joined = frame(b"{\"a\":1}");
        joined.extend(frame(b"[2]"));
        buf.extend_from_slice(&joined[..3]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&joined[3..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"{\"a\":1}"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"[2]"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn payload_arriving_after_its_header_is_not_read_as_a_length() {
        // A payload starting with `{"js` read as a length would be 2 GB: must never happen.
        let mut codec = FrameCodec::new(1024);
        let payload = br#"{"jsonrpc":"2.0","id":1,"result":{}}"#;
        let whole = frame(payload);
        let mut buf = BytesMut::from(&whole[..6]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&whole[6..10]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&whole[10..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &payload[..]);
        buf.extend_from_slice(&frame(b"[]"));
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"[]"[..]);
    }

    #[test]
    fn oversized_length_is_rejected_before_buffering() {
        let mut codec = FrameCodec::new(1024);
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xff, b'{'][..]);
        match codec.decode(&mut buf) {
            Err(e @ FrameError::TooLarge { announced, max, .. }) => {
                assert_eq!(announced, 0xffff_ffff);
                assert_eq!(max, 1024);
                // What came is kept for the frame view: the prefix and the payload's start.
                assert_eq!(
                    e.frame_bytes().unwrap(),
                    &[0xff, 0xff, 0xff, 0xff, b'{'][..]
                );
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
        assert!(
            buf.capacity() < 1 << 20,
            "must not reserve the announced size"
        );
    }

    #[test]
    fn half_a_frame_at_eof_is_truncated() {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::from(&frame(b"{\"id\":1}")[..6]);
        match codec.decode_eof(&mut buf) {
            Err(
                e @ FrameError::Truncated {
                    buffered: 2,
                    announced: Some(8),
                    ..
                },
            ) => assert_eq!(e.frame_bytes().unwrap(), &[0, 0, 0, 8, b'{', b'"'][..]),
            other => panic!("expected Truncated, got {other:?}"),
        }
    }

    #[test]
    fn header_without_payload_at_eof_is_truncated() {
        // Found by fuzz/frame_rpc: the header is consumed, so the buffer is empty at EOF.
        let whole = frame(b"{\"id\":1}");
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::from(&whole[..4]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(matches!(
            codec.decode_eof(&mut buf),
            Err(FrameError::Truncated { buffered: 0, .. })
        ));
        // The same when the header only arrives with the EOF.
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::from(&whole[..4]);
        assert!(matches!(
            codec.decode_eof(&mut buf),
            Err(FrameError::Truncated { buffered: 0, .. })
        ));
    }

    #[test]
    fn empty_frame_at_eof_is_a_frame() {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::from(&frame(b"")[..]);
        assert_eq!(codec.decode_eof(&mut buf).unwrap().unwrap(), &b""[..]);
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
    }

    #[test]
    fn encode_round_trips() {
        let mut codec = FrameCodec::default();
        let mut buf = BytesMut::new();
        codec
            .encode(Bytes::from_static(b"hello"), &mut buf)
            .unwrap();
        assert_eq!(&buf[..], &frame(b"hello")[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), &b"hello"[..]);
    }
}
