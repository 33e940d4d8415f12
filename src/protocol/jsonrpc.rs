//! JSON-RPC 2.0 messages: lenient about what plugins send, strict about what we send.
//!
//! Incoming frames are first read as an envelope whose members stay raw JSON text. serde_json
//! skips raw values without recursion, so a 100 000-deep payload costs a linear scan and a
//! clear error, never a stack overflow; members are turned into `Value`s only when their depth
//! is within [`MAX_VALUE_DEPTH`].

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;

/// Deepest JSON accepted inside a message member (serde_json's own hard limit is 128).
pub const MAX_VALUE_DEPTH: usize = 100;

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const UNAVAILABLE: i64 = -32000;

/// A request id as plugins send it: the real host uses integers, some plugins echo strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Num(i64),
    Str(String),
}

impl Id {
    /// The integer this id names, accepting `"7"` for 7 (plugins that stringify ids).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Id::Num(n) => u64::try_from(*n).ok(),
            Id::Str(s) => s.trim().parse().ok(),
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Num(n) => write!(f, "{n}"),
            Id::Str(s) => write!(f, "{s:?}"),
        }
    }
}

/// The `error` member of a response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

/// A JSON value kept as the text it arrived in: a range of its frame's bytes, shared with
/// the frame (no copy). It was checked to be JSON within [`MAX_VALUE_DEPTH`] when the frame
/// was read; it becomes a [`Value`] only when something looks at it ([`RawJson::parse`]), so
/// a host that only forwards or counts answers never builds their trees.
#[derive(Clone)]
pub struct RawJson {
    frame: Bytes,
    start: usize,
    end: usize,
}

impl RawJson {
    /// The JSON text (valid UTF-8 and valid JSON: both were checked on arrival).
    pub fn get(&self) -> &str {
        // Checked when the frame was parsed; a failure here would be a bug, shown as null.
        std::str::from_utf8(&self.frame[self.start..self.end]).unwrap_or("null")
    }

    /// The JSON text's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.frame[self.start..self.end]
    }

    /// Length of the JSON text in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The whole frame this value came in.
    pub fn frame(&self) -> &Bytes {
        &self.frame
    }

    /// Builds the tree. Cannot fail for a value read from a frame (it was checked then).
    pub fn parse(&self) -> Result<Value, String> {
        serde_json::from_slice(self.as_bytes()).map_err(|e| format!("result: {e}"))
    }

    /// A value serialised now (tests, tools that make answers).
    pub fn from_value(v: &Value) -> Self {
        let text = Bytes::from(serde_json::to_vec(v).unwrap_or_else(|_| b"null".to_vec()));
        Self {
            start: 0,
            end: text.len(),
            frame: text,
        }
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RawJson({})",
            crate::text::truncate_chars(self.get(), 80)
        )
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// A well-formed incoming message. `R` is how a response's `result` is held: a [`Value`]
/// ([`parse`]) or its raw text ([`parse_raw`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Message<R = Value> {
    Request {
        id: Id,
        method: String,
        params: Option<Value>,
    },
    Notification {
        method: String,
        params: Option<Value>,
    },
    Response {
        id: Option<Id>,
        body: ResponseBody<R>,
    },
}

/// What a response carries. `Invalid` is a response we can pair by id but cannot use.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseBody<R = Value> {
    Result(R),
    Error(RpcError),
    Invalid(String),
}

/// A parsed frame plus the lenient forms it used (shown in the log, never fatal).
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming<R = Value> {
    pub message: Message<R>,
    pub notes: Vec<String>,
}

/// A frame that is not a usable JSON-RPC message; `id` is kept when it could be read.
#[derive(Clone, Debug, PartialEq)]
pub struct Invalid {
    pub reason: String,
    pub id: Option<Id>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    jsonrpc: Option<Option<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "present")]
    id: Option<Option<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "present")]
    method: Option<Option<&'a RawValue>>,
    #[serde(default, borrow, deserialize_with = "present")]
    params: Option<Option<&'a RawValue>>,
    /// `null` included: a `"result": null` is a result.
    #[serde(default, borrow, deserialize_with = "raw_present")]
    result: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "present")]
    error: Option<Option<&'a RawValue>>,
}

/// Distinguishes a member that is absent (`None`) from one that is `null` (`Some(None)`).
fn present<'de, D>(d: D) -> Result<Option<Option<&'de RawValue>>, D::Error>
where
    D: Deserializer<'de>,
{
    Option::<&'de RawValue>::deserialize(d).map(Some)
}

/// A member that is present, whatever its value (`null` too).
fn raw_present<'de, D>(d: D) -> Result<Option<&'de RawValue>, D::Error>
where
    D: Deserializer<'de>,
{
    <&'de RawValue>::deserialize(d).map(Some)
}

