//! The child's side of the jail: the steps it takes between fork and exec, on memory made
//! before the fork (it may not allocate). In the probe each step reports whether it worked and
//! the next one still runs; in a run the first failure fails the start.

use std::ffi::{CStr, CString};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The data one process may map (RLIMIT_DATA): a backstop against runaway allocation only. A
/// garbage length read from a broken stream is allocated, untouched, well above 1 GiB, and
/// that program deserves the diagnosis of its broken stream, not of an allocation that
/// failed; the memory a run really uses is capped by its cgroup.
const DATA: u64 = 8 << 30;
/// The largest file a run may write (RLIMIT_FSIZE).
const FILE_SIZE: u64 = 64 << 20;

/// Who a run is: what the child does about its user before exec.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Becomes {
    /// Stays the checker's own user (a checker that is not root has nothing to give up).
    Itself,
    /// Root becomes this user and group, with no supplementary group.
    User(u32, u32),
    /// Root keeps its user but drops every capability for good: where root may not trace a
    /// process of another user (no CAP_SYS_PTRACE), a run it can trace is worth more.
    Powerless,
}

impl Becomes {
    /// The checker is root and stays root inside the run's namespaces.
    fn is_root(self) -> bool {
        self != Becomes::Itself
    }
}

/// One step of the set-up, in the order the child takes them.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Step {
    Limits,
    Cgroup,
    Network,
    /// An IPC namespace: System V and POSIX IPC die with the run.
    Ipc,
    /// A mount namespace in which the run's folders are mounted noexec.
    Mounts,
    User,
    Reach,
    Rules,
    /// The jail's seccomp filter (`filter.rs`).
    Filter,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Limits,
        Step::Cgroup,
        Step::Network,
        Step::Ipc,
        Step::Mounts,
        Step::User,
        Step::Reach,
        Step::Rules,
        Step::Filter,
    ];

    /// The byte the probe's child writes when this step worked.
    pub fn letter(self) -> u8 {
        b'a' + self as u8
    }
}

/// Everything the child needs, made before the fork.
pub struct Setup {
    /// The CPU seconds of each process; none for a build (only the rules apply).
    pub cpu_secs: Option<u64>,
    /// The files that join the run's cgroups (`RunCgroup::join_files`: `tasks` in v1,
    /// `cgroup.procs` in v2).
    pub cgroup: Vec<CString>,
    pub netns: bool,
    pub ipc: bool,
    /// The run's folders, mounted again in a mount namespace of its own with noexec (no
    /// program and no library in them can be run, not even through ld.so), each with the
    /// flags its mount already has (a user namespace may not drop them).
    pub noexec: Vec<(CString, libc::c_ulong)>,
    /// The jail's seccomp filter, when the machine takes one.
    pub filter: Option<Vec<libc::sock_filter>>,
    /// `uid uid 1` and `gid gid 1`: a user namespace that maps this user to itself (when the
    /// checker is not root, a network namespace needs one).
    pub maps: (CString, CString),
    /// Who the run becomes: when the checker is root, nobody or root without capabilities.
    pub becomes: Becomes,
    /// Paths the unprivileged user must reach (the probe only).
    pub reach: Vec<CString>,
    pub rules: Option<landlock::RulesetCreated>,
    /// The probe's pipe, which each step that worked writes its letter into.
    pub report: Option<i32>,
}

impl Setup {
    /// The maps of this user onto itself.
    pub fn maps() -> (CString, CString) {
        // SAFETY: geteuid and getegid cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let map = |id: u32| CString::new(format!("{id} {id} 1")).unwrap_or_default();
        (map(uid), map(gid))
    }

    /// A set-up that takes no step: the fields a caller does not set.
    pub fn none() -> Setup {
        Setup {
            cpu_secs: None,
            cgroup: Vec::new(),
            netns: false,
            ipc: false,
            noexec: Vec::new(),
            filter: None,
            maps: Setup::maps(),
            becomes: Becomes::Itself,
            reach: Vec::new(),
            rules: None,
            report: None,
        }
    }

