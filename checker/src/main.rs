//! pipes-lab's checker: builds the student's exercises, runs them against stored transcripts
//! and randomized cases, and explains what went wrong.
//!
//! Its layers, each importing only those below it (CONTRIBUTING.md draws them): `commands`,
//! then `session` (one check), `judging` (what a run means), `sandbox` (run and observe one
//! program); `workbook` (the workbook's own data) beside the sandbox; `output` (text, JSON,
//! Gradescope, X-ray pictures) reading judging's types.

/// Writes to stdout, dropping what a closed stdout (`cargo lab | head`) cannot take: the
/// checker must go on to stop the student's processes, not panic on a broken pipe. Styles are
/// stripped where colour is off, as everywhere (anstream); every other control character is
/// made visible, for reports quote what programs print (`wording::for_a_terminal`).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($arg)*);
        let mut out = anstream::stdout();
        let _ = out.write_all($crate::wording::for_a_terminal(&text).as_bytes());
        let _ = out.flush();
    }};
}

/// `say!` with a newline.
macro_rules! sayln {
    ($($arg:tt)*) => {{
        say!($($arg)*);
        say!("\n");
    }};
}

mod commands;
mod judging;
mod output;
mod sandbox;
mod session;
mod wording;
mod workbook;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Started as the X-ray's probe: make a pipe and use it, nothing more.
    #[cfg(target_os = "linux")]
    if let Some(status) = sandbox::probe::probe_program() {
        return ExitCode::from(status);
    }
    // Started as `cat`, `grep` or `wc` in 04's runs: record the stage and become the real one.
    if let Some(spy) = sandbox::spy::Spy::started() {
        return ExitCode::from(spy.run() as u8);
    }
    let cli = commands::Cli::parse();
    sandbox::proctree::become_subreaper();
    sandbox::interrupt::install_handler();
    match commands::run(cli) {
        Ok(code) => code,
        Err(message) => {
            anstream::eprintln!("checker: {}", wording::for_a_terminal(&message));
            ExitCode::from(2)
        }
    }
}
