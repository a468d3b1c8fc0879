//! The X-ray: how a run wired its processes and pipes, seen at the system-call level.
//! `tracer` follows a run with ptrace, `model` names what it built, `rules` checks it against
//! what the exercise asks for, and `draw` pictures it.

pub mod model;
pub mod rules;
pub mod trace;
#[cfg(target_os = "linux")]
pub mod tracer;

use std::sync::OnceLock;

/// Why runs could not be traced, once it is known: the structural checks are skipped.
static SKIPPED: OnceLock<String> = OnceLock::new();

/// Notes that tracing was refused; the report says so once.
pub fn skip(why: &str) {
    let _ = SKIPPED.set(why.to_string());
}

/// The one line a report prints when the structural checks were skipped.
pub fn skipped() -> Option<String> {
    if !enabled() {
        return Some(format!(
            "structural checks skipped: the X-ray is switched off ({SWITCH}=off)"
        ))
        .filter(|_| cfg!(target_os = "linux"))
        .or_else(|| Some("structural checks skipped: the X-ray needs Linux".into()));
    }
    SKIPPED
        .get()
        .map(|why| format!("structural checks skipped: runs cannot be traced here: {why}"))
}

/// The environment switch that turns the X-ray off (`PIPES_LAB_XRAY=off`).
pub const SWITCH: &str = "PIPES_LAB_XRAY";

/// Whether runs are traced: on Linux, unless switched off.
pub fn enabled() -> bool {
    cfg!(target_os = "linux") && std::env::var(SWITCH).map_or(true, |v| v != "off")
}
