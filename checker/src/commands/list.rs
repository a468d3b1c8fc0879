//! `list`: where the student stands, one line per exercise and a progress line. Verdicts come
//! from the progress file; an exercise whose file changed since its last check is checked
//! again first, so the list is never stale.

use crate::session::{self, Options};
use crate::workbook::Workbook;
use crate::workbook::build::Source;
use crate::workbook::progress::{Progress, state_word};
use std::process::ExitCode;

pub fn list(wb: &Workbook, source: Source) -> Result<ExitCode, String> {
    say!("{}", list_text(wb, source)?);
    Ok(ExitCode::SUCCESS)
}

/// The list, after checking what is stale.
pub fn list_text(wb: &Workbook, source: Source) -> Result<String, String> {
    let exercises = &wb.exercises;
    let files = wb.exercise_files(&source);
    let file = |name: &str| files.file(name);
    let progress = Progress::load(&files);
    let stale: Vec<String> = exercises
        .iter()
        .filter(|e| progress.verdict(&e.name, &file(&e.name)).is_none())
        .map(|e| e.name.clone())
        .collect();
    if !stale.is_empty() {
        let options = Options::new(stale, source, session::fresh_seed());
        let checked = session::run(wb, options, |_| {})?;
        session::record(&checked, &files, false)?;
    }
    let progress = Progress::load(&files);
    let width = exercises
        .iter()
        .map(|e| e.short_name().len())
        .max()
        .unwrap_or(0);
    let mut done = 0;
    let mut text = String::new();
    for e in exercises {
        let word = state_word(progress.verdict(&e.name, &file(&e.name)));
        done += usize::from(word == "done");
        text.push_str(&format!(
            "  {:02}  {:<width$}  {word}\n",
            e.number(),
            e.short_name()
        ));
    }
    text.push_str(&format!("{done}/{} done\n", exercises.len()));
    Ok(text)
}
