//! `reset`: puts an exercise's original stub back (from `checker/stubs/`), after asking. The
//! only time the checker writes into the exercises.

use crate::workbook::Workbook;
use crate::workbook::progress::{ExerciseFiles, Progress};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

pub fn reset(
    wb: &Workbook,
    files: &ExerciseFiles,
    wanted: &str,
    yes: bool,
) -> Result<ExitCode, String> {
    let exercise = wb.exercise(wanted)?;
    let stub = wb.stub(exercise);
    let target = files.file(&exercise.name);
    if !yes && !confirm(&target)? {
        sayln!("left {} as it is", target.display());
        return Ok(ExitCode::SUCCESS);
    }
    let bin = files.dir.join("src/bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("cannot create {}: {e}", bin.display()))?;
    std::fs::copy(&stub, &target).map_err(|e| {
        format!(
            "cannot copy {} to {}: {e}",
            stub.display(),
            target.display()
        )
    })?;
    let mut progress = Progress::load(files);
    progress.entry(&exercise.name).verdict = None;
    progress.save()?;
    sayln!("restored the original {}", target.display());
    Ok(ExitCode::SUCCESS)
}

fn confirm(target: &Path) -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "reset replaces {} and your code in it; run it again with --yes to go ahead",
            target.display()
        ));
    }
    say!(
        "Replace {} with the original stub? Your code in it will be lost. [y/N] ",
        target.display()
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}
