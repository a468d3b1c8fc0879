//! What a build of another copy may touch, and what it is told: the folders Landlock lets it
//! read, run programs from and change; a cargo home of its own; and an environment holding
//! only what cargo needs, so that `option_env!` and `env!` see nothing of the checker's.
//!
//! Measured with strace on `cargo build --offline` of a staged copy: cargo reads the
//! registry's index cache and the dependencies' unpacked sources, and writes only its locks
//! and last-use database in its cargo home; rustc, cc and ld read the toolchain, /usr and /lib,
//! and the dynamic loader's cache; nothing else of the real cargo home is opened.

use super::stage::Stage;
use crate::workbook::Workbook;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// What a build of untrusted code may touch, besides the system's folders.
#[derive(Debug, Clone, Default)]
pub struct BuildWalls {
    /// Folders and files to read: the dependencies' sources, cargo's settings.
    pub readable: Vec<PathBuf>,
    /// Folders to read and run programs from: the toolchain.
    pub runnable: Vec<PathBuf>,
    /// Folders to change: the staged copy, its target directory and the cargo home in it.
    pub writable: Vec<PathBuf>,
    /// Folders shut even where a system folder holds them: the real cargo home (the
    /// devcontainer's is /usr/local/cargo), but for its registry and programs, and the
    /// workbook with its target directory, but for the build's own folders in it.
    pub closed: Vec<PathBuf>,
}

/// A build of another copy: its stage, its walls and its whole environment.
pub(super) struct Walled {
    pub(super) stage: Stage,
    pub(super) walls: BuildWalls,
    pub(super) env: Vec<(OsString, OsString)>,
}

impl Workbook {
    /// The walls, cargo home and environment of the build of `stage` into `target_dir`.
    pub(super) fn wall(&self, stage: Stage, target_dir: &Path) -> Result<Walled, String> {
        // The toolchain and the registry are the machine's, trusted: links in their paths
        // are followed, for Landlock judges a file where it really lies.
        let real = real_cargo_home().and_then(|home| home.canonicalize().ok());
        let registry = real
            .as_ref()
            .and_then(|home| home.join("registry").canonicalize().ok());
        let cargo_home = private_cargo_home(target_dir, registry.as_deref())?;
        let mut readable: Vec<PathBuf> = registry
            .iter()
            .flat_map(|r| ["index", "cache", "src"].map(|part| r.join(part)))
            .collect();
        readable.extend(settings_above(stage.dir()));
        let runnable = toolchain(&self.cargo, real.as_deref());
        let writable = vec![stage.dir().to_path_buf(), target_dir.to_path_buf()];
        let env = environment(&cargo_home, &stage.tmp());
        // The real cargo home (its credentials), and the workbook with its solutions and
        // target directory, wherever they lie: in a system folder too (/usr/local, /opt).
        let closed = real
            .into_iter()
            .chain([self.root.clone(), self.target_dir.clone()])
            .collect();
        Ok(Walled {
            stage,
            walls: BuildWalls {
                readable,
                runnable,
                writable,
                closed,
            },
            env,
        })
    }
}

/// The cargo home of builds of copies, under their target directory: no credentials, no
/// settings, no installed tools, only `registry`, a link to the real one's, which Landlock
/// lets the build read and not change. Always the same path: cargo knows a dependency by
/// the path of its sources, and a new one would rebuild them all.
fn private_cargo_home(target_dir: &Path, registry: Option<&Path>) -> Result<PathBuf, String> {
    let home = target_dir.join("cargo-home");
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let link = home.join("registry");
    let Some(registry) = registry else {
        return Ok(home);
    };
    if std::fs::read_link(&link).is_ok_and(|to| to == registry) {
        return Ok(home);
    }
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_dir_all(&link);
    std::os::unix::fs::symlink(registry, &link)
        .map_err(|e| format!("cannot link {} to cargo's registry: {e}", link.display()))?;
    Ok(home)
}

/// The cargo home the checker was given, where cargo keeps the registry, and credentials.
fn real_cargo_home() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    std::path::absolute(home).ok()
}

/// Rustup's home (its toolchains and settings), where there is one.
fn rustup_home() -> Option<PathBuf> {
    let home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".rustup")))?;
    std::path::absolute(home).ok().filter(|h| h.is_dir())
}

