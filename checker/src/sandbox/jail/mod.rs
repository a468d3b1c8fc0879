//! The wall around student code, put up in the child between fork and exec so that everything
//! the program starts inherits it (`setup`): resource limits, a cgroup per run (`cgroup`), a
//! session without a terminal, network and IPC namespaces of its own, its folders mounted
//! noexec, an unprivileged user when the checker is root, Landlock's rules on files, TCP and
//! signals (`rules`), and a seccomp filter against what the run has no use for (`filter`).
//! `Jail::probe` finds once what this machine allows; what it does not is named, in one line,
//! in every report.

#[cfg(target_os = "linux")]
mod cgroup;
#[cfg(target_os = "linux")]
mod filter;
#[cfg(target_os = "linux")]
mod rules;
#[cfg(target_os = "linux")]
mod setup;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The user and group a root checker runs student code as (nobody, nogroup).
#[cfg(target_os = "linux")]
const NOBODY: (u32, u32) = (65534, 65534);
/// Memory a whole run may really use (pages touched), where a memory cgroup is available.
pub const RUN_MEMORY: u64 = 1 << 30;
/// A run's share of the CPU, where a cpu cgroup is available, as so many ordinary busy
/// processes' worth: a run mostly sleeps and waits, but when it wakes up, a neighbour with
/// a few busy processes must not make its lines late.
pub const RUN_CPU: u64 = 8;

/// What one run may touch besides the system's folders.
#[derive(Debug, Clone, Default)]
pub struct Walls {
    /// Folders it may read and change (its run folder).
    pub writable: Vec<PathBuf>,
    /// Folders it may read.
    pub readable: Vec<PathBuf>,
    /// Programs it may run besides the system's (its own binary).
    pub executable: Vec<PathBuf>,
}

/// What the machine lets the checker put around a run, found once by `probe`.
#[derive(Debug)]
pub struct Jail {
    /// A network namespace per run (root: directly; otherwise inside a user namespace).
    netns: bool,
    /// An IPC namespace per run (as the network's).
    ipc: bool,
    /// A mount namespace per run, its folders mounted noexec.
    noexec: bool,
    /// The jail's seccomp filter.
    filter: bool,
    /// Who runs become: nobody, or root without its capabilities, when the checker is root.
    #[cfg(target_os = "linux")]
    becomes: setup::Becomes,
    /// Landlock's ABI, when its rules can be enforced (0: not at all).
    landlock: i32,
    #[cfg(target_os = "linux")]
    cgroups: Option<cgroup::Controllers>,
    /// Folders no run may find on its PATH (the workbook, the target directory, the
    /// checker's home).
    hidden: Vec<PathBuf>,
    /// No wall at all, not even the limits.
    off: bool,
    /// The protections this machine does not give, in a few words each.
    missing: Vec<String>,
}

/// What of a run's jail lives in the checker: the run's cgroups, which kill what is left in
/// them, and go, when dropped.
#[derive(Debug)]
pub struct Confined {
    #[cfg(target_os = "linux")]
    cgroup: Option<cgroup::RunCgroup>,
    /// The run's folders, given back to the checker when the run is over.
    #[cfg(target_os = "linux")]
    folders: Vec<PathBuf>,
}

#[cfg(target_os = "linux")]
impl Drop for Confined {
    fn drop(&mut self) {
        // Every process of the run is gone by now: none can change them again.
        take_back(&self.folders);
    }
}

impl Confined {
    /// Kills every process in the run's cgroups: a process cannot leave them.
    pub fn kill_all(&self) {
        #[cfg(target_os = "linux")]
        if let Some(cgroup) = &self.cgroup {
            cgroup.kill_all();
        }
    }

    /// Whether the run used all the memory its cgroup allows.
    pub fn memory_full(&self) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(cgroup) = &self.cgroup {
            return cgroup.memory_full();
        }
        false
    }
}

impl Jail {
    /// No wall at all (an instructor's `PIPES_LAB_SANDBOX=off`, to measure what it costs).
    pub fn off(hidden: Vec<PathBuf>, why: &str) -> Jail {
        Jail {
            netns: false,
            ipc: false,
            noexec: false,
            filter: false,
            #[cfg(target_os = "linux")]
            becomes: setup::Becomes::Itself,
            landlock: 0,
            #[cfg(target_os = "linux")]
            cgroups: None,
            hidden: Jail::hideable(hidden),
            off: true,
            missing: vec![format!("every protection ({why})")],
        }
    }

