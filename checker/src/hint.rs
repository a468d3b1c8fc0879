//! `hint`: the manifest's hints for an exercise, one more each time it is asked, from a nudge
//! to the exact cause. The progress file remembers how many were shown.

use crate::manifest::{self, Exercise};
use crate::progress::{Place, Progress};
use std::process::ExitCode;

pub fn hint(place: &Place, wanted: Option<String>) -> Result<ExitCode, String> {
    let exercise = match wanted {
        Some(w) => manifest::select(manifest::exercises(), &[w])?.remove(0),
        None => current(place, &Progress::load(place)),
    };
    say!("{}", next_hint(place, &exercise)?);
    Ok(ExitCode::SUCCESS)
}

/// Shows one hint more than last time (all of them once they are all shown).
pub fn next_hint(place: &Place, exercise: &Exercise) -> Result<String, String> {
    let mut progress = Progress::load(place);
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
        text.push_str("That was the last hint; the exercise's section in labs.md has more.\n");
    }
    text
}

/// The first exercise not done yet (the last one when all are done).
pub fn current(place: &Place, progress: &Progress) -> Exercise {
    let mut all = manifest::exercises();
    let at = all
        .iter()
        .position(|e| progress.verdict(&e.name, &place.file(&e.name)) != Some("passed"))
        .unwrap_or(all.len() - 1);
    all.swap_remove(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(dir: &std::path::Path) -> Place {
        Place {
            exercises: dir.into(),
            progress: dir.join("progress.json"),
        }
    }

    #[test]
    fn hints_come_one_more_at_a_time_up_to_the_last() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let place = place(dir.path());
        for expected in [1, 2, 3, 3] {
            hint(&place, Some("1".into())).expect("a hint");
            assert_eq!(
                Progress::load(&place).exercises["01_raw_pipe"].hints_shown,
                expected
            );
        }
        let ex = manifest::exercises().remove(0);
        let first = hints_text(&ex, 1);
        assert!(first.contains("1/3.") && !first.contains("2/3.") && first.contains("Ask again"));
        assert!(hints_text(&ex, 3).contains("That was the last hint"));
    }

    #[test]
    fn the_current_exercise_is_the_first_not_done() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let place = place(dir.path());
        std::fs::create_dir_all(dir.path().join("src/bin")).expect("create");
        let file = place.file("01_raw_pipe");
        std::fs::write(&file, "fn main() {}\n").expect("write");
        let mut progress = Progress::load(&place);
        assert_eq!(current(&place, &progress).name, "01_raw_pipe");
        progress.record("01_raw_pipe", "passed", &file);
        assert_eq!(current(&place, &progress).name, "02_duplex_pipe");
    }
}
