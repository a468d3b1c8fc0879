//! Landlock's rules for one run: what the program may read, run and write, no TCP, no signals
//! or ptrace beyond its own processes, no abstract socket outside them.

use super::Walls;
use landlock::{
    ABI, Access, AccessFs, AccessNet, BitFlags, RulesetAttr, RulesetCreated, RulesetCreatedAttr,
    RulesetError, Scope, path_beneath_rules,
};
use std::path::{Path, PathBuf};

/// The newest Landlock ABI whose rights the checker asks for; older kernels grant what they
/// know (best effort), and the report says what that leaves out.
const TARGET: ABI = ABI::V6;

/// Folders of the system a program may read and run programs from.
pub const SYSTEM: [&str; 9] = [
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt", "/nix",
];
/// Folders a program may read, but run nothing from.
const READ_ONLY: [&str; 3] = ["/etc", "/proc", "/dev"];
/// Devices a program may write into: none that another process reads (not /dev/tty: a run
/// has no terminal of its own, and may not write on the instructor's).
const DEVICES: [&str; 3] = ["/dev/null", "/dev/zero", "/dev/full"];

/// The Landlock ABI of this kernel: 0 when Landlock is not there or not enabled.
pub fn abi() -> i32 {
    const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
    // SAFETY: the documented way to ask for the ABI version: no ruleset, size 0.
    let version = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    version.max(0) as i32
}

/// The rights the rules grant.
fn all() -> BitFlags<AccessFs> {
    AccessFs::from_all(TARGET)
}
fn read() -> BitFlags<AccessFs> {
    AccessFs::from_read(TARGET)
}
fn read_only() -> BitFlags<AccessFs> {
    read() & !BitFlags::from(AccessFs::Execute)
}
fn file() -> BitFlags<AccessFs> {
    AccessFs::ReadFile | AccessFs::WriteFile
}

fn existing<'a>(paths: impl IntoIterator<Item = &'a Path>) -> impl Iterator<Item = &'a Path> {
    paths.into_iter().filter(|p| p.exists())
}

/// Every file, TCP and scope right handled (so refused unless a rule grants it), and the
/// system's part: its folders read and run from (with `path_dirs`), /etc, /dev and /proc
/// read, the harmless devices written. A run that keeps the checker's user (`keeps_user`, root
/// or not) owns that user's files, so it gets only the parts of /etc and /dev that every user
/// may read. `closed` (the workbook, its target directory) stays shut even inside a system
/// folder.
fn system(
    path_dirs: &[PathBuf],
    keeps_user: bool,
    closed: &[PathBuf],
) -> Result<RulesetCreated, RulesetError> {
    let system = granted(
        SYSTEM
            .iter()
            .map(Path::new)
            .chain(path_dirs.iter().map(PathBuf::as_path)),
        closed,
    );
    let read_only_paths: Vec<PathBuf> = READ_ONLY
        .iter()
        .map(Path::new)
        .flat_map(|top| match keeps_user && top != Path::new("/proc") {
            true => open_to_all(top),
            false => vec![top.to_path_buf()],
        })
        .collect();
    landlock::Ruleset::default()
        .handle_access(all())?
        .handle_access(AccessNet::from_all(TARGET))?
        .scope(Scope::from_all(TARGET))?
        .create()?
        .add_rules(path_beneath_rules(&system, read()))?
        .add_rules(path_beneath_rules(
            existing(read_only_paths.iter().map(PathBuf::as_path)),
            read_only(),
        ))?
        .add_rules(path_beneath_rules(
            existing(DEVICES.iter().map(Path::new)),
            file(),
        ))
}

/// The ruleset of one run, made before the fork; the child restricts itself with it.
pub fn ruleset(
    walls: &Walls,
    path_dirs: &[PathBuf],
    keeps_user: bool,
    closed: &[PathBuf],
) -> Result<RulesetCreated, RulesetError> {
    let change = all() & !BitFlags::from(AccessFs::Execute);
    system(path_dirs, keeps_user, closed)?
        .add_rules(path_beneath_rules(&walls.readable, read_only()))?
        .add_rules(path_beneath_rules(&walls.writable, change))?
        .add_rules(path_beneath_rules(
            &walls.executable,
            AccessFs::ReadFile | AccessFs::Execute,
        ))
}

/// `tops` as Landlock sees them (where they really lie), each whole, or when a `closed`
/// folder lies inside it (a workbook under /opt, a cargo home under /usr/local), everything
/// beside the way down to that folder.
fn granted<'a>(tops: impl IntoIterator<Item = &'a Path>, closed: &[PathBuf]) -> Vec<PathBuf> {
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let closed: Vec<PathBuf> = closed.iter().map(|c| real(c)).collect();
    let mut grant = Vec::new();
    for top in existing(tops) {
        around(&real(top), &closed, &mut grant);
    }
    grant
}

/// `top`, or everything beside the way down to the closed folders in it (never through a
/// link, which Landlock would follow).
fn around(top: &Path, closed: &[PathBuf], grant: &mut Vec<PathBuf>) {
    if closed.iter().any(|c| c == top) {
        return;
    }
    if !closed.iter().any(|c| c.starts_with(top)) {
        grant.push(top.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(top).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| !t.is_symlink()) {
            around(&entry.path(), closed, grant);
        }
    }
}

