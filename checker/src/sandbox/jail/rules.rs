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
/// Devices a program may write into: none that another process reads.
const DEVICES: [&str; 4] = ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"];

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
/// system's part: its folders read and run from (with `path_dirs`), /etc and /proc read, the
/// harmless devices written.
fn system(path_dirs: &[PathBuf]) -> Result<RulesetCreated, RulesetError> {
    let system = SYSTEM
        .iter()
        .map(Path::new)
        .chain(path_dirs.iter().map(PathBuf::as_path));
    landlock::Ruleset::default()
        .handle_access(all())?
        .handle_access(AccessNet::from_all(TARGET))?
        .scope(Scope::from_all(TARGET))?
        .create()?
        .add_rules(path_beneath_rules(existing(system), read()))?
        .add_rules(path_beneath_rules(
            existing(READ_ONLY.iter().map(Path::new)),
            read_only(),
        ))?
        .add_rules(path_beneath_rules(
            existing(DEVICES.iter().map(Path::new)),
            file(),
        ))
}

/// The ruleset of one run, made before the fork; the child restricts itself with it.
pub fn ruleset(walls: &Walls, path_dirs: &[PathBuf]) -> Result<RulesetCreated, RulesetError> {
    let change = all() & !BitFlags::from(AccessFs::Execute);
    system(path_dirs)?
        .add_rules(path_beneath_rules(&walls.readable, read_only()))?
        .add_rules(path_beneath_rules(&walls.writable, change))?
        .add_rules(path_beneath_rules(&walls.appendable, file()))?
        .add_rules(path_beneath_rules(
            &walls.executable,
            AccessFs::ReadFile | AccessFs::Execute,
        ))
}

/// The ruleset of a build of untrusted code: the system's folders and `readable` to read and
/// run programs from, `writable` to change (and run its build scripts from).
pub fn build_ruleset(
    readable: &[PathBuf],
    writable: &[PathBuf],
) -> Result<RulesetCreated, RulesetError> {
    system(&[])?
        .add_rules(path_beneath_rules(readable, read()))?
        .add_rules(path_beneath_rules(writable, all()))
}