/// Nesting depth of a JSON text (objects and arrays), by a linear scan without recursion.
pub fn json_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'{' | b'[' => {
                depth += 1;
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Why a part of a message cannot be read: the reason of an [`Invalid`] or of an invalid
/// response body.
#[derive(Debug, thiserror::Error)]
enum PartError {
    #[error("{what} nests {depth} levels deep, over the limit of {MAX_VALUE_DEPTH}")]
    TooDeep { what: &'static str, depth: usize },
    #[error("{what}: {source}")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("id must be an integer or a string, got {}", short(.0))]
    Id(String),
    #[error("malformed error object: {0}")]
    ErrorObject(serde_json::Error),
}

/// Refuses a value nested deeper than [`MAX_VALUE_DEPTH`], by a linear scan of its text:
/// before any tree is built, so a 300 000-deep answer costs a scan, not a tree.
fn check_depth(raw: &RawValue, what: &'static str) -> Result<(), PartError> {
    let depth = json_depth(raw.get());
    if depth > MAX_VALUE_DEPTH {
        return Err(PartError::TooDeep { what, depth });
    }
    Ok(())
}

fn to_value(raw: &RawValue, what: &'static str) -> Result<Value, PartError> {
    check_depth(raw, what)?;
    serde_json::from_str(raw.get()).map_err(|source| PartError::Json { what, source })
}

fn parse_id(raw: Option<Option<&RawValue>>) -> Result<Option<Id>, PartError> {
    match raw {
        None | Some(None) => Ok(None),
        Some(Some(raw)) => match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Number(n)) if n.is_i64() => Ok(Some(Id::Num(n.as_i64().unwrap_or_default()))),
            Ok(Value::String(s)) => Ok(Some(Id::Str(s))),
            _ => Err(PartError::Id(raw.get().to_string())),
        },
    }
}

fn short(text: &str) -> String {
    crate::text::truncate_chars(text, 40)
}

/// Parses one frame's payload, a response's `result` into a [`Value`].
pub fn parse(payload: &[u8]) -> Result<Incoming, Invalid> {
    parse_with(payload, |raw, _| to_value(raw, "result"))
}

/// Parses one frame, keeping a response's `result` as its raw text in the frame (checked to be
/// JSON within the depth limit, no tree built): the host's hot path.
pub fn parse_raw(frame: &Bytes) -> Result<Incoming<RawJson>, Invalid> {
    parse_with(frame, |raw, text| {
        check_depth(raw, "result")?;
        // `raw` borrows from `text`, which is `frame`: its place there is a plain offset.
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        Ok(RawJson {
            frame: frame.clone(),
            start,
            end: start + raw.get().len(),
        })
    })
}

