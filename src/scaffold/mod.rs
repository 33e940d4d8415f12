//! `tgo-console new`: writes a minimal working plugin (manifest, code, scenario) to start from.
//!
//! The files are templates under `src/scaffold/templates/`, compiled in; `{{name}}` in them is
//! replaced by the plugin's name. Every language's plugin behaves the same, so they share one
//! scenario file.

use clap::{Args, ValueEnum};
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The language of the plugin to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Language {
    /// Python 3.8+, standard library only.
    Python,
    /// Node.js 16+, no npm dependencies.
    Node,
    /// Go 1.18+, standard library only (build it with `go build -o plugin ./cmd/plugin`).
    Go,
}

#[derive(Args, Debug)]
pub struct NewArgs {
    /// The plugin's language.
    #[arg(value_enum)]
    pub language: Language,
    /// The directory to write (created; it must be empty unless --force).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The plugin's name (default: the directory's name); its id is com.example.NAME.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Write into a directory that is not empty (files of the same names are overwritten).
    #[arg(long)]
    pub force: bool,
}

/// One file of a template: where it goes in the plugin directory, and its text.
struct File {
    path: &'static str,
    text: &'static str,
}

const SCENARIO: &str = include_str!("templates/scenario.yml");

fn files(language: Language) -> &'static [File] {
    match language {
        Language::Python => &[
            File {
                path: "plugin.yml",
                text: include_str!("templates/python/plugin.yml"),
            },
            File {
                path: "main.py",
                text: include_str!("templates/python/main.py"),
            },
        ],
        Language::Node => &[
            File {
                path: "plugin.yml",
                text: include_str!("templates/node/plugin.yml"),
            },
            File {
                path: "index.js",
                text: include_str!("templates/node/index.js"),
            },
        ],
        Language::Go => &[
            File {
                path: "plugin.yml",
                text: include_str!("templates/go/plugin.yml"),
            },
            File {
                path: "go.mod",
                text: include_str!("templates/go/go.mod.tmpl"),
            },
            File {
                path: "cmd/plugin/main.go",
                text: include_str!("templates/go/main.go"),
            },
            File {
                path: ".gitignore",
                text: include_str!("templates/go/gitignore.tmpl"),
            },
        ],
    }
}

/// Why nothing (or not everything) was written.
#[derive(Debug, PartialEq, Eq)]
pub enum ScaffoldError {
    /// The name cannot be used in an id, a Go module path and a file name.
    BadName { name: String, from_dir: bool },
    /// DIR exists and holds files (and `--force` was not given).
    NotEmpty { dir: PathBuf, entries: usize },
    /// DIR exists and is not a directory.
    NotADirectory(PathBuf),
    /// Creating or writing failed.
    Io { path: PathBuf, error: String },
}

impl fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaffoldError::BadName { name, from_dir } => {
                write!(
                    f,
                    "{name:?} cannot be a plugin name: use letters, digits, '-' and '_', starting with a letter or digit"
                )?;
                if *from_dir {
                    f.write_str(
                        " (it comes from the directory's name; give one with --name NAME)",
                    )?;
                }
                Ok(())
            }
            ScaffoldError::NotEmpty { dir, entries } => write!(
                f,
                "{} is not empty ({entries} entries); nothing written. Pick a new directory, or pass --force to write into it (files of the same names are overwritten)",
                dir.display()
            ),
            ScaffoldError::NotADirectory(dir) => {
                write!(f, "{} exists and is not a directory", dir.display())
            }
            ScaffoldError::Io { path, error } => {
                write!(f, "cannot write {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for ScaffoldError {}

/// A name usable as it is in an id, a Go module path, YAML and a file name.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The plugin's name: `--name`, else DIR's last component.
fn plugin_name(dir: &Path, name: Option<&str>) -> Result<String, ScaffoldError> {
    let (name, from_dir) = match name {
        Some(n) => (n.to_string(), false),
        None => {
            let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
            let last = absolute
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (last, true)
        }
    };
    if valid_name(&name) {
        Ok(name)
    } else {
        Err(ScaffoldError::BadName { name, from_dir })
    }
}

/// Writes the plugin into `dir`; returns the files written, relative to `dir`.
pub fn write(
    language: Language,
    dir: &Path,
    name: Option<&str>,
    force: bool,
) -> Result<(String, Vec<String>), ScaffoldError> {
    let name = plugin_name(dir, name)?;
    let io = |path: &Path, e: std::io::Error| ScaffoldError::Io {
        path: path.to_path_buf(),
        error: e.to_string(),
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(ScaffoldError::NotADirectory(dir.to_path_buf()));
        }
        let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?.count();
        if entries > 0 && !force {
            return Err(ScaffoldError::NotEmpty {
                dir: dir.to_path_buf(),
                entries,
            });
        }
    }
    let scenario = format!("{name}.scenario.yml");
    let all = files(language)
        .iter()
        .map(|f| (f.path, f.text))
        .chain(std::iter::once((scenario.as_str(), SCENARIO)));
    let mut written = Vec::new();
    for (rel, text) in all {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&path, text.replace("{{name}}", &name)).map_err(|e| io(&path, e))?;
        written.push(rel.to_string());
    }
    Ok((name, written))
}

/// `tgo-console new`: writes, then says what to run next. Exit 0 written, 2 refused or failed.
pub fn run(args: &NewArgs) -> ExitCode {
    match write(args.language, &args.dir, args.name.as_deref(), args.force) {
        Ok((name, files)) => {
            let dir = args.dir.display();
            for f in &files {
                println!("wrote {}", args.dir.join(f).display());
            }
            println!("\nplugin {name:?} (id com.example.{name}); next:");
            let mut next = Vec::new();
            if args.language == Language::Go {
                let build = format!("(cd {dir} && go build -o plugin ./cmd/plugin)");
                next.push((build, "build it (after every change)"));
            }
            next.push((format!("tgo-console check {dir}"), "the conformance run"));
            next.push((
                format!("tgo-console test {dir}"),
                "its scenario: what it must answer",
            ));
            next.push((
                format!("tgo-console --socket /tmp/tgo.sock --watch {dir}"),
                "the console, restarting it on every save",
            ));
            let width = next.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
            for (command, what) in next {
                println!("  {command:width$}   # {what}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tgo-console new: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_default_to_the_directory() {
        assert_eq!(
            plugin_name(Path::new("/x/my-plugin"), None).unwrap(),
            "my-plugin"
        );
        assert_eq!(
            plugin_name(Path::new("/x/y"), Some("orders_2")).unwrap(),
            "orders_2"
        );
        for bad in ["", "-x", "a b", "a.b", "ä", "x\"y", "x{{name}}"] {
            assert!(plugin_name(Path::new("/x"), Some(bad)).is_err(), "{bad:?}");
        }
        let err = plugin_name(Path::new("/x/has space"), None).unwrap_err();
        assert!(err.to_string().contains("--name"), "{err}");
    }

    #[test]
    fn every_placeholder_is_replaced() {
        for lang in [Language::Python, Language::Node, Language::Go] {
            for f in files(lang) {
                assert!(
                    f.text.contains("{{name}}") || f.path == ".gitignore",
                    "{}",
                    f.path
                );
                let out = f.text.replace("{{name}}", "p");
                assert!(!out.contains("{{"), "{} keeps a placeholder", f.path);
            }
        }
        assert!(!SCENARIO.replace("{{name}}", "p").contains("{{"));
    }
}
