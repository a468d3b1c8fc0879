//! `hint`: the manifest's hints for an exercise, one more each time it is asked, from a nudge
//! to the exact cause. The progress file remembers how many were shown.

use crate::workbook::Workbook;
use crate::workbook::manifest::Exercise;
use crate::workbook::progress::{ExerciseFiles, Progress};
use std::process::ExitCode;

pub fn hint(
    wb: &Workbook,
    files: &ExerciseFiles,
    wanted: Option<String>,
) -> Result<ExitCode, String> {
    let exercise = match wanted {
        Some(w) => wb.exercise(&w)?,
        None => current(&wb.exercises, files, &Progress::load(files)),
    };
    say!("{}", next_hint(files, exercise)?);
    Ok(ExitCode::SUCCESS)
}

/// Shows one hint more than last time (all of them once they are all shown).
pub fn next_hint(files: &ExerciseFiles, exercise: &Exercise) -> Result<String, String> {
    let mut progress = Progress::load(files);
    let entry = progress.entry(&exercise.name);
    entry.hints_shown = (entry.hints_shown + 1).min(exercise.hints.len());
    let shown = entry.hints_shown;
    progress.save()?;
    Ok(hints_text(exercise, shown))
}

/// The first hints of an exercise, up to `shown`.
pub fn hints_text(exercise: &Exercise, shown: usize) -> String {
    let total = exercise.hints.len();
    let mut text = format!("Hints for {} ({}):\n", exercise.name, exercise.title);
    for (i, hint) in exercise.hints.iter().take(shown).enumerate() {
        text.push_str(&format!("  {}/{total}. {hint}\n", i + 1));
    }
    if shown < total {
        text.push_str("Ask again for a more specific one.\n");
    } else {
        text.push_str("That was the last hint. The exercise's contract in labs.md says exactly what is expected; reference.md explains the report and hangs.\n");
    }
    text
}

/// The first exercise not done yet (the last one when all are done).
pub fn current<'a>(
    all: &'a [Exercise],
    files: &ExerciseFiles,
    progress: &Progress,
) -> &'a Exercise {
    let at = all
        .iter()
        .position(|e| progress.verdict(&e.name, &files.file(&e.name)) != Some("passed"))
        .unwrap_or(all.len().saturating_sub(1));
    &all[at]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbook::manifest;

    fn files(dir: &std::path::Path) -> ExerciseFiles {
        ExerciseFiles {
            dir: dir.into(),
            progress: dir.join("progress.json"),
        }
    }

    #[test]
    fn hints_come_one_more_at_a_time_up_to_the_last() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let files = files(dir.path());
        let ex = manifest::exercises().remove(0);
        for expected in [1, 2, 3, 3] {
            next_hint(&files, &ex).expect("a hint");
            assert_eq!(
                Progress::load(&files).exercises["01_raw_pipe"].hints_shown,
                expected
            );
        }
        let first = hints_text(&ex, 1);
        assert!(first.contains("1/3.") && !first.contains("2/3.") && first.contains("Ask again"));
        assert!(hints_text(&ex, 3).contains("That was the last hint"));
    }

    #[test]
    fn the_current_exercise_is_the_first_not_done() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let files = files(dir.path());
        let all = manifest::exercises();
        std::fs::create_dir_all(dir.path().join("src/bin")).expect("create");
        let file = files.file("01_raw_pipe");
        std::fs::write(&file, "fn main() {}\n").expect("write");
        let mut progress = Progress::load(&files);
        assert_eq!(current(&all, &files, &progress).name, "01_raw_pipe");
        progress.record("01_raw_pipe", "passed", &file);
        assert_eq!(current(&all, &files, &progress).name, "02_duplex_pipe");
    }
}
