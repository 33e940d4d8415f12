//! The watchdog: the process you start, which runs the real console (or `check`, `bench`) as
//! its child and outlives it, so that nothing the console launched outlives *it*.
//!
//! Why: the console is a child subreaper, so every orphan a plugin leaves (a `setsid`
//! grandchild, a child in its own process group whose parent exited) comes back to it and it
//! can end them. But a SIGKILLed process runs no code: its children go to the nearest
//! subreaper *above* it, or to init, out of reach. The watchdog is that subreaper above it:
//!
//! 1. It makes itself a child subreaper and runs this executable again, with the same
//!    arguments and [`WATCHDOG_ENV`] set, as its only child (same terminal, same process
//!    group), and forwards SIGTERM, SIGHUP, SIGINT and SIGQUIT to it.
//! 2. It sleeps in `waitpid` (no timer, no thread): an idle console costs it nothing.
//! 3. When the console ends, however it ends (`q`, a crash, SIGKILL), everything it left is
//!    below the watchdog: it SIGKILLs all of it (`launcher::tree::kill_descendants`), restores
//!    the terminal if the console died without doing so, says what it did, and exits with the
//!    console's status (128 + signal when killed).
//! 4. If the watchdog itself dies first, the kernel sends the console SIGTERM
//!    (`PR_SET_PDEATHSIG`); the console then kills every process below it at once and exits
//!    ([`on_sigterm`]).
//!
//! The limit: a plugin's process escapes only if the watchdog and the console are SIGKILLed
//! together (`kill -9` of their process group, `pkill -9 tgo-console`), or if it was started
//! by someone else on the plugin's behalf (a service manager, `at`, a D-Bus service, `ssh`…):
//! those were never below the console.

use crate::launcher::tree;
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// Set in the console's environment by its watchdog: the watchdog's pid.
pub const WATCHDOG_ENV: &str = "TGO_CONSOLE_WATCHDOG";

static WATCHDOG: std::sync::OnceLock<Option<i32>> = std::sync::OnceLock::new();

/// Reads (and removes, so that plugins do not inherit them) the variables the watchdog and the
/// console set for their own children. Call first thing, while this process has one thread.
pub fn take_env() {
    let pid = std::env::var(WATCHDOG_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let _ = WATCHDOG.set(pid);
    // SAFETY: called before any other thread exists (see above).
    unsafe {
        std::env::remove_var(WATCHDOG_ENV);
        std::env::remove_var(tree::OPENER_ENV);
    }
}

/// The watchdog's pid, when this process runs under one.
pub fn watchdog_pid() -> Option<i32> {
    WATCHDOG.get().copied().flatten()
}

static CHILD: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(sig: libc::c_int) {
    let child = CHILD.load(Ordering::Relaxed);
    if child > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe {
            libc::kill(child, sig);
        }
    }
}

fn forward_signals() {
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: installs a handler that only calls kill(2); the struct is zeroed, then set.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = forward as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

fn saved_termios() -> Option<libc::termios> {
    // SAFETY: isatty and tcgetattr only read; `t` is written by tcgetattr before use.
    unsafe {
        if libc::isatty(libc::STDIN_FILENO) != 1 {
            return None;
        }
        let mut t: libc::termios = std::mem::zeroed();
        (libc::tcgetattr(libc::STDIN_FILENO, &mut t) == 0).then_some(t)
    }
}

/// Gives the terminal back as it was before the console took it: modes, main screen,
/// cursor, no mouse reporting, no bracketed paste.
fn restore_terminal(saved: &libc::termios) {
    use crossterm::event::{DisableBracketedPaste, DisableMouseCapture};
    use crossterm::terminal::LeaveAlternateScreen;
    // SAFETY: tcsetattr with a termios tcgetattr filled.
    unsafe {
        libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, saved);
    }
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Runs this command again as a watched child (see the module docs) and returns its exit
/// code once it and everything below it are gone. `None` when the child cannot be started
/// (the caller then runs the command itself). Call first thing: no runtime, no threads.
/// `owns_terminal`: the command takes the terminal (the console), to be restored if it dies.
pub fn supervise(owns_terminal: bool) -> Option<ExitCode> {
    // SAFETY: prctl(2) with plain integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == -1 {
        return None;
    }
    let saved = if owns_terminal { saved_termios() } else { None };
    let me = std::process::id();
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| OsString::from("tgo-console"));
    let mut cmd = std::process::Command::new("/proc/self/exe");
    cmd.arg0(argv0).args(args).env(WATCHDOG_ENV, me.to_string());
    let parent = me as i32;
    // SAFETY: between fork and exec only prctl(2) and getppid(2), which allocate nothing.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
    let child = cmd.spawn().ok()?;
    let pid = child.id() as i32;
    CHILD.store(pid, Ordering::Relaxed);
    forward_signals();
    let status = wait_for(pid);
    CHILD.store(0, Ordering::Relaxed);
    let left = tree::kill_descendants(me, Duration::from_secs(3));
    let code = match status.and_then(|s| s.signal().map(|sig| (s, sig))) {
        Some((_, sig)) => {
            if let Some(t) = &saved {
                restore_terminal(t);
            }
            eprintln!(
                "tgo-console: the console was killed by signal {sig} ({}); {left} process(es) it had started were killed with it",
                signal_name(sig)
            );
            128 + sig
        }
        None => status.and_then(|s| s.code()).unwrap_or(2),
    };
    Some(ExitCode::from(u8::try_from(code).unwrap_or(2)))
}

/// Reaps until `pid` ends (reaping the orphans that come to us meanwhile); its status.
fn wait_for(pid: i32) -> Option<std::process::ExitStatus> {
    loop {
        let mut raw = 0;
        // SAFETY: waitpid(2) for any child, blocking; `raw` is ours.
        let got = unsafe { libc::waitpid(-1, &mut raw, 0) };
        if got == pid {
            return Some(std::process::ExitStatus::from_raw(raw));
        }
        if got == -1 {
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => continue,
                _ => return None,
            }
        }
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGQUIT => "SIGQUIT",
        _ => "signal",
    }
}

/// In the watched child: SIGTERM because the watchdog died (the parent-death signal), or any
/// SIGTERM when `always` (a command with no graceful quit of its own): kill every process
/// below this one at once, run `restore`, exit 143. A console's own SIGTERM handling (a
/// graceful quit) is left alone otherwise. Call within the tokio runtime.
pub fn on_sigterm(always: bool, restore: fn()) {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return;
    };
    tokio::spawn(async move {
        while term.recv().await.is_some() {
            // SAFETY: getppid(2) cannot fail.
            let orphaned = watchdog_pid().is_some_and(|w| unsafe { libc::getppid() } != w);
            if orphaned || always {
                crate::launcher::kill_all_now();
                tree::kill_descendants(std::process::id(), Duration::from_secs(1));
                restore();
                std::process::exit(128 + libc::SIGTERM);
            }
        }
    });
}
