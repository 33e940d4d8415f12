//! Owning the terminal: raw mode, alternate screen, mouse capture, bracketed paste and focus
//! reports are switched on together and always switched off together, on drop and on panic.

use crossterm::event::{
    DisableBracketedPaste, DisableFocusChange, DisableMouseCapture, EnableBracketedPaste,
    EnableFocusChange, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: Tui,
}

/// Whether the console holds the terminal (raw mode, alternate screen) right now.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Gives the terminal back if the console holds it (for an exit that skips the guard).
pub fn restore_if_taken() {
    if TAKEN.swap(false, Ordering::AcqRel) {
        restore();
    }
}

fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableFocusChange,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = out.flush();
}

impl TerminalGuard {
    /// Takes over the terminal. The panic hook restores it first and then says where the log
    /// is, so a crash never leaves a raw-mode terminal or loses the trace.
    pub fn enter(log_path: PathBuf) -> io::Result<Self> {
        let previous = std::panic::take_hook();
        let ui_thread = std::thread::current().id();
        std::panic::set_hook(Box::new(move |info| {
            // A panic in a background task is caught by tokio and the console goes on: log it,
            // do not print over the screen. Only the UI thread's panic ends the console.
            if std::thread::current().id() != ui_thread {
                tracing::error!("background task panicked: {info}");
                return;
            }
            restore();
            // No plugin outlives the console, even when it dies.
            crate::launcher::kill_all_now();
            previous(info);
            eprintln!("tgo-console crashed; the log is at {}", log_path.display());
        }));
        enable_raw_mode()?;
        TAKEN.store(true, Ordering::Release);
        let mut out = io::stdout();
        if let Err(e) = execute!(
            out,
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            // Focus reports: health is sampled only while the console is looked at.
            EnableFocusChange
        ) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(out)).inspect_err(|_| restore())?;
        Ok(Self { terminal })
    }
}

/// Gives the terminal to another program for a while (a user's foreground command): normal
/// screen, cooked mode, no mouse. [`resume`] takes it back.
pub fn suspend() {
    if TAKEN.swap(false, Ordering::AcqRel) {
        restore();
    }
}

/// Takes the terminal back after [`suspend`].
pub fn resume() -> io::Result<()> {
    enable_raw_mode()?;
    TAKEN.store(true, Ordering::Release);
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        EnableFocusChange
    )
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        TAKEN.store(false, Ordering::Release);
        restore();
    }
}

/// Copies text to the clipboard of the terminal (and of the machine behind an SSH session)
/// with an OSC 52 sequence (crossterm's). The text is base64 in it: it cannot carry an escape.
pub fn osc52_copy(text: &str) -> io::Result<()> {
    osc52_write(&mut io::stdout(), text)
}

fn osc52_write(out: &mut impl Write, text: &str) -> io::Result<()> {
    execute!(
        out,
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_carries_the_text_as_base64_only() {
        let mut out = Vec::new();
        super::osc52_write(&mut out, "hi \x1b[31m").unwrap();
        // "hi \x1b[31m" in base64: the escape the text holds never reaches the terminal.
        assert_eq!(out, b"\x1b]52;c;aGkgG1szMW0=\x1b\\");
    }
}
