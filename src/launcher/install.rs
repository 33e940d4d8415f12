//! Installing plugins as the TGO runtime does: from a git repository (its `source.github`, with
//! `ref` and `path`) or a release binary URL (its `source.binary`), into
//! `$XDG_DATA_HOME/tgo-console/plugins/<id>`, built from the manifest; listed and uninstalled.
//!
//! A git source is cloned (`git clone`, so any URL or path git accepts), `REF` checked out,
//! `SUBDIR` taken as the plugin's directory; the manifest's `id` names it. A binary URL (an
//! `http(s)://` URL that is not a git repository) is downloaded into a directory of its own,
//! with a `plugin.yml` written for it (`id` from `--id` or the file's name).

use super::manifest::{self, Manifest};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What `install` records beside the plugin (`.tgo-install.json`), for `list`.
const RECORD: &str = ".tgo-install.json";
/// Largest binary downloaded.
const MAX_BINARY_BYTES: u64 = 512 * 1024 * 1024;

/// Where installed plugins live: `$XDG_DATA_HOME/tgo-console/plugins` (or
/// `~/.local/share/…`).
pub fn plugins_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir)
        .join("tgo-console")
        .join("plugins")
}

/// The installed plugin `arg` names, when `arg` is a bare id (no such file here) and a plugin
/// of that id is installed.
pub fn installed_dir(arg: &Path) -> Option<PathBuf> {
    installed_in(&plugins_dir(), arg)
}

fn installed_in(root: &Path, arg: &Path) -> Option<PathBuf> {
    let name = arg.to_str()?;
    if arg.exists() || !is_plain_id(name) {
        return None;
    }
    let dir = root.join(name);
    dir.is_dir().then_some(dir)
}

/// An id usable as a directory name: no separators, not `.`/`..`, not hidden.
fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// How `install` was asked for.
#[derive(Clone, Debug, Default)]
pub struct InstallRequest {
    pub source: String,
    /// A branch, tag or commit (git sources).
    pub reference: Option<String>,
    /// The plugin's directory inside the repository (git sources).
    pub path: Option<String>,
    /// The id of a binary plugin (default: the URL's file name).
    pub id: Option<String>,
    /// Replace an installed plugin of the same id.
    pub force: bool,
}

/// Where an installed plugin came from (its `.tgo-install.json`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstallRecord {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// "git" or "binary".
    pub kind: String,
}

/// Why an install, uninstall or listing failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("'git' not found (needed to clone {0})")]
    NoGit(String),
    #[error("`{command}` failed: {output}")]
    Git { command: String, output: String },
    #[error("{0} is not in the repository")]
    NoSuchPath(String),
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error("{0}: the manifest has no `id`, which names the installed plugin")]
    NoId(PathBuf),
    #[error("{0:?} cannot name an installed plugin (letters, digits, '.', '-', '_' only)")]
    BadId(String),
    #[error("{id} is already installed in {dir} (uninstall it first, or give --force)")]
    Exists { id: String, dir: PathBuf },
    #[error("{0} is not installed")]
    NotInstalled(String),
    #[error(
        "{0}: a binary is downloaded over https only (plain http on this machine: 127.0.0.1, localhost, [::1])"
    )]
    Insecure(String),
    #[error("downloading {url}: {why}")]
    Download { url: String, why: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> InstallError + use<> {
    let path = path.to_path_buf();
    move |source| InstallError::Io { what, path, source }
}

/// A plugin fetched into place, not built yet.
#[derive(Debug)]
pub struct Fetched {
    pub id: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
}

/// Fetches `req` into [`plugins_dir`]`/<id>` (git clone and checkout, or download), reads its
/// manifest and records where it came from. The caller builds it.
pub fn fetch(req: &InstallRequest) -> Result<Fetched, InstallError> {
    let root = plugins_dir();
    std::fs::create_dir_all(&root).map_err(io("cannot create", &root))?;
    // Staged beside its final place (one filesystem: the move is a rename), gone on error.
    let staging = tempfile::Builder::new()
        .prefix(".staging-")
        .tempdir_in(&root)
        .map_err(io("cannot create a directory in", &root))?;
    let (dir, record) = if is_binary_url(&req.source) {
        fetch_binary(req, staging.path())?
    } else {
        fetch_git(req, staging.path())?
    };
    let found = manifest::load(&manifest_file(&dir)?)?;
    let id = match &found.id {
        Some(id) => id.clone(),
        None => return Err(InstallError::NoId(found.path.clone())),
    };
    if !is_plain_id(&id) {
        return Err(InstallError::BadId(id));
    }
    let text = serde_json::to_string_pretty(&record).unwrap_or_default();
    let record_path = dir.join(RECORD);
    std::fs::write(&record_path, text).map_err(io("cannot write", &record_path))?;
    let target = root.join(&id);
    if target.exists() {
        if !req.force {
            return Err(InstallError::Exists { id, dir: target });
        }
        std::fs::remove_dir_all(&target).map_err(io("cannot remove", &target))?;
    }
    std::fs::rename(&dir, &target).map_err(io("cannot move the plugin to", &target))?;
    let manifest = manifest::load(&manifest_file(&target)?)?;
    Ok(Fetched {
        id,
        dir: target,
        manifest,
    })
}

fn manifest_file(dir: &Path) -> Result<PathBuf, InstallError> {
    manifest::MANIFEST_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            InstallError::Manifest(manifest::ManifestError {
                file: dir.to_path_buf(),
                field: None,
                problem: "no plugin.yml, plugin.yaml or plugin.json here".into(),
            })
        })
}

