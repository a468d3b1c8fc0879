//! `export`: the student handout, a copy of the workbook without the reference solutions. Its
//! checker still grades from the stored transcripts and its oracles; only `--solutions` and
//! `bless` are gone with the solutions.

use crate::workbook::Workbook;
use std::path::Path;
use std::process::ExitCode;

/// What the handout holds, relative to the workbook's root; everything else stays behind.
const TOP_LEVEL: [&str; 10] = [
    "Cargo.lock",
    ".gitignore",
    ".cargo",
    "README.md",
    "INSTRUCTORS.md",
    "CONTRIBUTING.md",
    "labs.md",
    "reference.md",
    "exercises",
    "checker",
];
/// Inside `checker/`: its tests run the reference solutions, so they stay behind.
const LEFT_OUT: [&str; 1] = ["checker/tests"];

pub fn export(wb: &Workbook, dir: &Path) -> Result<ExitCode, String> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!("{} exists and is not empty", dir.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut files = 0;
    for entry in TOP_LEVEL {
        files += copy_tree(&wb.root, Path::new(entry), dir)?;
    }
    // The workspace without the solutions package.
    let path = wb.root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut root: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(toml::Value::Table(ws)) = root.get_mut("workspace") {
        ws.insert(
            "members".into(),
            toml::Value::Array(vec!["exercises".into(), "checker".into()]),
        );
    }
    std::fs::write(dir.join("Cargo.toml"), root.to_string())
        .map_err(|e| format!("cannot write Cargo.toml: {e}"))?;
    sayln!(
        "wrote the student handout to {} ({} files); it holds no reference solution",
        dir.display(),
        files + 1
    );
    Ok(ExitCode::SUCCESS)
}

/// Copies `rel` (a file or a folder) from `root` into `to`; returns the number of files.
fn copy_tree(root: &Path, rel: &Path, to: &Path) -> Result<usize, String> {
    let from = root.join(rel);
    if LEFT_OUT.iter().any(|l| rel == Path::new(l)) || !from.exists() {
        return Ok(0);
    }
    let io = |e: std::io::Error| format!("cannot copy {}: {e}", from.display());
    if from.is_dir() {
        std::fs::create_dir_all(to.join(rel)).map_err(io)?;
        let mut count = 0;
        for entry in std::fs::read_dir(&from).map_err(io)? {
            let entry = entry.map_err(io)?;
            count += copy_tree(root, &rel.join(entry.file_name()), to)?;
        }
        Ok(count)
    } else {
        std::fs::copy(&from, to.join(rel)).map_err(io)?;
        Ok(1)
    }
}
