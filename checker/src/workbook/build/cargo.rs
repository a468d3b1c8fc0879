//! The one cargo call of a build: in a process group of its own, with a cap on each
//! compiler's memory and CPU, its messages read as they come, watched until it ends, stops or
//! runs into a time limit.

use super::messages::{Outcome, read_errors, read_in_thread, read_messages};
use super::watchdog::{end_build, watch};
use super::{Confine, Plan, Stop, walls};
use crate::workbook::Workbook;
use std::collections::HashSet;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How long the compiler may take over one exercise: an exercise compiles in 1 to 3 s (debug,
/// on a 2-core machine), and a busy grading machine may make that several times longer.
pub const EXERCISE_SECS: u64 = 60;
/// How long the exercises of one submission may take to compile, all together. Counted from
/// the first exercise's compiler: the workbook's dependencies (minutes, on a cold build) are
/// trusted and not counted.
pub const SUBMISSION_SECS: u64 = 180;
/// `PIPES_LAB_BUILD_SECS=E` or `E,S` sets both limits, in seconds (S is 3 E when not given).
pub const BUILD_SECS_SWITCH: &str = "PIPES_LAB_BUILD_SECS";
/// The data each process of a build may map (RLIMIT_DATA, inherited by every compiler): a cold
/// build of the dependencies and the exercises works under 384 MiB, debug or release, and
/// fails under 256 MiB.
pub const BUILD_MEMORY_GIB: u64 = 2;

/// How long a build may take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub exercise: Duration,
    pub submission: Duration,
}

impl Limits {
    /// The CPU seconds each process of a build may use (RLIMIT_CPU): a backstop for a checker
    /// killed outright (SIGKILL), whose watchdog is gone. Cargo dies with the checker, and an
    /// endless compiler at this limit; a cold build of a dependency takes some 20 s of CPU.
    pub fn cpu_secs(&self) -> u64 {
        self.submission.as_secs().saturating_mul(4).max(600)
    }

    /// The limits, as `PIPES_LAB_BUILD_SECS` sets them, or the defaults.
    pub fn from_env() -> Result<Limits, String> {
        Limits::parse(std::env::var(BUILD_SECS_SWITCH).ok().as_deref())
    }

    pub(super) fn parse(value: Option<&str>) -> Result<Limits, String> {
        let Some(value) = value else {
            return Ok(Limits {
                exercise: Duration::from_secs(EXERCISE_SECS),
                submission: Duration::from_secs(SUBMISSION_SECS),
            });
        };
        let secs = |s: &str| {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=86_400).contains(n))
        };
        let (exercise, submission) = match value.split_once(',') {
            Some((e, s)) => (secs(e), secs(s)),
            None => (secs(value), secs(value).map(|e| 3 * e)),
        };
        match (exercise, submission) {
            (Some(e), Some(s)) => Ok(Limits {
                exercise: Duration::from_secs(e),
                submission: Duration::from_secs(s),
            }),
            _ => Err(format!(
                "{BUILD_SECS_SWITCH}={value}: give the seconds one exercise's build may take, and optionally those of a whole submission (`60` or `60,180`)"
            )),
        }
    }
}

/// The variables that name a program cargo runs each compiler through.
const WRAPPERS: [&str; 2] = ["RUSTC_WRAPPER", "RUSTC_WORKSPACE_WRAPPER"];

/// Whether a build sets a wrapper variable to the empty string rather than leave it unset.
/// Every compiler must be a process of the build, where the watchdog finds it: a wrapper such
/// as sccache compiles in a server of its own. An empty value also overrides a wrapper in
/// cargo's settings, but turns off cargo's cache of what rustc is, so that each build asks
/// rustc again (some 70 ms). So the empty value goes where it matters: on untrusted code, and
/// where the checker's own environment names a wrapper. A wrapper in the student's own cargo
/// settings builds their own exercises as it builds everything else of theirs.
fn overrides_wrapper(set_here: bool, untrusted: bool) -> bool {
    set_here || untrusted
}