/// An `http(s)://` URL that git cannot read as a repository: a binary to download.
fn is_binary_url(source: &str) -> bool {
    let http = source.starts_with("https://") || source.starts_with("http://");
    http && !source.ends_with(".git") && !git_can_read(source)
}

fn git_can_read(source: &str) -> bool {
    git()
        .args(["ls-remote", "--heads", source])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `git` that never asks for a password on the terminal.
fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null());
    cmd
}

fn run_git(args: &[&str], source: &str) -> Result<(), InstallError> {
    let out = git().args(args).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InstallError::NoGit(source.to_string()),
        _ => InstallError::Git {
            command: format!("git {}", args.join(" ")),
            output: e.to_string(),
        },
    })?;
    if out.status.success() {
        return Ok(());
    }
    let output = String::from_utf8_lossy(&out.stderr);
    Err(InstallError::Git {
        command: format!("git {}", args.join(" ")),
        output: crate::text::sanitize_line(output.trim()),
    })
}

fn fetch_git(
    req: &InstallRequest,
    staging: &Path,
) -> Result<(PathBuf, InstallRecord), InstallError> {
    let clone = staging.join("repo");
    let clone_arg = clone.display().to_string();
    run_git(
        &["clone", "--quiet", "--no-checkout", &req.source, &clone_arg],
        &req.source,
    )?;
    // A branch is the remote's (`origin/REF`); a tag or a commit is itself.
    let checkout = match req.reference.as_deref() {
        None => "HEAD".to_string(),
        Some(r) => [format!("origin/{r}"), r.to_string()]
            .into_iter()
            .find(|rev| {
                git()
                    .args(["-C", &clone_arg, "rev-parse", "--verify", "--quiet"])
                    .arg(format!("{rev}^{{commit}}"))
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .unwrap_or_else(|| r.to_string()),
    };
    run_git(
        &[
            "-C", &clone_arg, "checkout", "--quiet", "--detach", &checkout,
        ],
        &req.source,
    )?;
    let dir = match req.path.as_deref().map(|p| p.trim_matches('/')) {
        None | Some("") => clone.clone(),
        Some(sub) => {
            let dir = clone.join(sub);
            // Within the clone only: `..` could name anything.
            let inside = std::fs::canonicalize(&dir)
                .ok()
                .zip(std::fs::canonicalize(&clone).ok())
                .is_some_and(|(d, c)| d.starts_with(&c) && d != c);
            if !inside || !dir.is_dir() {
                return Err(InstallError::NoSuchPath(sub.to_string()));
            }
            dir
        }
    };
    // The plugin, not the repository's history.
    let _ = std::fs::remove_dir_all(dir.join(".git"));
    let record = InstallRecord {
        source: req.source.clone(),
        reference: req.reference.clone(),
        path: req.path.clone(),
        kind: "git".into(),
    };
    Ok((dir, record))
}

fn fetch_binary(
    req: &InstallRequest,
    staging: &Path,
) -> Result<(PathBuf, InstallRecord), InstallError> {
    let url = &req.source;
    if !secure_enough(url) {
        return Err(InstallError::Insecure(url.clone()));
    }
    let fail = |why: String| InstallError::Download {
        url: url.clone(),
        why,
    };
    let file_name = url
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .filter(|n| is_plain_id(n))
        .unwrap_or("plugin")
        .to_string();
    let id = req.id.clone().unwrap_or_else(|| file_name.clone());
    if !is_plain_id(&id) {
        return Err(InstallError::BadId(id));
    }
    let dir = staging.join("plugin");
    std::fs::create_dir_all(&dir).map_err(io("cannot create", &dir))?;
    let bin = dir.join(&file_name);
    let response = ureq::get(url).call().map_err(|e| fail(e.to_string()))?;
    let mut body = response
        .into_body()
        .into_with_config()
        .limit(MAX_BINARY_BYTES)
        .reader();
    let mut out = std::fs::File::create(&bin).map_err(io("cannot write", &bin))?;
    std::io::copy(&mut body, &mut out).map_err(|e| fail(e.to_string()))?;
    drop(out);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755))
        .map_err(io("cannot make executable", &bin))?;
    let yaml = format!(
        "# Written by tgo-console install from a release binary.\nid: {id:?}\nname: {id:?}\ncommand: ./{file_name}\nsource:\n  binary: {url:?}\n"
    );
    let manifest = dir.join("plugin.yml");
    std::fs::write(&manifest, yaml).map_err(io("cannot write", &manifest))?;
    let record = InstallRecord {
        source: url.clone(),
        reference: None,
        path: None,
        kind: "binary".into(),
    };
    Ok((dir, record))
}

