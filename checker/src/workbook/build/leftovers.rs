//! What a build of a copy leaves in the copies' target directory, which every copy shares so
//! that the dependencies are built once for a class: its programs, their dependency files and
//! fingerprints (and incremental caches, which builds of copies no longer make). All of it is
//! removed before each build of a copy (a check killed outright leaves it there) and again
//! once the programs are linked out, so that no build can read another submission's program.

use std::path::{Path, PathBuf};

/// Removes every output of a copy's package from `target_dir`: entries named after one of
/// `exercises` or after `package`, in each profile's folder and its subfolders.
pub(super) fn forget_copy_outputs(
    target_dir: &Path,
    package: &str,
    exercises: &[&str],
) -> Result<(), String> {
    const SUBFOLDERS: [&str; 6] = [
        "",
        "deps",
        ".fingerprint",
        "incremental",
        "build",
        "examples",
    ];
    let crate_name = package.replace('-', "_");
    let owned = |name: &str| {
        let of = |stem: &str| {
            name.strip_prefix(stem)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
        };
        exercises.iter().any(|e| of(e)) || of(package) || of(&crate_name)
    };
    for profile in profiles(target_dir) {
        for sub in SUBFOLDERS {
            let Ok(entries) = std::fs::read_dir(profile.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.file_name().to_str().is_some_and(owned) {
                    remove(&entry.path())?;
                }
            }
        }
    }
    Ok(())
}

/// The folders of `target_dir` that cargo builds a profile into (`debug/`, `release/`, and
/// those under a target triple): the ones holding a `.fingerprint` folder.
fn profiles(target_dir: &Path) -> Vec<PathBuf> {
    let is_profile = |dir: &Path| dir.join(".fingerprint").is_dir();
    let children = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect()
    };
    let mut found = Vec::new();
    for child in children(target_dir) {
        if is_profile(&child) {
            found.push(child);
        } else {
            found.extend(children(&child).into_iter().filter(|c| is_profile(c)));
        }
    }
    found
}

/// Removes a file or a folder; one already gone is fine.
fn remove(path: &Path) -> Result<(), String> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match removed {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!(
            "cannot remove {} (a program built from another copy): {e}",
            path.display()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_s_outputs_go_and_the_dependencies_stay() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let debug = tmp.path().join("debug");
        let ours = [
            "01_raw_pipe",
            "01_raw_pipe.d",
            "deps/01_raw_pipe-0123abcd",
            "deps/01_raw_pipe-0123abcd.d",
            ".fingerprint/exercises-copy-0123abcd/bin-01_raw_pipe",
            "incremental/01_raw_pipe-0123abcd/s-x/query-cache.bin",
        ];
        let theirs = [
            "deps/libnix-0123abcd.rlib",
            ".fingerprint/nix-0123abcd/lib-nix",
            "build/libc-0123abcd/output",
            "01_raw_pipe_notes/kept",
        ];
        for file in ours.iter().chain(&theirs) {
            let path = debug.join(file);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
            std::fs::write(&path, "x").expect("a file");
        }
        forget_copy_outputs(tmp.path(), "exercises-copy", &["01_raw_pipe", "09_poll"])
            .expect("removed");
        for file in ours {
            assert!(!debug.join(file).exists(), "{file} is still there");
        }
        for file in theirs {
            assert!(debug.join(file).exists(), "{file} is gone");
        }
    }
}