    /// The protections this machine does not give.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    /// The PATH a run gets: the checker's, without folders it must not see or reach.
    pub fn path(&self) -> Vec<PathBuf> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<PathBuf> = std::env::split_paths(&path)
            .filter(|d| d.is_absolute() && d.is_dir())
            .filter(|d| !self.hidden.iter().any(|h| d.starts_with(h)))
            .collect();
        if dirs.is_empty() {
            dirs = vec!["/usr/bin".into(), "/bin".into()];
        }
        dirs
    }

    /// Folders worth hiding: not the root folder, nor one that holds the system's.
    fn hideable(hidden: Vec<PathBuf>) -> Vec<PathBuf> {
        hidden
            .into_iter()
            .filter(|h| h.is_absolute() && !Path::new("/usr").starts_with(h))
            .collect()
    }
}

#[cfg(not(target_os = "linux"))]
impl Jail {
    pub fn confine_build(
        &self,
        _: &mut Command,
        _: &[PathBuf],
        _: &[PathBuf],
        _: &[PathBuf],
        _: &[PathBuf],
    ) -> std::io::Result<()> {
        Ok(())
    }

    pub fn probe(_reach: &[PathBuf], hidden: Vec<PathBuf>) -> Jail {
        Jail {
            netns: false,
            ipc: false,
            noexec: false,
            filter: false,
            landlock: 0,
            hidden: Jail::hideable(hidden),
            off: true,
            missing: vec!["the sandbox (it needs Linux)".into()],
        }
    }

    pub fn confine(&self, _: &mut Command, _: &Walls, _: u64) -> std::io::Result<Confined> {
        let _ = (
            self.netns,
            self.ipc,
            self.noexec,
            self.filter,
            self.landlock,
            self.off,
        );
        Ok(Confined {})
    }
}

#[cfg(target_os = "linux")]
impl Jail {
    /// Tries every protection once, in a throwaway child running `true`, to learn what this
    /// machine allows. `reach` are the paths a run's program must get to as the unprivileged
    /// user (its binary's folder, the run folders), `hidden` those it must not find on PATH.
    pub fn probe(reach: &[PathBuf], hidden: Vec<PathBuf>) -> Jail {
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let becomes = match root {
            true => setup::Becomes::User(NOBODY.0, NOBODY.1),
            false => setup::Becomes::Itself,
        };
        Jail::probe_as(becomes, reach, hidden)
    }

    /// Whether runs become another user, whose processes root may not be able to trace.
    pub fn switches_user(&self) -> bool {
        matches!(self.becomes, setup::Becomes::User(..))
    }

    /// Whether runs keep root's user without its capabilities (`powerless`).
    pub fn is_powerless(&self) -> bool {
        self.becomes == setup::Becomes::Powerless
    }

    /// The jail for a root checker whose runs must keep its user to be traced: root without
    /// any capability, reading only what every user may, behind every other wall. `why` says
    /// why runs cannot be another user. None where Landlock cannot keep such a run from
    /// signalling the checker and other runs, which share its user (Linux 6.12).
    pub fn powerless(reach: &[PathBuf], hidden: Vec<PathBuf>, why: &str) -> Option<Jail> {
        let mut jail = Jail::probe_as(setup::Becomes::Powerless, reach, hidden);
        if jail.becomes != setup::Becomes::Powerless || jail.landlock < 6 {
            return None;
        }
        jail.missing.insert(
            0,
            format!(
                "an unprivileged user ({why}: runs keep root's user, without its capabilities)"
            ),
        );
        Some(jail)
    }

