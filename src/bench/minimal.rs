//! The two ends `bench --baseline` needs besides the host itself.
//!
//! - [`near_free_plugin`] (`tgo-console bench-plugin`): a plugin that costs almost nothing. It
//!   registers one visitor panel, then answers every request from one pre-serialised ~3 KB
//!   JSON-UI answer with the request's id patched in, on one thread with blocking, buffered
//!   I/O (it flushes only when no more requests are waiting, so answers to a burst go out in
//!   one write). Whatever a bench of it measures is the host's cost, not the plugin's.
//! - [`minimal_host`]: the least a host can do for the same load, as a reference measured in
//!   the same run: blocking reads, `serde_json::from_slice::<Value>` of each answer, nothing
//!   else (no log, no pairing beyond an id lookup, no tasks). It launches the same plugin the
//!   same way, answers its `register`, keeps `concurrency` requests in flight and times each.

use super::{Percentiles, per_second};
use crate::launcher::{ChildPlugin, LaunchSpec};
use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The id the near-free plugin registers.
pub const NEAR_FREE_ID: &str = "com.tgo.bench";

/// Largest frame either end here accepts (the plugin answers are small; a host's answer to
/// `register` is tiny): a corrupt length must not make us allocate gigabytes.
const MAX_FRAME: usize = 64 * 1024 * 1024;

/// Reads one frame into `buf` (cleared first); `Ok(false)` at a clean end of stream.
fn read_frame(rd: &mut impl Read, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let mut len = [0u8; 4];
    match rd.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(std::io::Error::other(format!(
            "frame of {len} bytes, over {MAX_FRAME}"
        )));
    }
    buf.clear();
    buf.resize(len, 0);
    rd.read_exact(buf)?;
    Ok(true)
}

/// The decimal digits of `n`, written into `buf` (no allocation per frame).
fn digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// Writes `prefix id suffix` as one frame.
fn write_spliced(
    wr: &mut impl Write,
    prefix: &[u8],
    id: u64,
    suffix: &[u8],
) -> std::io::Result<()> {
    let mut buf = [0u8; 20];
    let id = digits(id, &mut buf);
    let len = u32::try_from(prefix.len() + id.len() + suffix.len())
        .map_err(|_| std::io::Error::other("frame over 4 GiB"))?;
    wr.write_all(&len.to_be_bytes())?;
    wr.write_all(prefix)?;
    wr.write_all(id)?;
    wr.write_all(suffix)
}

/// The part of a request the near-free plugin reads: serde skips the params without
/// building anything.
#[derive(Deserialize)]
struct RequestHead<'a> {
    id: Option<u64>,
    #[serde(borrow)]
    method: Option<&'a str>,
}

/// The answer the near-free plugin sends to every request: the demo's "Customer 360" panel
/// for a fixed visitor (a real JSON-UI, ~3 KB serialised).
pub fn near_free_answer() -> Vec<u8> {
    let params = serde_json::json!({"visitor_id": "v_12345", "visitor": {
        "name": "Mia Chen", "email": "mia.chen@example.com"}});
    serde_json::to_vec(&crate::demo_plugin::customer_360(&params)).unwrap_or_default()
}

/// Runs the near-free plugin until the host says `shutdown` or hangs up.
pub fn near_free_plugin(socket: &Path) -> anyhow::Result<()> {
    let stream = UnixStream::connect(socket)
        .with_context(|| format!("cannot connect to the host at {}", socket.display()))?;
    let mut rd = BufReader::with_capacity(64 * 1024, stream.try_clone()?);
    let mut wr = BufWriter::with_capacity(64 * 1024, stream);
    let register = serde_json::to_vec(&serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "register", "params": {
            "id": NEAR_FREE_ID, "name": "bench", "version": env!("CARGO_PKG_VERSION"),
            "description": "Answers every request at once with the same pre-serialised panel",
            "capabilities": [{"type": "visitor_panel", "title": "Bench", "priority": 1}]
        }
    }))?;
    wr.write_all(&(register.len() as u32).to_be_bytes())?;
    wr.write_all(&register)?;
    wr.flush()?;
    let mut frame = Vec::new();
    if !read_frame(&mut rd, &mut frame)? {
        bail!("the host closed the connection before answering register");
    }
    let answer = near_free_answer();
    let prefix = br#"{"jsonrpc":"2.0","id":"#;
    let mut suffix = br#","result":"#.to_vec();
    suffix.extend_from_slice(&answer);
    suffix.push(b'}');
    let done_suffix = br#","result":{"success":true}}"#;
    loop {
        if !read_frame(&mut rd, &mut frame)? {
            wr.flush()?;
            return Ok(());
        }
        let head: RequestHead = serde_json::from_slice(&frame).context("unreadable request")?;
        let Some(id) = head.id else { continue };
        if head.method == Some("shutdown") {
            write_spliced(&mut wr, prefix, id, done_suffix)?;
            wr.flush()?;
            return Ok(());
        }
        write_spliced(&mut wr, prefix, id, &suffix)?;
        // Answers to requests already read go out together, in one write.
        if rd.buffer().is_empty() {
            wr.flush()?;
        }
    }
}

/// What [`minimal_host`] measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MinimalReport {
    pub requests: u64,
    pub concurrency: usize,
    #[serde(rename = "elapsed_s", serialize_with = "super::secs")]
    pub elapsed: Duration,
    pub throughput_per_s: f64,
    pub latency_us: Percentiles,
    /// Size of one answer's frame payload.
    pub answer_bytes: usize,
}

impl MinimalReport {
    pub fn to_text(&self) -> String {
        format!(
            "minimal host (blocking reads, serde_json::from_slice::<Value> of each answer, nothing else):\n  {} requests in {:.2} s at concurrency {} = {}/s\n  latency µs: {}\n",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.concurrency,
            super::group_digits(self.throughput_per_s.round() as u64),
            self.latency_us.to_text()
        )
    }
}

