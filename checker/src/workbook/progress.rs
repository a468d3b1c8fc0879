//! The student's progress, kept in a small JSON file that git ignores (at the workbook's root;
//! under the target directory for another copy's exercises): the last verdict of each exercise
//! (with a hash of the file it was given for, so an edited file counts as unchecked) and how
//! many hints were shown, and whether the welcome was.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FILE_NAME: &str = ".pipes-lab-progress.json";

/// The exercise files being worked on (an `exercises/` folder), and where their progress is
/// kept.
#[derive(Debug, Clone)]
pub struct ExerciseFiles {
    pub dir: PathBuf,
    pub progress: PathBuf,
}

impl ExerciseFiles {
    /// The file of an exercise.
    pub fn file(&self, exercise: &str) -> PathBuf {
        self.dir.join("src/bin").join(format!("{exercise}.rs"))
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The verdict word of the last check (`passed`, `failed`, ...).
    #[serde(default)]
    pub verdict: Option<String>,
    /// A hash of the exercise file that verdict was given for.
    #[serde(default)]
    pub file_hash: Option<u64>,
    #[serde(default)]
    pub hints_shown: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    #[serde(default)]
    pub exercises: BTreeMap<String, Entry>,
    /// The check's welcome was shown (it is shown once).
    #[serde(default)]
    pub welcomed: bool,
    #[serde(skip)]
    path: PathBuf,
}

impl Progress {
    /// The progress kept for `files`; a missing or damaged file means none yet.
    pub fn load(files: &ExerciseFiles) -> Progress {
        let path = files.progress.clone();
        let mut progress: Progress = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        progress.path = path;
        progress
    }

    pub fn save(&self) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())? + "\n";
        super::write_atomic(&self.path, &text)
    }

    pub fn entry(&mut self, exercise: &str) -> &mut Entry {
        self.exercises.entry(exercise.to_string()).or_default()
    }

    /// Records a verdict for the file as it is now.
    pub fn record(&mut self, exercise: &str, verdict: &str, file: &Path) {
        let hash = file_hash(file);
        let entry = self.entry(exercise);
        entry.verdict = Some(verdict.to_string());
        entry.file_hash = hash;
    }

    /// The recorded verdict, if the file has not changed since.
    pub fn verdict(&self, exercise: &str, file: &Path) -> Option<&str> {
        let entry = self.exercises.get(exercise)?;
        (entry.file_hash.is_some() && entry.file_hash == file_hash(file))
            .then_some(entry.verdict.as_deref())
            .flatten()
    }
}

/// A fingerprint of a file's bytes; `None` when it cannot be read, or is not a plain file:
/// another copy's exercise file may be a FIFO (a read would block) or a link to a device (it
/// would never end).
pub fn file_hash(path: &Path) -> Option<u64> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    const MOST_BYTES: u64 = 8 << 20;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MOST_BYTES).read_to_end(&mut bytes).ok()?;
    Some(super::stable_hash(&bytes))
}

/// The word `list` shows for a verdict.
pub fn state_word(verdict: Option<&str>) -> &'static str {
    match verdict {
        Some("passed") => "done",
        Some("failed") => "failing",
        Some("does not compile") => "does not compile",
        _ => "not started",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_holds_until_the_file_changes_and_survives_a_reload() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let files = ExerciseFiles {
            dir: dir.path().into(),
            progress: dir.path().join("p/progress.json"),
        };
        let file = dir.path().join("01_raw_pipe.rs");
        std::fs::write(&file, "fn main() {}\n").expect("write");
        let mut p = Progress::load(&files);
        assert_eq!(p.verdict("01_raw_pipe", &file), None);
        p.record("01_raw_pipe", "passed", &file);
        p.entry("01_raw_pipe").hints_shown = 2;
        p.save().expect("save");
        let again = Progress::load(&files);
        assert_eq!(again.verdict("01_raw_pipe", &file), Some("passed"));
        assert_eq!(again.exercises["01_raw_pipe"].hints_shown, 2);
        std::fs::write(&file, "fn main() { todo!() }\n").expect("edit");
        assert_eq!(
            again.verdict("01_raw_pipe", &file),
            None,
            "an edited file is unchecked"
        );
    }

    #[test]
    fn a_damaged_file_is_no_progress_not_a_crash() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let files = ExerciseFiles {
            dir: dir.path().into(),
            progress: dir.path().join(FILE_NAME),
        };
        std::fs::write(&files.progress, "{ not json").expect("write");
        assert!(Progress::load(&files).exercises.is_empty());
    }

    #[test]
    fn state_words() {
        assert_eq!(state_word(Some("passed")), "done");
        assert_eq!(state_word(Some("failed")), "failing");
        assert_eq!(state_word(Some("does not compile")), "does not compile");
        assert_eq!(state_word(Some("not started")), "not started");
        assert_eq!(state_word(None), "not started");
    }
}