    fn probe_as(becomes: setup::Becomes, reach: &[PathBuf], hidden: Vec<PathBuf>) -> Jail {
        use setup::Step;
        let root = becomes != setup::Becomes::Itself;
        let mut jail = Jail {
            netns: true,
            ipc: true,
            noexec: true,
            filter: true,
            becomes,
            landlock: rules::abi(),
            cgroups: if root {
                cgroup::Controllers::find()
            } else {
                None
            },
            hidden: Jail::hideable(hidden),
            off: false,
            missing: Vec::new(),
        };
        let walls = Walls {
            readable: reach.to_vec(),
            ..Walls::default()
        };
        let worked = jail.try_out(&walls, reach);
        let ok = |step: Step| worked.contains(&step);
        jail.netns = ok(Step::Network);
        jail.ipc = ok(Step::Ipc);
        jail.noexec = ok(Step::Mounts);
        jail.filter = ok(Step::Filter);
        if !ok(Step::Rules) {
            jail.landlock = 0;
        }
        if !ok(Step::Cgroup) {
            jail.cgroups = None;
        }
        let mut missing = Vec::new();
        if root && !(ok(Step::User) && ok(Step::Reach)) {
            jail.becomes = setup::Becomes::Itself;
            missing.push(match becomes {
                setup::Becomes::Powerless => {
                    "an unprivileged user, nor root without its capabilities"
                }
                _ if ok(Step::User) => {
                    "an unprivileged user (the programs are not reachable by nobody)"
                }
                _ => "an unprivileged user",
            });
        }
        if !jail.netns {
            missing.push("a network namespace");
        }
        if !jail.ipc {
            missing.push("an IPC namespace (System V and POSIX IPC outlive a run)");
        }
        if !jail.noexec {
            missing.push("a mount namespace (a file in the run folder can be run)");
        }
        if !jail.filter {
            missing.push(
                "a seccomp filter (io_uring, memfd_create, inotify and 32-bit calls are not refused)",
            );
        }
        match jail.landlock {
            0 => missing.push("Landlock (files, TCP and signals are not confined)"),
            1..=3 => missing.push("Landlock's TCP rules (Linux 6.7)"),
            _ => {}
        }
        if (1..6).contains(&jail.landlock) {
            missing.push("Landlock's signal scoping (Linux 6.12)");
        }
        let has = jail.cgroups.as_ref().map(|c| c.has());
        if !has.is_some_and(|h| h.tasks) {
            missing.push("a pids cgroup");
        }
        if !has.is_some_and(|h| h.memory) {
            missing.push("a memory cgroup");
        }
        if !has.is_some_and(|h| h.cpu) {
            missing.push("a cpu cgroup");
        }
        jail.missing = missing.into_iter().map(String::from).collect();
        jail
    }

    /// Puts the wall around one run of `command`: the run's cgroup is made and its folders
    /// handed to the unprivileged user now; the rest happens in the child. `cpu_secs` caps
    /// each process's CPU time.
    pub fn confine(
        &self,
        command: &mut Command,
        walls: &Walls,
        cpu_secs: u64,
    ) -> std::io::Result<Confined> {
        if self.off {
            return Ok(Confined {
                cgroup: None,
                folders: walls.writable.clone(),
            });
        }
        if let setup::Becomes::User(uid, gid) = self.becomes {
            for path in &walls.writable {
                hand_over(path, uid, gid)?;
            }
        }
        let cgroup = match &self.cgroups {
            Some(c) => Some(c.make(self.caps())?),
            None => None,
        };
        setup::Setup {
            cpu_secs: Some(cpu_secs),
            cgroup: cgroup
                .as_ref()
                .map(cgroup::RunCgroup::join_files)
                .unwrap_or_default(),
            netns: self.netns,
            ipc: self.ipc,
            noexec: if self.noexec {
                noexec(&walls.writable)
            } else {
                Vec::new()
            },
            filter: self.filter.then(filter::program),
            becomes: self.becomes,
            rules: self.rules(walls)?,
            ..setup::Setup::none()
        }
        .install(command);
        Ok(Confined {
            cgroup,
            folders: walls.writable.clone(),
        })
    }

    /// Puts a build of untrusted code behind Landlock's rules (`rules::build_ruleset`): it
    /// reads `readable`, reads and runs programs from the system's folders and `runnable` (the
    /// toolchain), and changes `writable` (its staged copy, target directory and cargo home);
    /// `closed` stays shut even inside a system folder. The rest of the jail is for runs: a
    /// build runs no code of the submission's, and its compilers need the checker's user to
    /// read the toolchain.
    pub fn confine_build(
        &self,
        command: &mut Command,
        readable: &[PathBuf],
        runnable: &[PathBuf],
        writable: &[PathBuf],
        closed: &[PathBuf],
    ) -> std::io::Result<()> {
        if self.landlock == 0 {
            return Ok(());
        }
        let rules = rules::build_ruleset(readable, runnable, writable, closed).map_err(|e| {
            std::io::Error::other(format!("cannot make the Landlock rules of the build: {e}"))
        })?;
        setup::Setup {
            rules: Some(rules),
            ..setup::Setup::none()
        }
        .install(command);
        Ok(())
    }

