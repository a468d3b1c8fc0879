//! Whether the stage spies are heard here, proven before any student code runs: one run of a
//! spy (`cat /dev/null`) behind the very jail the runs will get. The kernel may refuse the
//! listener, and the checker may not be allowed to read a run's /proc (root without
//! CAP_SYS_PTRACE, with runs as nobody): then no record can be believed, and the stage checks
//! are not made, for every program alike. What one run does cannot change that answer.

use super::super::jail::{Jail, Walls};
use super::super::runner::{self, RunSpec};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Runs a spy behind `jail`, in a fresh folder under `runs`; `Err` says why it was not heard.
pub fn heard(jail: &Arc<Jail>, runs: &Path) -> Result<(), String> {
    let checker = std::env::current_exe()
        .map_err(|e| format!("the checker cannot find its own program: {e}"))?;
    let dir = tempfile::Builder::new()
        .prefix("spies-probe.")
        .tempdir_in(runs)
        .map_err(|e| format!("cannot create a folder for the spies' probe: {e}"))?;
    let cwd = dir.path().join("run");
    std::fs::create_dir(&cwd).map_err(|e| format!("cannot create {}: {e}", cwd.display()))?;
    let spies = dir.path().join("spies");
    let env = super::prepare(&spies).map_err(|e| format!("cannot set up a spy: {e}"))?;
    let walls = Walls {
        writable: vec![cwd.clone()],
        readable: vec![spies.clone()],
        executable: vec![checker],
    };
    let args = vec!["/dev/null".to_string()];
    let spec = RunSpec {
        program: spies.join("cat"),
        args: args.clone(),
        env,
        cwd,
        timeout: Duration::from_secs(5),
        trace: false,
        faults: None,
        untraced_byte_writes: false,
        mishap: None,
        await_reads: false,
        count_waits: false,
        jail: Some((jail.clone(), walls)),
        path_first: Some(spies),
    };
    let outcome = runner::run(&spec).map_err(|e| format!("a spy did not start: {e}"))?;
    let heard = match outcome.spies {
        Some(Ok(heard)) => heard,
        Some(Err(why)) => return Err(why),
        None => return Err("a spy's run had no channel".into()),
    };
    match heard.records.as_slice() {
        [cat] if cat.stage == "cat" && cat.args() == args => Ok(()),
        [] => Err(heard
            .refused
            .first()
            .cloned()
            .unwrap_or_else(|| format!("a spy made no call (it ended: {:?})", outcome.end))),
        records => Err(format!("a spy was heard wrong: {records:?}")),
    }
}