    /// The flags a folder's mount has, to keep when it is mounted again noexec.
    pub fn mount_flags(folder: &std::path::Path) -> libc::c_ulong {
        let Ok(path) = CString::new(folder.as_os_str().as_encoded_bytes()) else {
            return 0;
        };
        // SAFETY: statvfs into a zeroed struct.
        let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
            return 0;
        }
        let kept = [
            (libc::ST_RDONLY, libc::MS_RDONLY),
            (libc::ST_NOATIME, libc::MS_NOATIME),
            (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
            (libc::ST_RELATIME, libc::MS_RELATIME),
        ];
        kept.iter()
            .filter(|(st, _)| stat.f_flag & st != 0)
            .fold(0, |flags, (_, ms)| flags | ms)
    }

    /// Has the child take the steps, after the pre-exec hooks already on `command`.
    pub fn install(mut self, command: &mut Command) {
        // SAFETY: only system calls on memory made before the fork (the Landlock crate's
        // restrict_self makes two system calls).
        unsafe { command.pre_exec(move || self.apply()) };
    }

    fn apply(&mut self) -> std::io::Result<()> {
        if let Some(cpu_secs) = self.cpu_secs {
            self.step(Step::Limits, limits(cpu_secs))?;
        }
        if !self.cgroup.is_empty() {
            let joined = self.cgroup.iter().all(|f| write_file(f, b"0"));
            self.step(Step::Cgroup, joined)?;
        }
        if self.netns {
            let made = if self.becomes.is_root() {
                // Root makes the namespace itself, before it becomes another user.
                unshare(libc::CLONE_NEWNET)
            } else {
                unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET)
                    && write_file(c"/proc/self/setgroups", b"deny")
                    && write_file(c"/proc/self/uid_map", self.maps.0.as_bytes())
                    && write_file(c"/proc/self/gid_map", self.maps.1.as_bytes())
            };
            self.step(Step::Network, made)?;
        }
        if self.ipc {
            // Inside the user namespace of the step before when the checker is not root.
            self.step(Step::Ipc, unshare(libc::CLONE_NEWIPC))?;
        }
        if !self.noexec.is_empty() {
            let mounted = unshare(libc::CLONE_NEWNS)
                && private_root()
                && self.noexec.iter().all(|(f, flags)| mount_noexec(f, *flags))
                && enter_again();
            self.step(Step::Mounts, mounted)?;
        }
        match self.becomes {
            Becomes::Itself => {}
            Becomes::User(uid, gid) => {
                // SAFETY: plain system calls; no supplementary group is kept.
                let became = unsafe {
                    libc::setgroups(0, std::ptr::null()) == 0
                        && libc::setresgid(gid, gid, gid) == 0
                        && libc::setresuid(uid, uid, uid) == 0
                };
                self.step(Step::User, became)?;
                let reached = self.reach.iter().all(|p| {
                    // SAFETY: access(2) on a NUL-terminated path.
                    unsafe { libc::access(p.as_ptr(), libc::X_OK) == 0 }
                });
                self.step(Step::Reach, reached)?;
            }
            Becomes::Powerless => {
                let dropped = drop_capabilities();
                self.step(Step::User, dropped)?;
                self.step(Step::Reach, dropped)?;
            }
        }
        if let Some(rules) = self.rules.take() {
            let enforced = rules.restrict_self().is_ok();
            self.step(Step::Rules, enforced)?;
        }
        if let Some(filter) = &self.filter {
            self.step(Step::Filter, super::filter::install(filter))?;
        }
        Ok(())
    }

    fn step(&self, step: Step, worked: bool) -> std::io::Result<()> {
        match self.report {
            Some(fd) => {
                if worked {
                    let letter = [step.letter()];
                    // SAFETY: a write of a local buffer to the probe's pipe.
                    unsafe { libc::write(fd, letter.as_ptr().cast(), 1) };
                }
                Ok(())
            }
            None if worked => Ok(()),
            None => Err(std::io::Error::other("the sandbox could not be set up")),
        }
    }
}

