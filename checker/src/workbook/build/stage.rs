//! Another copy's exercise files, staged beside this workbook's manifests and lock file so
//! that nothing of the copy but its exercises is built. The checker makes the stage itself,
//! before any of the copy's code is compiled, in a folder of its own for that one build.

use crate::workbook::Workbook;
use crate::workbook::manifest::Exercise;
use crate::workbook::upload;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The package name under which another copy's exercises are built.
pub const COPY_PACKAGE: &str = "exercises-copy";

/// The largest exercise file staged: a real one is a few KiB, and a huge (or sparse) file
/// would only fill the disk.
const LARGEST_FILE: u64 = 8 << 20;

/// One build's staged copy: removed, with everything the build left in it, when dropped.
pub(super) struct Stage {
    folder: tempfile::TempDir,
    /// The exercises whose file is missing, each with why when the file is there but was
    /// not copied.
    pub(super) missing: BTreeMap<String, String>,
}

impl Stage {
    pub(super) fn dir(&self) -> &Path {
        self.folder.path()
    }

    pub(super) fn manifest(&self) -> PathBuf {
        self.dir().join("Cargo.toml")
    }

    /// The build's temporary folder (rustc's and the linker's files), inside the stage.
    pub(super) fn tmp(&self) -> PathBuf {
        self.dir().join("tmp")
    }
}

impl Workbook {
    /// Where builds of copies are staged, one folder each.
    fn stages_dir(&self) -> PathBuf {
        self.work_dir().join("stages")
    }

    /// A one-package workspace holding this workbook's manifests and lock file and the copy's
    /// exercise files, found by the upload rule, in a fresh folder under the target
    /// directory. Called with the build lock held: a stage left by a check that was killed is
    /// removed first.
    pub(super) fn stage_copy(&self, dir: &Path, exercises: &[&Exercise]) -> Result<Stage, String> {
        let io =
            |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
        let names: Vec<&str> = self.exercises.iter().map(|e| e.name.as_str()).collect();
        let upload = upload::find(dir, &names)?;
        let stages = self.stages_dir();
        let _ = std::fs::remove_dir_all(&stages);
        // Where earlier versions staged every copy, the last one's files left in it.
        let _ = std::fs::remove_dir_all(self.work_dir().join("stage"));
        std::fs::create_dir_all(&stages).map_err(|e| io("create", &stages, e))?;
        let folder = tempfile::Builder::new()
            .prefix("copy-")
            .tempdir_in(&stages)
            .map_err(|e| io("create a folder in", &stages, e))?;
        let mut stage = Stage {
            folder,
            missing: BTreeMap::new(),
        };
        let bin_dir = stage.dir().join("copy/src/bin");
        for folder in [bin_dir.clone(), stage.tmp()] {
            std::fs::create_dir_all(&folder).map_err(|e| io("create", &folder, e))?;
        }
        self.write_manifests(stage.dir())?;
        for e in exercises {
            let Some(from) = upload.file(&e.name) else {
                let why = upload.skipped(&e.name).map(|w| format!(" ({w})"));
                stage
                    .missing
                    .insert(e.name.clone(), why.unwrap_or_default());
                continue;
            };
            let to = bin_dir.join(format!("{}.rs", e.name));
            if let Err(why) = copy_plain_file(from, &to) {
                stage.missing.insert(e.name.clone(), format!(" ({why})"));
            }
        }
        Ok(stage)
    }

    /// The workbook's manifests and lock file, into `stage`, with the package renamed: cargo
    /// must never take the copy's build for the workbook's own `exercises` (or the reverse)
    /// when both are fresh.
    fn write_manifests(&self, stage: &Path) -> Result<(), String> {
        let io =
            |what: &str, p: &Path, e: std::io::Error| format!("cannot {what} {}: {e}", p.display());
        let read_toml = |path: PathBuf| -> Result<toml::Table, String> {
            let text = std::fs::read_to_string(&path).map_err(|e| io("read", &path, e))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let mut root = read_toml(self.root.join("Cargo.toml"))?;
        if let Some(toml::Value::Table(ws)) = root.get_mut("workspace") {
            ws.insert("members".into(), toml::Value::Array(vec!["copy".into()]));
            ws.remove("default-members");
        }
        // The workspace's profiles come along: line tables for the copy's programs, no debug
        // information for the dependencies.
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
        Ok(())
    }
}

/// Copies an upload's file, only if it is a plain file of its own: never through a link, and
/// never a hard link, a device or a FIFO (refused from `lstat` before it is opened, and
/// checked again on the open file, which must be the one looked at).
fn copy_plain_file(from: &Path, to: &Path) -> Result<(), String> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let looked = std::fs::symlink_metadata(from).map_err(|e| format!("it cannot be read: {e}"))?;
    if let Some(why) = upload::refusal(&looked) {
        return Err(why);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(from)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => upload::A_LINK.to_string(),
            _ => format!("it cannot be read: {e}"),
        })?;
    let opened = file
        .metadata()
        .map_err(|e| format!("it cannot be read: {e}"))?;
    if let Some(why) = upload::refusal(&opened) {
        return Err(why);
    }
    if (opened.dev(), opened.ino()) != (looked.dev(), looked.ino()) {
        return Err("it changed while it was being read".into());
    }
    if opened.len() > LARGEST_FILE {
        return Err(format!(
            "it is larger than {} MiB, too large for an exercise file",
            LARGEST_FILE >> 20
        ));
    }
    let mut copy =
        std::fs::File::create(to).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
    std::io::copy(&mut file.take(LARGEST_FILE), &mut copy)
        .map(drop)
        .map_err(|e| format!("it cannot be read: {e}"))
}
