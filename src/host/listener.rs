//! Binding the Unix socket (and optional TCP port) the way a host should: create the
//! directory, clear a stale socket, refuse to steal a live one, restrict its mode, and unlink
//! it on exit.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use tokio::net::{TcpListener, UnixListener};

/// Why the host could not start listening.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error(
        "cannot create the socket directory {dir}: {source}\n  hint: pick another path with --socket PATH (or TGO_SOCKET_PATH), or run: sudo mkdir -p {dir} && sudo chown $USER {dir}"
    )]
    SocketDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("another host is already listening on {0}; stop it first, or use --socket PATH")]
    AlreadyRunning(PathBuf),
    #[error("{0} exists and is not a socket; refusing to replace it")]
    NotASocket(PathBuf),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
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
        std::fs::create_dir_all(dir).map_err(|source| ListenError::SocketDir {
            dir: dir.to_path_buf(),
            source,
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
    let bind_err = |source| ListenError::Bind {
        addr: path.display().to_string(),
        source,
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
        .map_err(|source| ListenError::Bind {
            addr: addr.to_string(),
            source,
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
