//! `tgo-console proxy`: the host in proxy mode (see [`crate::host::upstream`]) without a
//! terminal UI. Plugins dial it, it registers them with the real TGO host, and every frame
//! both ways is printed as one line on stdout as it passes (like mitmdump), and recorded with
//! `--record`.

use crate::host::{
    self, Direction, EntryKind, HostConfig, HostHandle, LogEntry, MessageLog, Party,
};
use crate::text::{bytes, clock, sanitize_line};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::host::upstream::{AddrError, CONSOLE_ID_BASE, UpstreamAddr, UpstreamConfig};

/// How `proxy` prints frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// One readable line per frame or event.
    Text,
    /// One recording line (the `--record` format) per frame or event.
    Json,
}

/// What `proxy` runs with.
pub struct ProxyOptions {
    /// The host's settings; `upstream` must be set.
    pub host: HostConfig,
    pub record: Option<PathBuf>,
    pub force: bool,
    pub format: LineFormat,
}

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(
        "the proxy would listen on the upstream's own socket {0}; give it another: --socket /tmp/tgo-proxy.sock"
    )]
    SameSocket(PathBuf),
    #[error(transparent)]
    Listen(#[from] host::ListenError),
    #[error("cannot record to {path}: {error}")]
    Record {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
}

/// Runs the proxy until `stop` resolves (Ctrl-C or SIGTERM for the command), printing every
/// frame to `out`. Returns how many lines were printed.
pub async fn run(
    opts: ProxyOptions,
    out: impl Write + Send + 'static,
    stop: impl std::future::Future<Output = ()>,
) -> Result<u64, ProxyError> {
    check_sockets(&opts.host)?;
    let (handle, mut events) = host::start(opts.host).await?;
    // Lifecycle news is in the log too; the channel only has to be drained.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let recorder = match &opts.record {
        Some(path) => {
            let file = crate::record::create_private(path, opts.force).map_err(|error| {
                ProxyError::Record {
                    path: path.clone(),
                    error,
                }
            })?;
            Some(crate::record::Recorder::start_file(handle.clone(), file))
        }
        None => None,
    };
    let printed = print_until(&handle, out, opts.format, stop).await;
    handle.close("the proxy stopped");
    if let Some(r) = recorder {
        let _ = r.finish().await;
    }
    printed.map_err(ProxyError::Stdout)
}

/// Refuses a proxy that would listen on its upstream's own socket (the default socket path is
/// the real host's on a TGO machine).
pub fn check_sockets(host: &HostConfig) -> Result<(), ProxyError> {
    if let (Some(up), Some(socket)) = (&host.upstream, &host.socket)
        && let UpstreamAddr::Unix(path) = &up.addr
        && same_file(path, socket)
    {
        return Err(ProxyError::SameSocket(socket.clone()));
    }
    Ok(())
}

/// Whether two socket paths name the same place (as written, or once resolved).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Prints the log's new entries as they come, until `stop`; then what is left. Lines are
/// made and written on a blocking thread, one batch at a time: a slow terminal or pipe holds
/// neither the relaying nor the runtime (the proxy runs on one thread).
async fn print_until(
    handle: &HostHandle,
    out: impl Write + Send + 'static,
    format: LineFormat,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::new(out);
    let mut updates = handle.log_updates();
    let mut last = 0u64;
    let mut printed = 0u64;
    tokio::pin!(stop);
    loop {
        let finishing = tokio::select! {
            _ = &mut stop => true,
            changed = updates.changed() => changed.is_err(),
        };
        let h = handle.clone();
        let (back, written) = tokio::task::spawn_blocking(move || {
            let lines = fresh_lines(&h, &mut last, format);
            let written = (|| {
                for l in &lines {
                    writeln!(out, "{l}")?;
                }
                out.flush()?;
                Ok::<_, std::io::Error>(lines.len() as u64)
            })();
            (out, written.map(|n| (n, last)))
        })
        .await
        .map_err(std::io::Error::other)?;
        out = back;
        let (n, upto) = written?;
        last = upto;
        printed += n;
        if finishing {
            return Ok(printed);
        }
    }
}

/// The lines of the entries after `last` (moved on to the newest), a gap line first when the
/// log's budget evicted some before they were printed.
fn fresh_lines(handle: &HostHandle, last: &mut u64, format: LineFormat) -> Vec<String> {
    let log = handle.log();
    // From the first entry not printed yet: a long log costs nothing per batch.
    let first = log.entries().front().map_or(0, |e| e.seq);
    let from = usize::try_from((*last + 1).saturating_sub(first))
        .unwrap_or(usize::MAX)
        .min(log.len());
    let gap = (*last > 0 && first > *last + 1).then(|| first - *last - 1);
    let fresh: Vec<&LogEntry> = log.entries().range(from..).collect();
    if let Some(e) = fresh.last() {
        *last = e.seq;
    }
    let gap = gap.map(|n| match format {
        LineFormat::Text => format!("… {n} entries evicted before they were printed"),
        LineFormat::Json => {
            format!("{{\"gap\":{n},\"note\":\"entries evicted before they were recorded\"}}")
        }
    });
    gap.into_iter()
        .chain(fresh.into_iter().map(|e| match format {
            LineFormat::Text => line(e, &log),
            LineFormat::Json => crate::record::json_line(e),
        }))
        .collect()
}