/// The settings cargo and rustup read in the folders above the build's working folder (the
/// stage): a file the build may not read would fail it.
fn settings_above(stage: &Path) -> Vec<PathBuf> {
    const SETTINGS: [&str; 4] = [
        ".cargo/config.toml",
        ".cargo/config",
        "rust-toolchain.toml",
        "rust-toolchain",
    ];
    stage
        .ancestors()
        .flat_map(|folder| SETTINGS.map(|name| folder.join(name)))
        .filter(|file| file.is_file())
        .collect()
}

/// The toolchain's folders: rustup's home, and the folders of cargo and rustc as they are
/// found (rustup's proxies, or the toolchain's own programs), link and target. Never a folder
/// that holds the real cargo home, where the credentials are.
fn toolchain(cargo: &Path, real_cargo_home: Option<&Path>) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = rustup_home().into_iter().collect();
    for program in [cargo, Path::new("rustc")] {
        let Some(path) = on_path(program) else {
            continue;
        };
        let target = path.canonicalize().unwrap_or_else(|_| path.clone());
        found.extend(
            [path, target]
                .iter()
                .filter_map(|p| p.parent().map(Path::to_path_buf)),
        );
    }
    found.retain(|folder| !real_cargo_home.is_some_and(|home| home.starts_with(folder)));
    found.sort();
    found.dedup();
    found
}

/// Where a program named as cargo would name it is: a path as it is, a bare name on PATH.
fn on_path(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return std::path::absolute(program).ok();
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

/// The whole environment of a walled build: PATH (cargo, rustc and the linker are found on
/// it), rustup's home and toolchain, the private cargo home, a temporary folder inside the
/// stage, and the locale. None of the checker's other variables reaches cargo, and so rustc.
fn environment(cargo_home: &Path, tmp: &Path) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(name, _)| passed_on(name))
        .collect();
    env.extend(rustup_home().map(|home| ("RUSTUP_HOME".into(), home.into())));
    env.extend([
        ("CARGO_HOME".into(), cargo_home.into()),
        ("TMPDIR".into(), tmp.into()),
        // Every build of a copy starts afresh: an incremental cache would only cost time,
        // and keep the copy's code for the next build to find.
        ("CARGO_INCREMENTAL".into(), "0".into()),
        // Cargo must not try to clean a registry it may only read.
        ("CARGO_CACHE_AUTO_CLEAN_FREQUENCY".into(), "never".into()),
    ]);
    env
}

/// The checker's variables a build gets as they are.
fn passed_on(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    matches!(name, "PATH" | "RUSTUP_TOOLCHAIN" | "LANG" | "LANGUAGE") || name.starts_with("LC_")
}

/// What an instructor can do when cargo itself failed behind the wall, from its errors.
pub(super) fn advice(cargo_errors: &str) -> Option<&'static str> {
    let offline = ["--offline", "failed to unpack", "failed to download"];
    offline.iter().any(|s| cargo_errors.contains(s)).then_some(
        "A copy is built offline, from the dependencies already in cargo's registry, which it may read but not change: build the workbook once with a network (`cargo build --workspace`), then check again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_allowed_variables_are_passed_on() {
        for name in ["PATH", "RUSTUP_TOOLCHAIN", "LANG", "LC_ALL", "LC_CTYPE"] {
            assert!(passed_on(OsStr::new(name)), "{name}");
        }
        for name in [
            "HOME",
            "CARGO_HOME",
            "RUSTFLAGS",
            "SECRET",
            "LD_PRELOAD",
            "CARGO",
        ] {
            assert!(!passed_on(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn the_private_cargo_home_links_the_registry_and_nothing_else() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
        for r in [&one, &two] {
            std::fs::create_dir_all(r).expect("a registry");
        }
        let target = tmp.path().join("target");
        let home = private_cargo_home(&target, Some(&one)).expect("a cargo home");
        assert_eq!(home, target.join("cargo-home"));
        assert_eq!(std::fs::read_link(home.join("registry")).ok(), Some(one));
        // The registry moved (another CARGO_HOME): the link follows, at the same path.
        let again = private_cargo_home(&target, Some(&two)).expect("a cargo home");
        assert_eq!(again, home);
        assert_eq!(std::fs::read_link(home.join("registry")).ok(), Some(two));
        let names: Vec<_> = std::fs::read_dir(&home)
            .expect("read")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["registry"]);
    }
}