/// The ruleset of a build of untrusted code, which needs far less than a run (measured with
/// strace on cargo, rustc, cc and ld): the system's folders and `runnable` (the toolchain) to
/// read and run programs from, `readable` (the dependencies' sources, cargo's settings) to
/// read, `writable` (the staged copy, its target directory and cargo home) to change. Of /etc
/// only the dynamic loader's cache, of /dev only null, zero and urandom; nothing of /proc or
/// /sys (what the toolchain reads there, such as /proc/self/maps or the cgroup's CPU quota,
/// it can do without), no TCP, no signal or abstract socket outside the build. `closed` stays
/// out of reach even inside a system folder (a cargo home under /usr/local, with its
/// credentials), but for what the other lists grant in it.
pub fn build_ruleset(
    readable: &[PathBuf],
    runnable: &[PathBuf],
    writable: &[PathBuf],
    closed: &[PathBuf],
) -> Result<RulesetCreated, RulesetError> {
    const LOADER_CACHE: &str = "/etc/ld.so.cache";
    const DEVICES_READ: [&str; 2] = ["/dev/zero", "/dev/urandom"];
    const DEVICES_WRITTEN: [&str; 1] = ["/dev/null"];
    let mut run = granted(SYSTEM.iter().map(Path::new), closed);
    run.extend(runnable.iter().cloned());
    let read_only_paths = std::iter::once(LOADER_CACHE)
        .chain(DEVICES_READ)
        .map(Path::new)
        .chain(readable.iter().map(PathBuf::as_path));
    landlock::Ruleset::default()
        .handle_access(all())?
        .handle_access(AccessNet::from_all(TARGET))?
        .scope(Scope::from_all(TARGET))?
        .create()?
        .add_rules(path_beneath_rules(
            existing(run.iter().map(PathBuf::as_path)),
            read(),
        ))?
        .add_rules(path_beneath_rules(existing(read_only_paths), read_only()))?
        .add_rules(path_beneath_rules(
            existing(DEVICES_WRITTEN.iter().map(Path::new)),
            file(),
        ))?
        .add_rules(path_beneath_rules(
            existing(writable.iter().map(PathBuf::as_path)),
            all(),
        ))
}

/// Entries of a folder tree walked at most, so that a strange /dev cannot hold a check up.
const WALK_BUDGET: usize = 20_000;

/// The paths beneath `top` that every user may read: `top` itself when all of it is, else the
/// largest such parts. Symbolic links are never granted: Landlock judges a link's target
/// where it lies.
fn open_to_all(top: &Path) -> Vec<PathBuf> {
    let mut grant = Vec::new();
    let mut budget = WALK_BUDGET;
    if readable_by_all(top, &mut grant, &mut budget) {
        return vec![top.to_path_buf()];
    }
    grant
}

/// Whether everything beneath `path` is readable by every user; when not, the parts that are
/// go into `grant`.
fn readable_by_all(path: &Path, grant: &mut Vec<PathBuf>, budget: &mut usize) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if meta.file_type().is_symlink() {
        return true;
    }
    let mode = meta.permissions().mode();
    if !meta.is_dir() {
        return mode & 0o004 != 0;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    let mut whole = Vec::new();
    let mut all = mode & 0o005 == 0o005;
    for entry in entries.flatten() {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let child = entry.path();
        if readable_by_all(&child, grant, budget) {
            whole.push(child);
        } else {
            all = false;
        }
    }
    if !all {
        grant.extend(whole.into_iter().filter(|p| !p.is_symlink()));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_closed_folder_inside_a_granted_one_stays_shut() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let top = tmp.path().canonicalize().expect("its real path");
        for dir in ["opt/workbook/solutions", "opt/other", "lib"] {
            std::fs::create_dir_all(top.join(dir)).expect("a folder");
        }
        std::fs::write(top.join("opt/file"), "x").expect("a file");
        std::os::unix::fs::symlink(top.join("opt/workbook"), top.join("opt/link")).expect("a link");
        let mut grant = granted([top.as_path()], &[top.join("opt/workbook")]);
        grant.sort();
        // The way down is split; the link, which Landlock would follow, is left out.
        assert_eq!(
            grant,
            [top.join("lib"), top.join("opt/file"), top.join("opt/other")]
        );
        // Nothing closed inside: the folder is granted whole.
        assert_eq!(granted([top.as_path()], &[]), vec![top]);
    }

    #[test]
    fn a_root_run_reads_only_what_every_user_may() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let top = tmp.path().join("etc");
        std::fs::create_dir_all(top.join("ssl/private")).expect("folders");
        for (file, mode) in [
            ("passwd", 0o644),
            ("shadow", 0o640),
            ("ssl/cert.pem", 0o644),
            ("ssl/private/key.pem", 0o600),
        ] {
            std::fs::write(top.join(file), "x").expect("a file");
            std::fs::set_permissions(top.join(file), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
        std::fs::set_permissions(
            top.join("ssl/private"),
            std::fs::Permissions::from_mode(0o700),
        )
        .expect("chmod");
        std::os::unix::fs::symlink("/root", top.join("elsewhere")).expect("a link");
        let mut granted = open_to_all(&top);
        granted.sort();
        assert_eq!(granted, vec![top.join("passwd"), top.join("ssl/cert.pem")]);
        let open = tmp.path().join("open");
        std::fs::create_dir_all(open.join("sub")).expect("folders");
        std::fs::write(open.join("sub/file"), "x").expect("a file");
        assert_eq!(open_to_all(&open), vec![open.clone()]);
    }
}
