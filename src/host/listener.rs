//! Binding the Unix socket (and optional TCP port) the way a host should: create the
//! directory, clear a stale socket, refuse to steal a live one, restrict its mode, and unlink
//! it on exit.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::{TcpListener, UnixListener};

/// Why the host could not start listening.
///
/// The OS error is part of each message and deliberately not the error's `source()`: a caller
/// printing the chain (anyhow's `{:#}`) would otherwise show it twice.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot create the socket directory {}: {error}\n  hint: {}", dir.display(), dir_hint(dir, error))]
    SocketDir { dir: PathBuf, error: std::io::Error },
    #[error("another host is already listening on {0}; stop it first, or use --socket PATH")]
    AlreadyRunning(PathBuf),
    #[error("{0} exists and is not a socket; refusing to replace it")]
    NotASocket(PathBuf),
    #[error("cannot listen on {}: {error}{}", path.display(), bind_hint(path, error))]
    SocketBind {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("cannot listen on {addr}: {error}")]
    Bind { addr: String, error: std::io::Error },
}

/// What to do when the socket's directory cannot be created.
fn dir_hint(dir: &Path, error: &std::io::Error) -> String {
    use std::io::ErrorKind::{AlreadyExists, NotADirectory};
    if matches!(error.kind(), AlreadyExists | NotADirectory) {
        return format!(
            "a part of {} is a file, not a directory; {}",
            dir.display(),
            OTHER_PATH
        );
    }
    format!(
        "{OTHER_PATH}{}",
        make_it_yours(dir, "sudo mkdir -p {dir} && sudo chown $USER {dir}")
    )
}

/// What to do when the socket file cannot be created in an existing directory.
fn bind_hint(path: &Path, error: &std::io::Error) -> String {
    if error.kind() != std::io::ErrorKind::PermissionDenied {
        return String::new();
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    format!(
        "\n  hint: you cannot write to {}; {OTHER_PATH}{}",
        dir.display(),
        make_it_yours(dir, "sudo chown $USER {dir}")
    )
}

const OTHER_PATH: &str =
    "use another path: --socket /tmp/tgo.sock (or set TGO_SOCKET_PATH, which plugins dial too)";

/// The lasting way to own `dir`: `command` now, and a tmpfiles.d line when `dir` is on the
/// /run tmpfs, which is emptied at every boot.
fn make_it_yours(dir: &Path, command: &str) -> String {
    let shown = dir.display().to_string();
    let mut text = format!(
        "\n    or make it yours: {}",
        command.replace("{dir}", &shown)
    );
    let run = shown
        .strip_prefix("/var/run/")
        .or_else(|| shown.strip_prefix("/run/"));
    if let Some(rest) = run {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        let user = std::env::var("USER").unwrap_or_else(|_| uid.to_string());
        text.push_str(&format!(
            "\n    and keep it across reboots (/run is emptied at boot): \
             echo 'd /run/{rest} 0755 {user} {user} -' | sudo tee /etc/tmpfiles.d/tgo.conf"
        ));
    }
    text
}

/// The socket file we created; removed on drop if it is still ours (same inode).
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    ino: u64,
}

impl SocketFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.ino) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Binds `path`, replacing a stale socket file but never a live host's.
pub fn bind_unix(path: &Path, mode: u32) -> Result<(UnixListener, SocketFile), ListenError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|error| ListenError::SocketDir {
            dir: dir.to_path_buf(),
            error,
        })?;
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(ListenError::NotASocket(path.to_path_buf()));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(ListenError::AlreadyRunning(path.to_path_buf()));
        }
        tracing::info!(path = %path.display(), "removing stale socket file");
        let _ = std::fs::remove_file(path);
    }
    let bind_err = |error| ListenError::SocketBind {
        path: path.to_path_buf(),
        error,
    };
    let listener = UnixListener::bind(path).map_err(bind_err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(bind_err)?;
    let ino = std::fs::symlink_metadata(path).map_err(bind_err)?.ino();
    Ok((
        listener,
        SocketFile {
            path: path.to_path_buf(),
            ino,
        },
    ))
}

/// Binds a TCP address such as `127.0.0.1:8005` (port 0 picks a free port).
pub async fn bind_tcp(addr: &str) -> Result<TcpListener, ListenError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| ListenError::Bind {
            addr: addr.to_string(),
            error,
        })
}

/// Whether a TCP address (`ip:port` or `name:port`) can be reached from other machines: it
/// resolves to anything but loopback (`0.0.0.0` is every interface).
pub fn reachable_from_network(addr: &str) -> bool {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()
        .is_ok_and(|mut all| all.any(|a| !a.ip().is_loopback()))
}

/// Whether a bound address (`ip:port`, as [`super::HostHandle::addresses`] lists) is TCP that
/// other machines can reach. Parses only: no lookup.
pub fn bound_exposed(bound: &str) -> bool {
    bound
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| !a.ip().is_loopback())
}

/// What to say about such an address.
pub fn tcp_warning(addr: &str) -> String {
    format!(
        "TCP {addr} can be reached from other machines and has no authentication: anyone who can reach it can register as a plugin and read what the host sends"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn the_run_tmpfs_gets_a_lasting_tmpfiles_line() {
        let denied = |path: &str| ListenError::SocketBind {
            path: path.into(),
            error: Error::from(ErrorKind::PermissionDenied),
        };
        let text = denied("/var/run/tgo/tgo.sock").to_string();
        assert!(text.contains("sudo chown $USER /var/run/tgo"), "{text}");
        assert!(text.contains("echo 'd /run/tgo 0755 "), "{text}");
        assert!(text.contains("/etc/tmpfiles.d/tgo.conf"), "{text}");
        let text = denied("/home/me/tgo.sock").to_string();
        assert!(!text.contains("tmpfiles"), "{text}");
        // Other bind errors have nothing to add.
        let other = ListenError::SocketBind {
            path: "/tmp/x.sock".into(),
            error: Error::from(ErrorKind::AddrInUse),
        };
        assert!(!other.to_string().contains("hint"), "{other}");
    }

    #[test]
    fn loopback_is_not_exposed_and_every_interface_is() {
        assert!(reachable_from_network("0.0.0.0:8005"));
        assert!(reachable_from_network("[::]:8005"));
        assert!(!reachable_from_network("127.0.0.1:8005"));
        assert!(!reachable_from_network("[::1]:8005"));
        assert!(bound_exposed("0.0.0.0:41234"));
        assert!(!bound_exposed("127.0.0.1:41234"));
        assert!(!bound_exposed("/tmp/tgo.sock"));
    }
}