impl Workbook {
    /// Runs one `cargo build` for `bins` and watches it; what each bin became.
    pub(super) fn cargo_build(
        &self,
        plan: &Plan,
        bins: &[String],
        color: bool,
        confine: Confine,
        stop: Stop,
        limits: Limits,
    ) -> Result<Outcome, String> {
        let mut command = Command::new(&self.cargo);
        if let Some(walled) = &plan.walled {
            // Nothing of the checker's environment, which `option_env!` would read: only what
            // cargo needs.
            command.env_clear().envs(walled.env.iter().cloned());
        }
        command
            .args(["build", "--quiet", "--keep-going", "--message-format"])
            .arg(if color {
                "json-diagnostic-rendered-ansi"
            } else {
                "json"
            })
            .arg("--manifest-path")
            .arg(&plan.manifest)
            .args([
                "--package",
                plan.package,
                "--color",
                if color { "always" } else { "never" },
            ])
            .env("CARGO_TARGET_DIR", &plan.target_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // One group, killed at once when the build stops; Ctrl-C reaches the checker only.
            .process_group(0);
        for bin in bins {
            command.args(["--bin", bin]);
        }
        for wrapper in WRAPPERS {
            let set = std::env::var_os(wrapper).is_some_and(|v| !v.is_empty());
            match overrides_wrapper(set, plan.walled.is_some()) {
                true => command.env(wrapper, ""),
                false => command.env_remove(wrapper),
            };
        }
        let memory = BUILD_MEMORY_GIB << 30;
        let cpu = limits.cpu_secs();
        #[cfg(target_os = "linux")]
        let checker = std::process::id();
        // SAFETY: setrlimit, prctl and getppid only, on local values, between fork and exec.
        unsafe {
            command.pre_exec(move || {
                for (resource, value) in [(libc::RLIMIT_DATA, memory), (libc::RLIMIT_CPU, cpu)] {
                    let limit = libc::rlimit {
                        rlim_cur: value,
                        rlim_max: value,
                    };
                    if libc::setrlimit(resource, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                #[cfg(target_os = "linux")]
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0
                    || libc::getppid() as u32 != checker
                {
                    // No allocation here: the checker ended before cargo could start.
                    return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            })
        };
        if let Some(walled) = &plan.walled {
            // Cargo looks for settings from its working folder up: from the staged copy, it
            // finds the workbook's, and none of the copy's. Offline: the build may read the
            // registry, never reach the network.
            command.arg("--offline").current_dir(walled.stage.dir());
            confine(&mut command, &walled.walls)
                .map_err(|e| format!("cannot put the build behind the sandbox: {e}"))?;
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot run cargo ({}): {e}", self.cargo.display()))?;
        let wanted: HashSet<String> = bins.iter().cloned().collect();
        let messages = read_in_thread(child.stdout.take(), {
            let wanted = wanted.clone();
            move |out| read_messages(out, &wanted)
        });
        let errors = read_in_thread(child.stderr.take(), read_errors);
        let watched = watch(&mut child, &wanted, stop, limits);
        end_build(&mut child, &watched.seen);
        if watched.interrupted {
            return Err(
                "the build was interrupted; cargo and every compiler it started were stopped"
                    .into(),
            );
        }
        // The streams end with the group; a reader still busy after that gives up its part.
        let patience = Duration::from_secs(5);
        let messages = messages.recv_timeout(patience).unwrap_or_default();
        let mut errors = errors.recv_timeout(patience).unwrap_or_default();
        if let Some(advice) = plan.walled.as_ref().and(walls::advice(&errors.kept)) {
            errors.kept = format!("{}\n\n{advice}", errors.kept.trim_end());
        }
        Ok(Outcome {
            built: messages.built,
            messages: messages.by_bin,
            timed_out: watched.timed_out,
            submission_stopped: watched.submission_stopped,
            crashed: errors.crashed,
            cargo_errors: errors.kept,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapper_is_emptied_for_untrusted_code_and_where_one_is_set() {
        assert!(overrides_wrapper(false, true));
        assert!(overrides_wrapper(true, false));
        assert!(overrides_wrapper(true, true));
        // Left unset: cargo then keeps its cache of rustc's answers between builds.
        assert!(!overrides_wrapper(false, false));
    }

    #[test]
    fn limits_come_from_the_switch() {
        let secs = Duration::from_secs;
        assert_eq!(
            Limits::parse(None),
            Ok(Limits {
                exercise: secs(EXERCISE_SECS),
                submission: secs(SUBMISSION_SECS)
            })
        );
        assert_eq!(
            Limits::parse(Some("5")),
            Ok(Limits {
                exercise: secs(5),
                submission: secs(15)
            })
        );
        assert_eq!(
            Limits::parse(Some("8, 5")),
            Ok(Limits {
                exercise: secs(8),
                submission: secs(5)
            })
        );
        for bad in ["", "0", "x", "5,", "-1", "5,6,7"] {
            let error = Limits::parse(Some(bad)).expect_err(bad);
            assert!(error.contains(BUILD_SECS_SWITCH), "{error}");
        }
    }
}
