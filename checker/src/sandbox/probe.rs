//! Whether the X-ray sees what a run does, proven before any student code runs: one run of a
//! tiny program (the checker itself, started with `PROBE_SWITCH`) that makes a pipe and sends a
//! few bytes through it, traced behind the very jail the runs will get. A trace that misses
//! them is not believed: the X-ray is then blind here, and says why.

use super::jail::{Jail, Walls};
use super::runner::{self, RunSpec};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The variable that makes the checker the probe's program.
const PROBE_SWITCH: &str = "PIPES_LAB_XRAY_PROBE";
const PROBE_VALUE: &str = "pipe";
/// What the probe's program sends through its pipe (more than one byte: a write of one byte
/// goes untraced).
const MESSAGE: &[u8] = b"probe\n";

/// In a checker started as the probe's program: makes a pipe, writes into it, reads it back,
/// and returns the exit status (0 when the bytes came through). `None` otherwise.
pub fn probe_program() -> Option<u8> {
    if std::env::var(PROBE_SWITCH).ok()? != PROBE_VALUE {
        return None;
    }
    let Ok((read, write)) = nix::unistd::pipe() else {
        return Some(1);
    };
    let written = nix::unistd::write(&write, MESSAGE);
    drop(write);
    let mut got = [0u8; 16];
    let read = nix::unistd::read(&read, &mut got);
    Some(match (written, read) {
        (Ok(n), Ok(m)) if n == MESSAGE.len() && got[..m] == *MESSAGE => 0,
        _ => 1,
    })
}

/// Runs the probe's program traced behind `jail`, in a fresh folder under `runs`; `Err` says
/// what the X-ray could not see.
pub fn trace_seen(jail: &Arc<Jail>, runs: &Path) -> Result<(), String> {
    let program = std::env::current_exe()
        .map_err(|e| format!("the checker cannot find its own program: {e}"))?;
    let dir = tempfile::Builder::new()
        .prefix("xray-probe.")
        .tempdir_in(runs)
        .map_err(|e| format!("cannot create a folder for the X-ray's probe: {e}"))?;
    let cwd = dir.path().join("run");
    std::fs::create_dir(&cwd).map_err(|e| format!("cannot create {}: {e}", cwd.display()))?;
    let walls = Walls {
        writable: vec![cwd.clone()],
        executable: vec![program.clone()],
        ..Walls::default()
    };
    let spec = RunSpec {
        program,
        args: Vec::new(),
        env: vec![(PROBE_SWITCH.into(), PROBE_VALUE.into())],
        cwd,
        timeout: Duration::from_secs(5),
        trace: true,
        faults: None,
        untraced_byte_writes: false,
        mishap: None,
        await_reads: false,
        count_waits: false,
        jail: Some((jail.clone(), walls)),
        path_first: None,
    };
    let outcome =
        runner::run(&spec).map_err(|e| format!("the X-ray's probe did not start: {e}"))?;
    let trace = match outcome.trace {
        Some(Ok(trace)) => trace,
        Some(Err(why)) => return Err(why),
        None => return Err("the X-ray's probe was not traced".into()),
    };
    let made = trace.procs.first().is_some_and(|p| !p.made.is_empty());
    let wrote = trace.io.iter().any(|io| io.writes && io.bytes > 0);
    if made && wrote && outcome.end == runner::End::Exited(0) {
        Ok(())
    } else {
        Err(format!(
            "the X-ray did not see a test program make a pipe and write into it (it ended: {:?})",
            outcome.end
        ))
    }
}