fn parse_with<R>(
    payload: &[u8],
    result: impl FnOnce(&RawValue, &str) -> Result<R, PartError>,
) -> Result<Incoming<R>, Invalid> {
    let invalid = |reason: String| Invalid { reason, id: None };
    let text = std::str::from_utf8(payload).map_err(|e| {
        invalid(format!(
            "not valid UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    match text.trim_start().as_bytes().first() {
        Some(b'{') => {}
        Some(b'[') => {
            return Err(invalid(
                "JSON-RPC batches (arrays) are not supported".into(),
            ));
        }
        None => return Err(invalid("empty frame".into())),
        Some(_) => {
            return Err(invalid(
                match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                    Ok(_) => "not a JSON object".into(),
                    Err(e) => format!("invalid JSON: {e}"),
                },
            ));
        }
    }
    let env: Envelope =
        serde_json::from_str(text).map_err(|e| invalid(format!("invalid JSON: {e}")))?;

    let mut notes = Vec::new();
    match env.jsonrpc {
        Some(Some(v)) if v.get() == "\"2.0\"" => {}
        None => notes.push("missing \"jsonrpc\":\"2.0\"".to_string()),
        Some(v) => notes.push(format!(
            "\"jsonrpc\" is {}, expected \"2.0\"",
            v.map_or("null", |v| v.get())
        )),
    }
    let id_was_null = matches!(env.id, Some(None));
    let id = parse_id(env.id).map_err(|e| invalid(e.to_string()))?;
    if matches!(id, Some(Id::Str(_))) {
        notes.push("string id".to_string());
    }
    let with_id = |reason: String| Invalid {
        reason,
        id: id.clone(),
    };

    if let Some(method) = env.method {
        let method = match method.map(|m| serde_json::from_str::<Value>(m.get())) {
            Some(Ok(Value::String(m))) => m,
            _ => return Err(with_id("\"method\" must be a string".into())),
        };
        let params = match env.params {
            None | Some(None) => None,
            Some(Some(raw)) => Some(to_value(raw, "params").map_err(|e| with_id(e.to_string()))?),
        };
        let message = match id {
            Some(id) => Message::Request { id, method, params },
            None => {
                if id_was_null {
                    notes.push("\"id\": null, treated as a notification".into());
                }
                Message::Notification { method, params }
            }
        };
        return Ok(Incoming { message, notes });
    }

    let body = match (env.result, env.error) {
        (result, Some(Some(err))) => {
            if result.is_some() {
                notes.push("both \"result\" and \"error\": the error wins".into());
            }
            match to_value(err, "error")
                .and_then(|v| serde_json::from_value::<RpcError>(v).map_err(PartError::ErrorObject))
            {
                Ok(e) => ResponseBody::Error(e),
                Err(reason) => ResponseBody::Invalid(reason.to_string()),
            }
        }
        (Some(raw), _) => match result(raw, text) {
            Ok(v) => ResponseBody::Result(v),
            Err(reason) => ResponseBody::Invalid(reason.to_string()),
        },
        (None, Some(None)) => {
            ResponseBody::Invalid("\"error\" is null and there is no \"result\"".into())
        }
        (None, None) if id.is_some() => {
            ResponseBody::Invalid("response has neither \"result\" nor \"error\"".into())
        }
        (None, None) => {
            return Err(invalid(
                "not a JSON-RPC message: no \"method\", \"result\" or \"error\"".into(),
            ));
        }
    };
    Ok(Incoming {
        message: Message::Response { id, body },
        notes,
    })
}

#[derive(Serialize)]
struct OutRequest<'a> {
    jsonrpc: &'static str,
    id: u64,
    method: &'a str,
    params: &'a Value,
}

#[derive(Serialize)]
struct OutResult<'a> {
    jsonrpc: &'static str,
    id: &'a Id,
    result: &'a Value,
}

#[derive(Serialize)]
struct OutError<'a> {
    jsonrpc: &'static str,
    id: Option<&'a Id>,
    error: &'a RpcError,
}

fn to_bytes<T: Serialize>(msg: &T) -> Bytes {
    // Serialising our own structs of Values cannot fail (no non-string map keys).
    Bytes::from(serde_json::to_vec(msg).expect("serialise JSON-RPC message"))
}

/// A request we send: always `"jsonrpc":"2.0"`, integer id, params present.
pub fn request_bytes(id: u64, method: &str, params: &Value) -> Bytes {
    to_bytes(&OutRequest {
        jsonrpc: "2.0",
        id,
        method,
        params,
    })
}

/// A success answer to `id`.
pub fn result_bytes(id: &Id, result: &Value) -> Bytes {
    to_bytes(&OutResult {
        jsonrpc: "2.0",
        id,
        result,
    })
}