/// An executable is fetched over https, or over plain http from this machine only (a local
/// server in tests, a proxy of one's own): nobody on the way can swap it.
fn secure_enough(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// One installed plugin, for `list`.
#[derive(Debug)]
pub struct Listed {
    pub id: String,
    pub dir: PathBuf,
    pub manifest: Result<Manifest, manifest::ManifestError>,
    pub record: Option<InstallRecord>,
}

/// Every installed plugin, by id.
pub fn list() -> Vec<Listed> {
    let root = plugins_dir();
    let Ok(entries) = std::fs::read_dir(&root) else {
        return Vec::new();
    };
    let mut out: Vec<Listed> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let id = e.file_name().to_str()?.to_string();
            is_plain_id(&id).then_some((id, e.path()))
        })
        .map(|(id, dir)| Listed {
            manifest: manifest_file(&dir)
                .and_then(|m| Ok(manifest::load(&m)?))
                .map_err(|e| match e {
                    InstallError::Manifest(m) => m,
                    other => manifest::ManifestError {
                        file: dir.clone(),
                        field: None,
                        problem: other.to_string(),
                    },
                }),
            record: std::fs::read(dir.join(RECORD))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok()),
            id,
            dir,
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Stops what runs from the installed plugin `id` (processes a console launched from its
/// directory) and removes it. Returns the directory removed and the processes stopped.
pub fn uninstall(id: &str) -> Result<(PathBuf, Vec<u32>), InstallError> {
    if !is_plain_id(id) {
        return Err(InstallError::BadId(id.to_string()));
    }
    let dir = plugins_dir().join(id);
    if !dir.is_dir() {
        return Err(InstallError::NotInstalled(id.to_string()));
    }
    let stopped = stop_running_from(&dir);
    std::fs::remove_dir_all(&dir).map_err(io("cannot remove", &dir))?;
    Ok((dir, stopped))
}

/// SIGTERMs the plugin processes running from `dir`: those started for a host (with
/// `TGO_SOCKET_PATH` or `TGO_TCP_PORT` in their environment) whose program or working
/// directory is inside `dir`. A user's shell that merely sits in the directory is spared.
fn stop_running_from(dir: &Path) -> Vec<u32> {
    let Ok(dir) = std::fs::canonicalize(dir) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut stopped = Vec::new();
    for pid in entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| p != me)
    {
        let inside = |link: &str| {
            std::fs::read_link(format!("/proc/{pid}/{link}")).is_ok_and(|p| p.starts_with(&dir))
        };
        if !(inside("exe") || inside("cwd")) {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let for_a_host = env
            .split(|b| *b == 0)
            .any(|var| var.starts_with(b"TGO_SOCKET_PATH=") || var.starts_with(b"TGO_TCP_PORT="));
        if for_a_host && let Ok(p) = i32::try_from(pid) {
            // SAFETY: kill(2) of a process of ours found above.
            unsafe {
                libc::kill(p, libc::SIGTERM);
            }
            stopped.push(pid);
        }
    }
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_installed_id_names_its_directory_and_a_path_here_wins() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("com.test.orders");
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(
            installed_in(root.path(), Path::new("com.test.orders")),
            Some(dir)
        );
        assert_eq!(installed_in(root.path(), Path::new("com.test.other")), None);
        assert_eq!(
            installed_in(root.path(), Path::new("../com.test.orders")),
            None
        );
        // A file or directory of that name where the console runs (the crate's `src` for the
        // tests) is what the user meant, even with an installed plugin of that name.
        std::fs::create_dir(root.path().join("src")).unwrap();
        assert_eq!(installed_in(root.path(), Path::new("src")), None);
    }

    #[test]
    fn binaries_come_over_https_or_from_this_machine() {
        for ok in [
            "https://example.com/p",
            "http://127.0.0.1:8080/p",
            "http://localhost/p",
            "http://[::1]:9/p",
        ] {
            assert!(secure_enough(ok), "{ok}");
        }
        for bad in [
            "http://example.com/p",
            "http://127.0.0.1.evil.com/p",
            "http://localhost.evil/p",
            "ftp://x/p",
        ] {
            assert!(!secure_enough(bad), "{bad}");
        }
    }

    #[test]
    fn plain_ids_only_name_installed_plugins() {
        for ok in ["com.example.orders", "orders-2", "a_b"] {
            assert!(is_plain_id(ok), "{ok}");
        }
        for bad in ["", ".", "..", ".hidden", "a/b", "../x", "a b"] {
            assert!(!is_plain_id(bad), "{bad}");
        }
    }
}