fn limits(cpu_secs: u64) -> bool {
    let set = |resource, value: u64| {
        let limit = libc::rlimit {
            rlim_cur: value,
            rlim_max: value,
        };
        // SAFETY: setrlimit on a local struct.
        unsafe { libc::setrlimit(resource, &limit) == 0 }
    };
    set(libc::RLIMIT_DATA, DATA)
        & set(libc::RLIMIT_FSIZE, FILE_SIZE)
        & set(libc::RLIMIT_CORE, 0)
        & set(libc::RLIMIT_CPU, cpu_secs)
}

/// Drops every capability of a root process, and locks the securebits so that no exec gives
/// them back (uid 0 would otherwise get the full set again at exec).
fn drop_capabilities() -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    // linux/capability.h and linux/securebits.h.
    const VERSION_3: u32 = 0x2008_0522;
    const NOROOT: libc::c_ulong = 1 << 0;
    const NOROOT_LOCKED: libc::c_ulong = 1 << 1;
    const NO_SETUID_FIXUP: libc::c_ulong = 1 << 2;
    const NO_SETUID_FIXUP_LOCKED: libc::c_ulong = 1 << 3;
    const KEEP_CAPS_LOCKED: libc::c_ulong = 1 << 5;
    let header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let none = [
        Data {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        },
        Data {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        },
    ];
    // SAFETY: prctl and capset on local values; a capability number the kernel does not know
    // fails with EINVAL and is skipped.
    unsafe {
        for cap in 0..64 {
            libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
        }
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        let bits =
            NOROOT | NOROOT_LOCKED | NO_SETUID_FIXUP | NO_SETUID_FIXUP_LOCKED | KEEP_CAPS_LOCKED;
        libc::prctl(libc::PR_SET_SECUREBITS, bits, 0, 0, 0) == 0
            && libc::syscall(libc::SYS_capset, &header as *const Header, none.as_ptr()) == 0
    }
}

/// Makes every mount of this new mount namespace private, so that nothing mounted here
/// reaches the checker's namespace.
fn private_root() -> bool {
    // SAFETY: mount(2) with constant strings and no data.
    unsafe {
        libc::mount(
            c"none".as_ptr(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) == 0
    }
}

/// Mounts `folder` on itself again, noexec, nosuid and nodev, keeping `flags`.
fn mount_noexec(folder: &CStr, flags: libc::c_ulong) -> bool {
    let again = libc::MS_REMOUNT
        | libc::MS_BIND
        | libc::MS_NOEXEC
        | libc::MS_NOSUID
        | libc::MS_NODEV
        | flags;
    // SAFETY: mount(2) on a NUL-terminated path made before the fork, and no data.
    unsafe {
        libc::mount(
            folder.as_ptr(),
            folder.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REC,
            std::ptr::null(),
        ) == 0
            && libc::mount(
                std::ptr::null(),
                folder.as_ptr(),
                std::ptr::null(),
                again,
                std::ptr::null(),
            ) == 0
    }
}

/// Changes into the working folder again, by its path: the working folder was entered before
/// its noexec mount was made, through the mount beneath, where files can still be run.
fn enter_again() -> bool {
    let mut path = [0u8; libc::PATH_MAX as usize];
    // SAFETY: getcwd into a local buffer, then chdir on what it wrote (NUL-terminated).
    unsafe {
        !libc::getcwd(path.as_mut_ptr().cast(), path.len()).is_null()
            && libc::chdir(path.as_ptr().cast()) == 0
    }
}

fn unshare(flags: libc::c_int) -> bool {
    // SAFETY: unshare(2) with namespace flags.
    unsafe { libc::unshare(flags) == 0 }
}

/// Writes `bytes` into an existing file with one write.
fn write_file(path: &CStr, bytes: &[u8]) -> bool {
    // SAFETY: open, write and close on a NUL-terminated path and a local buffer.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return false;
        }
        let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        libc::close(fd);
        written == bytes.len() as isize
    }
}