/// Which way a frame went, as the proxy sees it.
fn direction(e: &LogEntry) -> &'static str {
    match (e.party, e.dir) {
        (Party::Upstream, Direction::In) => "host→proxy",
        (Party::Upstream, Direction::Out) => "proxy→host",
        (Party::Plugin, Direction::In) => "plugin→proxy",
        (Party::Plugin, Direction::Out) => "proxy→plugin",
        (_, Direction::Local) => "",
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The latencies an answer carries. One that arrived shows its sender's time (`plugin` or
/// `host`); one the proxy sent on shows the total since the request reached the proxy, split
/// into the other side's time and the proxy's own overhead.
pub fn latencies(e: &LogEntry, log: &MessageLog) -> Option<String> {
    let latency = e.latency?;
    if !matches!(e.kind, EntryKind::Result { .. } | EntryKind::Error { .. }) {
        return None;
    }
    let sender = |party| match party {
        Party::Plugin => "plugin",
        Party::Upstream => "host",
    };
    match e.dir {
        Direction::In => Some(format!("{} {}", sender(e.party), ms(latency))),
        _ => {
            let answered = e.via.and_then(|v| log.get(v));
            Some(match answered.and_then(|a| Some((a.party, a.latency?))) {
                Some((party, p)) => format!(
                    "total {}, {} {}, proxy {}",
                    ms(latency),
                    sender(party),
                    ms(p),
                    ms(latency.saturating_sub(p))
                ),
                None => format!("total {}", ms(latency)),
            })
        }
    }
}

/// One entry as a line: time, party, direction, connection, plugin, what, size, latencies,
/// notes. Whatever a peer sent is made safe for a terminal first.
pub fn line(e: &LogEntry, log: &MessageLog) -> String {
    let mut s = format!("{} ", clock(e.at));
    if e.dir == Direction::Local {
        s.push_str(&format!("{:<12} {:<12}", "·", ""));
    } else {
        s.push_str(&format!("{:<12} {:<12}", e.party.tag(), direction(e)));
    }
    s.push_str(&format!(" #{}", e.conn));
    if let Some(p) = &e.plugin {
        s.push(' ');
        s.push_str(&sanitize_line(p));
    }
    s.push(' ');
    s.push_str(&match &e.kind {
        EntryKind::Request { id, method } => format!("request {} id={id}", sanitize_line(method)),
        EntryKind::Notification { method } => format!("notification {}", sanitize_line(method)),
        EntryKind::Result { id } => match id {
            Some(id) => format!("result id={id}"),
            None => "result".into(),
        },
        EntryKind::Error { id, code, message } => {
            let id = id.as_ref().map(|i| format!(" id={i}")).unwrap_or_default();
            format!("error {code} {}{id}", sanitize_line(message))
        }
        EntryKind::Invalid { reason } => format!("invalid: {}", sanitize_line(reason)),
        EntryKind::Event { text } => sanitize_line(text),
        EntryKind::Output { stream, text } => {
            format!("{}: {}", sanitize_line(stream), sanitize_line(text))
        }
    });
    if !e.raw.is_empty() {
        s.push_str(&format!(" ({})", bytes(e.raw.len())));
    }
    if let Some(l) = latencies(e, log) {
        s.push_str(&format!(" [{l}]"));
    }
    if !e.notes.is_empty() {
        let notes: Vec<String> = e.notes.iter().map(|n| sanitize_line(n)).collect();
        s.push_str(&format!(" — {}", notes.join("; ")));
    }
    if e.problem {
        s.push_str(" !");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Id;
    use bytes::Bytes;

    fn at_noon(mut e: LogEntry) -> LogEntry {
        e.at = std::time::UNIX_EPOCH + Duration::from_secs(12 * 3600);
        e
    }

    #[test]
    fn lines_name_the_leg_and_split_a_relayed_answer() {
        let mut log = MessageLog::new(1 << 20);
        let plugin = Some("com.tgo.demo".to_string());
        let result = || EntryKind::Result {
            id: Some(Id::Num(3)),
        };
        let raw = Bytes::from_static(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#);
        let mut from_plugin = at_noon(LogEntry::new(
            Direction::In,
            1,
            plugin.clone(),
            raw.clone(),
            result(),
        ));
        from_plugin.latency = Some(Duration::from_micros(2_500));
        let copy = log.push(from_plugin);
        let mut back = at_noon(LogEntry::new(Direction::Out, 1, plugin, raw, result())).upstream();
        back.via = Some(copy);
        back.latency = Some(Duration::from_micros(2_600));
        let back = log.push(back);
        let e = log.get(back).unwrap();
        assert_eq!(
            line(e, &log),
            "12:00:00.000 host↔proxy   proxy→host   #1 com.tgo.demo result id=3 (36 B) \
             [total 2.60 ms, plugin 2.50 ms, proxy 0.10 ms]"
        );
        // What a plugin names itself cannot reach the terminal as escape sequences.
        let evil = at_noon(LogEntry::new(
            Direction::In,
            2,
            Some("x\u{1b}[2Jy".into()),
            Bytes::from_static(b"{}"),
            EntryKind::Notification {
                method: "log\u{1b}]0;pwned\u{7}".into(),
            },
        ));
        let seq = log.push(evil);
        let text = line(log.get(seq).unwrap(), &log);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("proxy↔plugin plugin→proxy"), "{text}");
    }
}
