//! `gradescope DIR`: a ready Gradescope autograder. DIR receives `setup.sh` and
//! `run_autograder` (from `checker/autograder/`), the workbook without its solutions as
//! `pipes-lab/` (the same copy `export` writes), and `autograder.zip` holding all three at its
//! top, as Gradescope wants it uploaded.

use super::export;
use super::stored_zip::StoredZip;
use crate::workbook::Workbook;
use std::path::Path;
use std::process::ExitCode;

/// The scripts, as Gradescope names them, and their text.
const SCRIPTS: [(&str, &str); 2] = [
    ("setup.sh", include_str!("../../autograder/setup.sh")),
    (
        "run_autograder",
        include_str!("../../autograder/run_autograder"),
    ),
];

/// The archive, written next to what it holds.
const ARCHIVE: &str = "autograder.zip";

pub fn gradescope(wb: &Workbook, dir: &Path) -> Result<ExitCode, String> {
    export::empty_folder(dir)?;
    export::write_copy(wb, &dir.join("pipes-lab"))?;
    for (name, text) in SCRIPTS {
        write_executable(&dir.join(name), text)?;
    }
    let files = archive(dir)?;
    sayln!(
        "wrote a Gradescope autograder to {}: upload {} ({files} files, no reference solution); \
         setup.sh and run_autograder are beside it to read or try (AUTOGRADER_ROOT=DIR)",
        dir.display(),
        dir.join(ARCHIVE).display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write_executable(path: &Path, text: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Zips the scripts and `pipes-lab/` of `dir` into `dir/autograder.zip`, keeping each file's
/// mode; returns how many files it holds.
fn archive(dir: &Path) -> Result<usize, String> {
    let path = dir.join(ARCHIVE);
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let file = std::fs::File::create(&path).map_err(|e| fail(&e))?;
    let mut zip = StoredZip::new(std::io::BufWriter::new(file));
    let mut files = 0;
    let mut stack = vec![dir.join("pipes-lab")];
    let mut entries: Vec<std::path::PathBuf> =
        SCRIPTS.iter().map(|(name, _)| dir.join(name)).collect();
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).map_err(|e| fail(&e))? {
            let entry = entry.map_err(|e| fail(&e))?;
            let kind = entry.file_type().map_err(|e| fail(&e))?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                entries.push(entry.path());
            }
        }
    }
    entries.sort();
    for entry in entries {
        use std::os::unix::fs::PermissionsExt;
        let name = entry
            .strip_prefix(dir)
            .map_err(|e| fail(&e))?
            .to_string_lossy()
            .into_owned();
        let mode = std::fs::metadata(&entry)
            .map_err(|e| fail(&e))?
            .permissions()
            .mode();
        let bytes = std::fs::read(&entry).map_err(|e| fail(&e))?;
        zip.add(&name, mode, &bytes).map_err(|e| fail(&e))?;
        files += 1;
    }
    zip.finish().map_err(|e| fail(&e))?;
    Ok(files)
}
