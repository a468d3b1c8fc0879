//! What this machine allows a check's runs: the sandbox's protections, tried in a throwaway
//! child, and whether the X-ray sees a run behind them, proven on a probe run before any
//! student code runs.
//!
//! A check of the workbook's own programs proves the X-ray in a second checker process while
//! cargo builds them. Not in a thread of its own: a run's clean-up ends and reaps every
//! process below the checker, and the build's cargo is one of them.

use crate::sandbox::jail::Jail;
use crate::workbook::Workbook;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The environment switch that turns the X-ray off (`PIPES_LAB_XRAY=off`).
pub const XRAY_SWITCH: &str = "PIPES_LAB_XRAY";
/// The environment switch that turns the sandbox off (`PIPES_LAB_SANDBOX=off`): for measuring
/// what it costs, never for grading.
pub const SANDBOX_SWITCH: &str = "PIPES_LAB_SANDBOX";
/// The checker's flag (with the programs' folder) that makes it the process that proves the
/// X-ray: it probes as a check would, prints what it found and ends.
const PROVE_FLAG: &str = "--prove-xray";
/// What that process prints: the X-ray sees runs behind the sandbox as probed...
const SEEN: &str = "seen";
/// ... or only with runs that keep root's user (`Jail::powerless`), or not at all.
const SEEN_POWERLESS: &str = "seen powerless";
const BLIND: &str = "blind";
/// Said where root may not trace the unprivileged user's programs.
const POWERLESS_WHY: &str = "root may not trace another user's programs here (no CAP_SYS_PTRACE)";

/// Whether runs are traced, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum Xray {
    On,
    /// Not on Linux.
    NeedsLinux,
    /// `PIPES_LAB_XRAY=off`.
    SwitchedOff,
    /// The X-ray's probe found it blind here, and why.
    Blind(String),
}

impl Xray {
    /// Why runs are not traced, as the rest of `structural checks skipped: ...` says it.
    pub fn why_off(&self) -> Option<String> {
        match self {
            Xray::On => None,
            Xray::NeedsLinux => Some("the X-ray needs Linux".into()),
            Xray::SwitchedOff => Some(format!("the X-ray is switched off ({XRAY_SWITCH}=off)")),
            Xray::Blind(why) => Some(format!("runs cannot be traced here: {why}")),
        }
    }

    /// The X-ray where no probe can change it.
    fn fixed() -> Option<Xray> {
        if !cfg!(target_os = "linux") {
            return Some(Xray::NeedsLinux);
        }
        std::env::var(XRAY_SWITCH)
            .is_ok_and(|v| v == "off")
            .then_some(Xray::SwitchedOff)
    }
}

/// What the runs must reach as the unprivileged user (the programs' folder, the run folders,
/// the checker itself for the stage spies) and what stays off their PATH (the workbook, the
/// target directory, the home folder).
#[derive(Clone)]
struct Reach {
    reach: Vec<PathBuf>,
    hidden: Vec<PathBuf>,
    runs: PathBuf,
}

impl Reach {
    fn of(wb: &Workbook, programs: &Path) -> Result<Reach, String> {
        let (programs, runs) = (programs.to_path_buf(), wb.work_dir().join("tmp"));
        for dir in [&programs, &runs] {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut reach = vec![programs, runs.clone()];
        reach.extend(std::env::current_exe().ok());
        let mut hidden = vec![wb.root.clone(), wb.target_dir.clone()];
        hidden.extend(std::env::var_os("HOME").map(PathBuf::from));
        Ok(Reach {
            reach,
            hidden,
            runs,
        })
    }

    /// The sandbox as this machine allows it, tried in a child that is waited for by its pid
    /// (so it may run beside a build).
    fn jail(&self) -> Arc<Jail> {
        match std::env::var(SANDBOX_SWITCH).is_ok_and(|v| v == "off") {
            true => {
                let why = format!("switched off by {SANDBOX_SWITCH}=off");
                Arc::new(Jail::off(self.hidden.clone(), &why))
            }
            false => Arc::new(Jail::probe(&self.reach, self.hidden.clone())),
        }
    }

    /// Runs that keep root's user, without its capabilities, for a root whose runs as another
    /// user cannot be traced.
    fn powerless(&self) -> Option<Arc<Jail>> {
        Jail::powerless(&self.reach, self.hidden.clone(), POWERLESS_WHY).map(Arc::new)
    }

    /// Proves the X-ray on a probe run behind `jail`; where root may not trace the
    /// unprivileged user's programs, runs keep root's user (without its capabilities) so that
    /// they are traced, and the report names what that costs.
    fn prove(&self, jail: Arc<Jail>) -> (Arc<Jail>, Xray) {
        if let Some(fixed) = Xray::fixed() {
            return (jail, fixed);
        }
        #[cfg(target_os = "linux")]
        {
            use crate::sandbox::probe::trace_seen;
            let blind = match trace_seen(&jail, &self.runs) {
                Ok(()) => return (jail, Xray::On),
                Err(why) => why,
            };
            if jail.switches_user()
                && let Some(kept) = self.powerless()
                && trace_seen(&kept, &self.runs).is_ok()
            {
                return (kept, Xray::On);
            }
            (jail, Xray::Blind(blind))
        }
        #[cfg(not(target_os = "linux"))]
        (jail, Xray::NeedsLinux)
    }
}

/// The sandbox for the runs of this workbook's programs, as this machine allows it, and the
/// X-ray proven behind that very sandbox.
pub fn jail(wb: &Workbook, programs: &Path) -> Result<(Arc<Jail>, Xray), String> {
    let reach = Reach::of(wb, programs)?;
    Ok(reach.prove(reach.jail()))
}

/// `jail`, probed by the first check of this process that asks and kept for the next ones
/// on the same programs' folder.
pub fn probed_once(wb: &Workbook, programs: &Path) -> Result<(Arc<Jail>, Xray), String> {
    type Probed = Option<(PathBuf, Arc<Jail>, Xray)>;
    static PROBED: std::sync::Mutex<Probed> = std::sync::Mutex::new(None);
    let mut kept = PROBED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((dir, jail, xray)) = kept.as_ref()
        && dir == programs
    {
        return Ok((jail.clone(), xray.clone()));
    }
    let (jail, xray) = jail(wb, programs)?;
    *kept = Some((programs.to_path_buf(), jail.clone(), xray.clone()));
    Ok((jail, xray))
}

/// In the process that proves the X-ray: what it found, as the check that started it reads it.
pub fn proven_here(wb: &Workbook, programs: &Path) -> Result<&'static str, String> {
    Ok(match jail(wb, programs)? {
        (jail, Xray::On) if jail.is_powerless() => SEEN_POWERLESS,
        (_, Xray::On) => SEEN,
        _ => BLIND,
    })
}