/// How long the plugin has to connect and register to the minimal host.
const CONNECT_WAIT: Duration = Duration::from_secs(30);

/// Runs the reference host on `socket`: launches `spec` (with `TGO_SOCKET_PATH` set), answers
/// its `register`, then sends `requests` × `method(params)` with `concurrency` in flight, each
/// answer read by a blocking read and parsed into a `Value`. Ends with `shutdown`.
pub async fn minimal_host(
    socket: PathBuf,
    spec: &LaunchSpec,
    requests: u64,
    concurrency: usize,
    method: &str,
    params: &Value,
    grace: Duration,
) -> anyhow::Result<MinimalReport> {
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)
        .with_context(|| format!("minimal host: cannot listen on {}", socket.display()))?;
    let mut spec = spec.clone();
    spec.env
        .push(("TGO_SOCKET_PATH".into(), socket.display().to_string()));
    let mut child = ChildPlugin::spawn(&spec)
        .with_context(|| format!("minimal host: cannot start `{}`", spec.display()))?;
    let req = crate::protocol::jsonrpc::request_bytes(0, method, params);
    let run = tokio::task::spawn_blocking({
        let socket = socket.clone();
        move || {
            let out = drive(&listener, &req, requests, concurrency.max(1));
            drop(listener);
            let _ = std::fs::remove_file(&socket);
            out
        }
    })
    .await
    .context("the minimal host's thread failed")?;
    child.stop(grace).await;
    run
}

/// Waits for the plugin to dial in (the listener is polled so a plugin that never comes
/// cannot hang us).
fn accept(listener: &UnixListener) -> anyhow::Result<UnixStream> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + CONNECT_WAIT;
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    bail!("minimal host: no plugin connected within {CONNECT_WAIT:?}");
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn drive(
    listener: &UnixListener,
    request: &[u8],
    requests: u64,
    concurrency: usize,
) -> anyhow::Result<MinimalReport> {
    let stream = accept(listener)?;
    stream.set_read_timeout(Some(CONNECT_WAIT))?;
    let mut rd = BufReader::with_capacity(64 * 1024, stream.try_clone()?);
    let mut wr = stream;
    let mut frame = Vec::new();
    if !read_frame(&mut rd, &mut frame)? {
        bail!("minimal host: the plugin closed before registering");
    }
    let register: Value = serde_json::from_slice(&frame).context("minimal host: register")?;
    let reg_id = register.get("id").cloned().unwrap_or(Value::Null);
    let ok = serde_json::to_vec(&serde_json::json!({"jsonrpc": "2.0", "id": reg_id,
        "result": {"success": true, "plugin_id": "minimal", "host_version": "minimal"}}))?;
    let mut out = Vec::with_capacity(ok.len() + 4);
    out.extend_from_slice(&(ok.len() as u32).to_be_bytes());
    out.extend_from_slice(&ok);
    wr.write_all(&out)?;

    // `{"jsonrpc":"2.0","id":0,…}`: the id is spliced in for every request.
    let text = std::str::from_utf8(request)?;
    let at = text
        .find(r#""id":0"#)
        .ok_or_else(|| anyhow!("minimal host: cannot find the id in the request"))?
        + 5;
    let (prefix, suffix) = (&request[..at], &request[at + 1..]);
    let mut one = Vec::with_capacity(request.len() + 24);
    let mut send = |wr: &mut UnixStream, id: u64| -> std::io::Result<()> {
        one.clear();
        write_spliced(&mut one, prefix, id, suffix)?;
        wr.write_all(&one)
    };

    let slots = concurrency.next_power_of_two();
    let mut sent_at = vec![Instant::now(); slots];
    let mut samples: Vec<u32> = Vec::with_capacity(usize::try_from(requests).unwrap_or(0));
    let started = Instant::now();
    let mut next = 1u64;
    while next <= requests.min(concurrency as u64) {
        sent_at[(next as usize) & (slots - 1)] = Instant::now();
        send(&mut wr, next)?;
        next += 1;
    }
    let mut answer_bytes = 0;
    while (samples.len() as u64) < requests {
        if !read_frame(&mut rd, &mut frame)? {
            bail!(
                "minimal host: the plugin closed after {} answers",
                samples.len()
            );
        }
        let v: Value = serde_json::from_slice(&frame).context("minimal host: an answer")?;
        let id = v
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| anyhow!("minimal host: an answer without an integer id"))?;
        // Ids in flight are the last `concurrency` ones: a slot each, no map.
        let at = sent_at[(id as usize) & (slots - 1)];
        samples.push(u32::try_from(at.elapsed().as_micros()).unwrap_or(u32::MAX));
        answer_bytes = frame.len();
        drop(v);
        if next <= requests {
            sent_at[(next as usize) & (slots - 1)] = Instant::now();
            send(&mut wr, next)?;
            next += 1;
        }
    }
    let elapsed = started.elapsed();
    // Ask it to leave; whether it answers does not matter any more.
    let shutdown =
        crate::protocol::jsonrpc::request_bytes(next, "shutdown", &serde_json::json!({}));
    let mut out = Vec::with_capacity(shutdown.len() + 4);
    out.extend_from_slice(&(shutdown.len() as u32).to_be_bytes());
    out.extend_from_slice(&shutdown);
    let _ = wr.write_all(&out);
    let _ = rd.fill_buf();
    Ok(MinimalReport {
        requests,
        concurrency,
        elapsed,
        throughput_per_s: per_second(requests, elapsed),
        latency_us: Percentiles::from_samples(&mut samples),
        answer_bytes,
    })
}