/// An error answer; `id` is `null` when the request's id could not be read.
pub fn error_bytes(id: Option<&Id>, error: &RpcError) -> Bytes {
    to_bytes(&OutError {
        jsonrpc: "2.0",
        id,
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(text: &str) -> Incoming {
        parse(text.as_bytes()).unwrap()
    }

    fn err(text: &[u8]) -> Invalid {
        parse(text).unwrap_err()
    }

    #[test]
    fn request_without_params_is_accepted() {
        let m = ok(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#);
        assert_eq!(
            m.message,
            Message::Request {
                id: Id::Num(1),
                method: "ping".into(),
                params: None
            }
        );
        assert!(m.notes.is_empty());
    }

    #[test]
    fn string_ids_and_missing_version_are_noted() {
        let m = ok(r#"{"id":"7","result":{"ok":true}}"#);
        match &m.message {
            Message::Response {
                id: Some(id),
                body: ResponseBody::Result(v),
            } => {
                assert_eq!(id.as_u64(), Some(7));
                assert_eq!(v, &json!({"ok": true}));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(m.notes, vec!["missing \"jsonrpc\":\"2.0\"", "string id"]);
    }

    #[test]
    fn error_wins_over_result() {
        let m =
            ok(r#"{"jsonrpc":"2.0","id":2,"result":1,"error":{"code":-32000,"message":"busy"}}"#);
        assert!(
            matches!(m.message, Message::Response { body: ResponseBody::Error(ref e), .. } if e.code == -32000)
        );
        assert_eq!(
            m.notes,
            vec!["both \"result\" and \"error\": the error wins"]
        );
    }

    #[test]
    fn null_result_is_a_result() {
        let m = ok(r#"{"jsonrpc":"2.0","id":3,"result":null}"#);
        assert!(matches!(
            m.message,
            Message::Response {
                body: ResponseBody::Result(Value::Null),
                ..
            }
        ));
    }

    #[test]
    fn bad_frames_say_why() {
        assert!(err(b"\xff\xfe").reason.contains("UTF-8"));
        assert!(err(b"{not json").reason.starts_with("invalid JSON"));
        assert_eq!(err(b"42").reason, "not a JSON object");
        assert!(err(b"[1]").reason.contains("batches"));
        assert!(
            err(br#"{"jsonrpc":"2.0"}"#)
                .reason
                .starts_with("not a JSON-RPC message")
        );
        assert!(
            err(br#"{"id":1.5,"result":1}"#)
                .reason
                .contains("id must be")
        );
        assert!(err(br#"{"id":1,"method":7}"#).reason.contains("method"));
    }

    #[test]
    fn answer_without_body_keeps_its_id() {
        let m = ok(r#"{"jsonrpc":"2.0","id":4}"#);
        assert!(matches!(
            m.message,
            Message::Response {
                id: Some(Id::Num(4)),
                body: ResponseBody::Invalid(_)
            }
        ));
    }

    #[test]
    fn very_deep_result_is_invalid_but_paired() {
        let depth = 100_000;
        let text = format!(
            r#"{{"jsonrpc":"2.0","id":5,"result":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        match ok(&text).message {
            Message::Response {
                id: Some(Id::Num(5)),
                body: ResponseBody::Invalid(reason),
            } => {
                assert!(reason.contains("100000 levels"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let text = format!(
            r#"{{"jsonrpc":"2.0","id":6,"method":"x","params":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let e = err(text.as_bytes());
        assert_eq!(e.id, Some(Id::Num(6)));
    }

    #[test]
    fn raw_results_point_into_their_frame() {
        let frame = Bytes::from_static(br#"{"jsonrpc":"2.0","id":9,"result": {"a":[1,2]} }"#);
        match parse_raw(&frame).unwrap().message {
            Message::Response {
                id: Some(Id::Num(9)),
                body: ResponseBody::Result(raw),
            } => {
                assert_eq!(raw.get(), r#"{"a":[1,2]}"#);
                assert_eq!(raw.parse().unwrap(), json!({"a": [1, 2]}));
                assert_eq!(raw.frame(), &frame, "shares the frame, no copy");
            }
            other => panic!("{other:?}"),
        }
        let null = Bytes::from_static(br#"{"jsonrpc":"2.0","id":1,"result":null}"#);
        assert!(matches!(
            parse_raw(&null).unwrap().message,
            Message::Response { body: ResponseBody::Result(ref r), .. } if r.get() == "null"
        ));
        // Raw and parsed agree on everything else, errors and bad frames included.
        for text in [
            &br#"{"jsonrpc":"2.0","id":2,"error":{"code":-1,"message":"no"}}"#[..],
            br#"{"id":3}"#,
            br#"{"jsonrpc":"2.0","id":4,"result":[1,}"#,
            b"\xff",
        ] {
            let raw = parse_raw(&Bytes::copy_from_slice(text));
            let parsed = parse(text);
            assert_eq!(raw.is_ok(), parsed.is_ok(), "{text:?}");
            if let (Ok(r), Ok(p)) = (raw, parsed) {
                assert_eq!(format!("{:?}", r.notes), format!("{:?}", p.notes));
            }
        }
    }

    #[test]
    fn a_deep_raw_result_is_refused_by_a_scan() {
        let depth = 300_000;
        let text = format!(
            r#"{{"jsonrpc":"2.0","id":5,"result":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        match parse_raw(&Bytes::from(text)).unwrap().message {
            Message::Response {
                body: ResponseBody::Invalid(reason),
                ..
            } => assert!(reason.contains("300000 levels"), "{reason}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn depth_scan_ignores_brackets_in_strings() {
        assert_eq!(json_depth(r#"{"a":"[[[{{\"]]"}"#), 1);
        assert_eq!(json_depth(r#"[[1],[[2]]]"#), 3);
        assert_eq!(json_depth("1"), 0);
    }

    #[test]
    fn outgoing_messages_are_strict() {
        let req: Value = serde_json::from_slice(&request_bytes(3, "ping", &json!({}))).unwrap();
        assert_eq!(
            req,
            json!({"jsonrpc":"2.0","id":3,"method":"ping","params":{}})
        );
        let e = RpcError {
            code: PARSE_ERROR,
            message: "Parse error".into(),
            data: None,
        };
        let v: Value = serde_json::from_slice(&error_bytes(None, &e)).unwrap();
        assert_eq!(
            v,
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})
        );
    }
}