/// The probes of one check: found already, or under way beside its build.
pub struct Probes(Stage);

enum Stage {
    Found(Arc<Jail>, Xray),
    Beside {
        reach: Reach,
        /// The sandbox's trial, in a thread.
        trial: Option<JoinHandle<Arc<Jail>>>,
        /// The process proving the X-ray; none where it could not start.
        proving: Option<Child>,
    },
}

impl Probes {
    /// Probes at once (`keep` them for the next checks of this process), or, `beside` a
    /// build, starts them.
    pub fn start(
        wb: &Workbook,
        programs: &Path,
        beside: bool,
        keep: bool,
    ) -> Result<Probes, String> {
        if !beside {
            let (jail, xray) = match keep {
                true => probed_once(wb, programs)?,
                false => jail(wb, programs)?,
            };
            return Ok(Probes(Stage::Found(jail, xray)));
        }
        let reach = Reach::of(wb, programs)?;
        let proving = Xray::fixed()
            .is_none()
            .then(|| prover(wb, programs).ok())
            .flatten();
        let trial = std::thread::spawn({
            let reach = reach.clone();
            move || reach.jail()
        });
        Ok(Probes(Stage::Beside {
            reach,
            trial: Some(trial),
            proving,
        }))
    }

    /// The sandbox and the X-ray, where they were probed before the build.
    pub fn found(&self) -> Option<(&Arc<Jail>, &Xray)> {
        match &self.0 {
            Stage::Found(jail, xray) => Some((jail, xray)),
            Stage::Beside { .. } => None,
        }
    }

    /// The sandbox and the X-ray, once the build is over. Only the other process's "seen" is
    /// taken as it is: a probe that failed there, or no answer, is run again here, where no
    /// build runs beside it.
    pub fn finish(mut self) -> Result<(Arc<Jail>, Xray), String> {
        let (reach, trial, proving) = match &mut self.0 {
            Stage::Found(jail, xray) => return Ok((jail.clone(), xray.clone())),
            Stage::Beside {
                reach,
                trial,
                proving,
            } => (reach.clone(), trial.take(), proving.take()),
        };
        let jail = trial
            .and_then(|trial| trial.join().ok())
            .ok_or("the checker failed while probing the sandbox")?;
        let said = proving
            .and_then(|child| child.wait_with_output().ok())
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string());
        Ok(match said.as_deref() {
            Some(SEEN) => (jail, Xray::On),
            Some(SEEN_POWERLESS) => match reach.powerless() {
                Some(kept) => (kept, Xray::On),
                None => reach.prove(jail),
            },
            _ => reach.prove(jail),
        })
    }
}

impl Drop for Probes {
    /// A check that stops during its build still lets the probe end as it does: stopped
    /// half-way, it would leave its run behind.
    fn drop(&mut self) {
        if let Stage::Beside { proving, .. } = &mut self.0
            && let Some(child) = proving.as_mut()
        {
            let _ = child.wait();
        }
    }
}

/// Starts the process that proves the X-ray for the programs in `programs`.
fn prover(wb: &Workbook, programs: &Path) -> std::io::Result<Child> {
    let me = std::env::current_exe()?;
    let mut prove = std::ffi::OsString::from(format!("{PROVE_FLAG}="));
    prove.push(programs);
    let mut target = std::ffi::OsString::from("--target-dir=");
    target.push(&wb.target_dir);
    let mut command = Command::new(me);
    command
        .arg(prove)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(target_os = "linux")]
    // SAFETY: prctl only, between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            // A check killed outright ends it too.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    command.spawn()
}