    fn caps(&self) -> cgroup::Caps {
        cgroup::Caps {
            // Above the tracer's cap, which stops a traced run first and says why.
            tasks: 2 * super::runner::TASK_CAP,
            memory: RUN_MEMORY,
            cpu: RUN_CPU,
        }
    }

    fn rules(&self, walls: &Walls) -> std::io::Result<Option<landlock::RulesetCreated>> {
        if self.landlock == 0 {
            return Ok(None);
        }
        // A run that keeps the checker's user owns that user's files: a terminal of its in
        // /dev/pts, root's /etc/shadow.
        let keeps_user = !matches!(self.becomes, setup::Becomes::User(..));
        rules::ruleset(walls, &self.path(), keeps_user, &self.hidden)
            .map(Some)
            .map_err(|e| std::io::Error::other(format!("cannot make the Landlock rules: {e}")))
    }

    /// Runs `true` behind every protection, each step reporting whether it worked; returns
    /// the steps that did (the rules only if `true` could still run behind them).
    fn try_out(&self, walls: &Walls, reach: &[PathBuf]) -> Vec<setup::Step> {
        use std::os::unix::ffi::OsStrExt;
        let Some(program) = ["/usr/bin/true", "/bin/true"]
            .iter()
            .map(Path::new)
            .find(|p| p.exists())
        else {
            return Vec::new();
        };
        let Ok((mut said, report)) = std::io::pipe() else {
            return Vec::new();
        };
        let cgroup = self.cgroups.as_ref().and_then(|c| c.make(self.caps()).ok());
        let mut command = Command::new(program);
        command
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let folders: Vec<PathBuf> = reach.iter().filter(|p| p.is_dir()).cloned().collect();
        setup::Setup {
            cpu_secs: Some(5),
            cgroup: cgroup
                .as_ref()
                .map(cgroup::RunCgroup::join_files)
                .unwrap_or_default(),
            netns: true,
            ipc: true,
            noexec: noexec(&folders),
            filter: Some(filter::program()),
            becomes: self.becomes,
            reach: reach
                .iter()
                .filter_map(|p| std::ffi::CString::new(p.as_os_str().as_bytes()).ok())
                .collect(),
            rules: self.rules(walls).ok().flatten(),
            report: Some(std::os::fd::AsRawFd::as_raw_fd(&report)),
            ..setup::Setup::none()
        }
        .install(&mut command);
        let ran = command.status().is_ok_and(|s| s.success());
        drop(command);
        drop(report);
        let mut letters = Vec::new();
        let _ = std::io::Read::read_to_end(&mut said, &mut letters);
        drop(cgroup);
        // A step after the namespaces that kept `true` from running is not kept.
        use setup::Step::{Filter, Mounts, Rules};
        setup::Step::ALL
            .into_iter()
            .filter(|s| {
                letters.contains(&s.letter()) && (ran || ![Rules, Mounts, Filter].contains(s))
            })
            .collect()
    }
}

/// The folders to mount again noexec, each with the flags its mount has.
#[cfg(target_os = "linux")]
fn noexec(folders: &[PathBuf]) -> Vec<(std::ffi::CString, libc::c_ulong)> {
    folders
        .iter()
        .filter_map(|f| {
            let path = std::ffi::CString::new(f.as_os_str().as_encoded_bytes()).ok()?;
            Some((path, setup::Setup::mount_flags(f)))
        })
        .collect()
}

/// Lets the checker remove what a run left in its folders, whatever the run did to their
/// permissions (a folder `chmod 000`'d by the program cannot be emptied otherwise): every
/// folder gets its owner's rights back. No link is followed.
#[cfg(target_os = "linux")]
fn take_back(folders: &[PathBuf]) {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = folders.to_vec();
    while let Some(dir) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let mode = meta.permissions().mode() | 0o700;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            stack.extend(entries.flatten().map(|e| e.path()));
        }
    }
}

/// Gives a run's folder (or file) to the unprivileged user, and lets it through its parent.
#[cfg(target_os = "linux")]
fn hand_over(path: &Path, uid: u32, gid: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        let mode = std::fs::metadata(parent)?.permissions().mode();
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode | 0o111))?;
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        std::os::unix::fs::lchown(&p, Some(uid), Some(gid))?;
        if p.is_dir() && !p.is_symlink() {
            for entry in std::fs::read_dir(&p)? {
                stack.push(entry?.path());
            }
        }
    }
    Ok(())
}
