//! Another copy's exercise files, staged beside this workbook's manifests and lock file so
//! that nothing of the copy but its exercises is built, and the walls around its build.

use super::BuildWalls;
use crate::workbook::Workbook;
use crate::workbook::manifest::Exercise;
use crate::workbook::upload;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The package name under which another copy's exercises are built.
pub const COPY_PACKAGE: &str = "exercises-copy";

impl Workbook {
    /// What the build of a copy needs: the workbook's cargo settings and the toolchain to
    /// read; the staged copy (cargo rewrites its lock file), its own target directory, and
    /// cargo's home (its locks and caches) to write. Not the workbook, nor the solutions.
    pub(super) fn build_walls(&self, stage: &Path, target_dir: &Path) -> BuildWalls {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let from_env = |var: &str, default: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))
        };
        let cargo_home = from_env("CARGO_HOME", ".cargo");
        let mut readable = vec![self.root.join(".cargo")];
        // Cargo reads the settings of every folder above its working folder (the stage, under
        // the target directory, which may lie in another project): a file it may not read
        // fails the build.
        for folder in stage.ancestors() {
            for name in ["config.toml", "config"] {
                let settings = folder.join(".cargo").join(name);
                if settings.is_file() {
                    readable.push(settings);
                }
            }
        }
        readable.extend(from_env("RUSTUP_HOME", ".rustup"));
        readable.extend(self.cargo.parent().map(Path::to_path_buf));
        let mut writable = vec![stage.to_path_buf(), target_dir.to_path_buf()];
        writable.extend(cargo_home);
        BuildWalls { readable, writable }
    }

    /// A one-package workspace under the target directory holding this workbook's manifests and
    /// lock file and the copy's exercise files, found by the upload rule. Dependencies come out
    /// of the shared target directory already built. Returns the stage and the exercises whose
    /// file is missing, each with why when the file is there but was not copied.
    pub(super) fn stage_copy(
        &self,
        dir: &Path,
        exercises: &[&Exercise],
    ) -> Result<(PathBuf, BTreeMap<String, String>), String> {
        let io =
            |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
        let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
        let upload = upload::find(dir, &names)?;
        // Always the same place (the build lock makes it ours): cargo remembers sources by
        // path, and a copy built elsewhere would look unchanged to it.
        let stage = self.work_dir().join("stage");
        let bin_dir = stage.join("copy/src/bin");
        let _ = std::fs::remove_dir_all(&stage);
        std::fs::create_dir_all(&bin_dir).map_err(|e| io("create", &bin_dir, e))?;

        // The workbook's manifests, with the package renamed: cargo must never take the copy's
        // build for the workbook's own `exercises` (or the reverse) when both are fresh.
        let read_toml = |path: PathBuf| -> Result<toml::Table, String> {
            let text = std::fs::read_to_string(&path).map_err(|e| io("read", &path, e))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let mut root = read_toml(self.root.join("Cargo.toml"))?;
        if let Some(toml::Value::Table(ws)) = root.get_mut("workspace") {
            ws.insert("members".into(), toml::Value::Array(vec!["copy".into()]));
        }
        let mut package = read_toml(self.root.join("exercises/Cargo.toml"))?;
        if let Some(toml::Value::Table(p)) = package.get_mut("package") {
            p.insert("name".into(), COPY_PACKAGE.into());
        }
        let write = |path: PathBuf, text: String| {
            std::fs::write(&path, text).map_err(|e| io("write", &path, e))
        };
        write(stage.join("Cargo.toml"), root.to_string())?;
        write(stage.join("copy/Cargo.toml"), package.to_string())?;
        let lock = self.root.join("Cargo.lock");
        std::fs::copy(&lock, stage.join("Cargo.lock")).map_err(|e| io("copy", &lock, e))?;
        let mut missing = BTreeMap::new();
        for e in exercises {
            let Some(from) = upload.file(&e.name) else {
                let why = upload.skipped(&e.name).map(|w| format!(" ({w})"));
                missing.insert(e.name.clone(), why.unwrap_or_default());
                continue;
            };
            let to = bin_dir.join(format!("{}.rs", e.name));
            if let Err(why) = copy_plain_file(from, &to) {
                missing.insert(e.name.clone(), format!(" ({why})"));
            }
        }
        Ok((stage, missing))
    }
}

/// Copies an upload's file without following a link, and only a plain file (a FIFO would
/// block the copy, a device would never end).
fn copy_plain_file(from: &Path, to: &Path) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(from)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => upload::A_LINK.to_string(),
            _ => format!("it cannot be read: {e}"),
        })?;
    let plain = file.metadata().is_ok_and(|m| m.is_file());
    if !plain {
        return Err("it is not a plain file".into());
    }
    let mut copy =
        std::fs::File::create(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::io::copy(&mut file, &mut copy)
        .map(drop)
        .map_err(|e| format!("it cannot be read: {e}"))
}
