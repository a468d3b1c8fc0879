//! Where another copy's exercise files are, however they were handed in: one rule for
//! `--exercises DIR`, `grade` and the Gradescope autograder. In order: an `exercises/` folder
//! anywhere in DIR (one holding `src/bin/`), else a `src/bin/` folder anywhere, else the files
//! named like an exercise (`01_raw_pipe.rs` ...) wherever they are. DIR may be an exercises
//! folder itself. No symbolic link is followed, DIR included: an upload could point one at
//! the reference solutions or at a device. An exercise file is read only when it is a plain
//! file of its own: never a link, a hard link (another name of a file elsewhere, such as
//! /etc/shadow), a device or a FIFO.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The words every "nothing found" error starts with.
pub const NOTHING_FOUND: &str = "no exercise files found";
/// The words every "two copies" error starts with.
pub const TWO_COPIES: &str = "two copies of the exercise files";

/// Whether a check's error is this rule's refusal of an upload (nothing, or two copies,
/// found): the submission's fault, not the checker's.
pub fn refused(error: &str) -> bool {
    error.starts_with(NOTHING_FOUND) || error.starts_with(TWO_COPIES)
}

/// Said of an exercise file that is a symbolic link.
pub const A_LINK: &str =
    "it is a symbolic link, which the checker does not follow; hand in the file itself";
/// Said of an exercise file that is one of several names of the same file.
pub const A_HARD_LINK: &str = "it is a hard link (one more name of a file that may lie anywhere), which the checker does not read; hand in a file of its own";
/// Said of an exercise file that is a FIFO, a device or a socket.
pub const NOT_PLAIN: &str = "it is not a plain file";

/// Folders and files looked at before an upload counts as too big to search.
const MOST_ENTRIES: usize = 100_000;

/// The exercise files of an upload.
#[derive(Debug)]
pub struct Upload {
    files: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    File(PathBuf),
    /// There, but not read: why.
    Refused(String),
}

impl Entry {
    /// What the checker makes of the entry at `path`, without following a link; None for a
    /// folder or nothing at all.
    fn at(path: &Path) -> Option<Entry> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if meta.is_dir() {
            return None;
        }
        Some(match refusal(&meta) {
            Some(why) => Entry::Refused(why),
            None => Entry::File(path.to_path_buf()),
        })
    }
}

/// Why a file cannot be an exercise file, from what `lstat` says of it (the file itself,
/// never what a link points to): None for a plain file of its own.
pub fn refusal(meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let kind = meta.file_type();
    let what = if kind.is_symlink() {
        return Some(A_LINK.into());
    } else if kind.is_fifo() {
        "a FIFO (a named pipe)"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else if !kind.is_file() {
        "something else"
    } else if meta.nlink() > 1 {
        return Some(A_HARD_LINK.into());
    } else {
        return None;
    };
    Some(format!(
        "{NOT_PLAIN}: it is {what}; hand in the exercise's source file"
    ))
}

impl Upload {
    /// An exercise's file, when the upload holds it as a plain file.
    pub fn file(&self, exercise: &str) -> Option<&Path> {
        match self.files.get(exercise) {
            Some(Entry::File(path)) => Some(path),
            _ => None,
        }
    }

    /// Why an exercise's file is not read though it is there: a link, a device...
    pub fn skipped(&self, exercise: &str) -> Option<&str> {
        match self.files.get(exercise) {
            Some(Entry::Refused(why)) => Some(why),
            _ => None,
        }
    }
}

/// What a search of the upload saw.
#[derive(Default)]
struct Seen {
    /// Folders named `exercises` that hold a `src/bin/` folder.
    exercises: Vec<PathBuf>,
    /// `src/bin/` folders.
    bins: Vec<PathBuf>,
    /// Files (or links) named like an exercise, by exercise.
    loose: BTreeMap<String, Vec<PathBuf>>,
}

/// A submission's path made absolute, its `.` and `..` worked out from the spelling alone:
/// never by following a link, as `canonicalize` would (`ann -> /proc/self/cwd/solutions`
/// would then pass for the solutions).
pub fn absolute(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut plain = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                plain.pop();
            }
            std::path::Component::CurDir => {}
            other => plain.push(other),
        }
    }
    plain
}

/// Finds the files of `exercises` (names without `.rs`) in `dir`.
pub fn find(dir: &Path, exercises: &[&str]) -> Result<Upload, String> {
    let what = looked_for(exercises);
    // `ann/` and `ann/.` name `ann` itself: the link, not the folder it points to.
    let dir: &Path = &dir.components().collect::<PathBuf>();
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_symlink()) {
        return Err(format!(
            "{NOTHING_FOUND}: {} is a symbolic link, which the checker does not follow; give the folder itself",
            dir.display()
        ));
    }
    if !dir.is_dir() {
        return Err(format!(
            "{NOTHING_FOUND}: {} is not a folder; give the folder that holds {what}",
            dir.display()
        ));
    }
    let seen = search(dir, exercises)?;
    let relative = |p: &Path| -> String {
        match p.strip_prefix(dir) {
            Ok(rel) if rel.as_os_str().is_empty() => ".".into(),
            Ok(rel) => rel.display().to_string(),
            Err(_) => p.display().to_string(),
        }
    };
    let both = |kind: &str, found: &[PathBuf]| {
        format!(
            "{TWO_COPIES}: {} holds {} {kind}: {} and {}; the checker cannot tell which to grade, so keep one",
            dir.display(),
            if found.len() == 2 {
                "two".to_string()
            } else {
                found.len().to_string()
            },
            relative(&found[0]),
            found[1..]
                .iter()
                .map(|p| relative(p))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    let bin = match (seen.exercises.as_slice(), seen.bins.as_slice()) {
        ([one], _) => Some(one.join("src/bin")),
        ([], [one]) => Some(one.clone()),
        ([], []) => None,
        ([], many) => return Err(both("src/bin/ folders", many)),
        (many, _) => return Err(both("exercises/ folders", many)),
    };
    let mut files = BTreeMap::new();
    if let Some(bin) = bin {
        for name in exercises {
            if let Some(entry) = Entry::at(&bin.join(format!("{name}.rs"))) {
                files.insert(name.to_string(), entry);
            }
        }
        return Ok(Upload { files });
    }
    for (name, found) in &seen.loose {
        let file_name = format!("{name}.rs");
        match found.as_slice() {
            [one] => {
                if let Some(entry) = Entry::at(one) {
                    files.insert(name.clone(), entry);
                }
            }
            many => return Err(both(&format!("files named {file_name}"), many)),
        }
    }
    if files.is_empty() {
        return Err(format!(
            "{NOTHING_FOUND} in {}: looked for {what}",
            dir.display()
        ));
    }
    Ok(Upload { files })
}

/// What the search looks for, in words.
fn looked_for(exercises: &[&str]) -> String {
    let files = match exercises {
        [] => "the exercise files".to_string(),
        [one] => format!("{one}.rs"),
        [first, .., last] => format!("files named {first}.rs to {last}.rs"),
    };
    format!(
        "an exercises/ folder holding src/bin/, a src/bin/ folder, or {files} (symbolic links are not followed)"
    )
}

/// Walks `dir` without following a symbolic link, noting every candidate.
fn search(dir: &Path, exercises: &[&str]) -> Result<Seen, String> {
    let mut seen = Seen::default();
    let mut stack = vec![dir.to_path_buf()];
    let mut entries = 0;
    while let Some(folder) = stack.pop() {
        if folder.file_name().is_some_and(|n| n == "exercises")
            && is_folder(&folder.join("src"))
            && is_folder(&folder.join("src/bin"))
        {
            seen.exercises.push(folder.clone());
        }
        if folder.file_name().is_some_and(|n| n == "bin")
            && folder
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "src")
        {
            seen.bins.push(folder.clone());
        }
        // A folder that cannot be read holds nothing the checker could copy either.
        let Ok(listing) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut children: Vec<_> = listing.filter_map(Result::ok).collect();
        children.sort_by_key(|e| e.file_name());
        for child in children.into_iter().rev() {
            entries += 1;
            if entries > MOST_ENTRIES {
                return Err(format!(
                    "{} holds more than {MOST_ENTRIES} files and folders, too many to search for the exercises; upload the exercises/ folder alone",
                    dir.display()
                ));
            }
            // The entry itself, never what a link points to.
            let Ok(kind) = child.file_type() else {
                continue;
            };
            let path = child.path();
            if kind.is_dir() {
                stack.push(path);
            } else if let Some(stem) = child
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                && exercises.contains(&stem)
            {
                // Whatever it is (a link, a FIFO...), it is seen, and refused with why.
                seen.loose.entry(stem.to_string()).or_default().push(path);
            }
        }
    }
    for found in seen.loose.values_mut() {
        found.sort();
    }
    seen.exercises.sort();
    seen.bins.sort();
    Ok(seen)
}

/// A real folder, not a link to one.
fn is_folder(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    const NAMES: [&str; 3] = ["01_raw_pipe", "02_duplex_pipe", "09_poll"];

    fn write(path: &Path) {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create");
        std::fs::write(path, "fn main() {}\n").expect("write");
    }

    fn found(dir: &Path) -> Result<Upload, String> {
        find(dir, &NAMES)
    }

    #[test]
    fn an_exercises_folder_anywhere_comes_first() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        write(&d.join("copy/exercises/src/bin/01_raw_pipe.rs"));
        // A whole copy also holds the solutions' src/bin/ and loose files elsewhere.
        write(&d.join("copy/solutions/src/bin/02_duplex_pipe.rs"));
        write(&d.join("notes/09_poll.rs"));
        let upload = found(d).expect("found");
        assert_eq!(
            upload.file("01_raw_pipe"),
            Some(d.join("copy/exercises/src/bin/01_raw_pipe.rs").as_path())
        );
        assert_eq!(upload.file("02_duplex_pipe"), None);
        assert_eq!(upload.file("09_poll"), None);
        // Pointing straight at the exercises folder, or at a folder holding src/bin/, works.
        for at in ["copy/exercises", "copy/exercises/"] {
            let upload = found(&d.join(at)).expect("found");
            assert!(upload.file("01_raw_pipe").is_some(), "{at}");
        }
    }

    #[test]
    fn a_src_bin_folder_then_loose_files() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        write(&d.join("mine/src/bin/02_duplex_pipe.rs"));
        write(&d.join("other/09_poll.rs"));
        let upload = found(d).expect("found");
        assert!(upload.file("02_duplex_pipe").is_some());
        assert!(upload.file("09_poll").is_none());

        let loose = tempfile::tempdir().expect("temporary directory");
        write(&loose.path().join("a/01_raw_pipe.rs"));
        write(&loose.path().join("b/c/09_poll.rs"));
        write(&loose.path().join("01_raw_pipe.txt"));
        let upload = found(loose.path()).expect("found");
        assert!(upload.file("01_raw_pipe").is_some());
        assert!(upload.file("09_poll").is_some());
        assert!(upload.file("02_duplex_pipe").is_none());
    }

    #[test]
    fn two_candidates_are_refused_naming_both() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        write(&d.join("a/exercises/src/bin/01_raw_pipe.rs"));
        write(&d.join("b/exercises/src/bin/01_raw_pipe.rs"));
        let error = found(d).expect_err("refused");
        assert!(
            error.contains("two exercises/ folders")
                && error.contains("a/exercises and b/exercises"),
            "{error}"
        );

        let dir = tempfile::tempdir().expect("temporary directory");
        write(&dir.path().join("x/01_raw_pipe.rs"));
        write(&dir.path().join("y/01_raw_pipe.rs"));
        let error = found(dir.path()).expect_err("refused");
        assert!(
            error.contains("files named 01_raw_pipe.rs: x/01_raw_pipe.rs and y/01_raw_pipe.rs"),
            "{error}"
        );
    }

    #[test]
    fn nothing_found_says_where_and_what() {
        let dir = tempfile::tempdir().expect("temporary directory");
        write(&dir.path().join("readme.rs"));
        let error = found(dir.path()).expect_err("nothing");
        assert!(error.starts_with(NOTHING_FOUND), "{error}");
        assert!(error.contains(&dir.path().display().to_string()));
        assert!(error.contains("01_raw_pipe.rs to 09_poll.rs"), "{error}");
        let error = found(&dir.path().join("readme.rs")).expect_err("a file");
        assert!(
            error.starts_with(NOTHING_FOUND) && error.contains("not a folder"),
            "{error}"
        );
        let error = found(&dir.path().join("nowhere")).expect_err("nothing there");
        assert!(error.starts_with(NOTHING_FOUND), "{error}");
    }

    #[test]
    fn symbolic_links_are_never_followed() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let d = dir.path();
        let elsewhere = tempfile::tempdir().expect("temporary directory");
        write(&elsewhere.path().join("exercises/src/bin/01_raw_pipe.rs"));
        // A link to a folder is not searched: the link to an exercises/ folder counts for
        // nothing, and the plain src/bin/ beside it is the one.
        symlink(elsewhere.path().join("exercises"), d.join("exercises")).expect("link");
        write(&d.join("work/src/bin/02_duplex_pipe.rs"));
        symlink(
            elsewhere.path().join("exercises/src/bin/01_raw_pipe.rs"),
            d.join("work/src/bin/01_raw_pipe.rs"),
        )
        .expect("link");
        let upload = found(d).expect("found");
        assert!(upload.file("02_duplex_pipe").is_some());
        assert_eq!(upload.file("01_raw_pipe"), None);
        assert_eq!(upload.skipped("01_raw_pipe"), Some(A_LINK));
        assert_eq!(upload.skipped("02_duplex_pipe"), None);

        // A loose link is seen, and not read.
        let loose = tempfile::tempdir().expect("temporary directory");
        symlink(
            elsewhere.path().join("exercises/src/bin/01_raw_pipe.rs"),
            loose.path().join("01_raw_pipe.rs"),
        )
        .expect("link");
        let upload = found(loose.path()).expect("found");
        assert_eq!(upload.file("01_raw_pipe"), None);
        assert_eq!(upload.skipped("01_raw_pipe"), Some(A_LINK));
    }

    #[test]
    fn a_path_is_made_absolute_by_its_spelling_not_its_links() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let real = dir.path().join("real");
        std::fs::create_dir_all(real.join("inner")).expect("folders");
        let link = dir.path().join("link");
        symlink(real.join("inner"), &link).expect("link");
        assert_eq!(absolute(&link), link);
        assert_eq!(absolute(&link.join("..")), dir.path());
        assert_eq!(absolute(&link.join("./x/")), link.join("x"));
        let cwd = std::env::current_dir().expect("the working folder");
        assert_eq!(absolute(Path::new(".")), cwd);
        assert_eq!(absolute(Path::new("a/../b")), cwd.join("b"));
    }

    #[test]
    fn an_upload_that_is_a_link_is_refused_whole() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let real = dir.path().join("real");
        write(&real.join("src/bin/01_raw_pipe.rs"));
        let link = dir.path().join("link");
        symlink(&real, &link).expect("link");
        // However it is spelled: `link/` and `link/.` are the link too.
        for spelled in [link.clone(), link.join(""), link.join(".")] {
            let error = found(&spelled).expect_err("refused");
            assert!(
                error.starts_with(NOTHING_FOUND) && error.contains("is a symbolic link"),
                "{error}"
            );
        }
        assert!(found(&real).is_ok());
    }

    #[test]
    fn hard_links_fifos_and_devices_are_seen_and_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let bin = dir.path().join("src/bin");
        write(&bin.join("09_poll.rs"));
        // Another name of a file that lies elsewhere.
        let elsewhere = dir.path().join("elsewhere.txt");
        std::fs::write(&elsewhere, "secret").expect("write");
        std::fs::hard_link(&elsewhere, bin.join("01_raw_pipe.rs")).expect("a hard link");
        nix::unistd::mkfifo(
            &bin.join("02_duplex_pipe.rs"),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .expect("a FIFO");
        let upload = found(dir.path()).expect("found");
        assert_eq!(upload.file("01_raw_pipe"), None);
        assert_eq!(upload.skipped("01_raw_pipe"), Some(A_HARD_LINK));
        assert_eq!(upload.file("02_duplex_pipe"), None);
        let why = upload.skipped("02_duplex_pipe").unwrap_or_default();
        assert!(why.starts_with(NOT_PLAIN) && why.contains("FIFO"), "{why}");
        assert!(upload.file("09_poll").is_some());

        // Loose files too: a FIFO named like an exercise is seen and refused, not ignored.
        let loose = tempfile::tempdir().expect("temporary directory");
        nix::unistd::mkfifo(
            &loose.path().join("01_raw_pipe.rs"),
            nix::sys::stat::Mode::from_bits_truncate(0o644),
        )
        .expect("a FIFO");
        let upload = found(loose.path()).expect("found");
        assert!(
            upload
                .skipped("01_raw_pipe")
                .is_some_and(|w| w.contains("FIFO"))
        );
        // A device, read through lstat only: never opened.
        let null = std::fs::symlink_metadata("/dev/null").expect("/dev/null");
        assert!(refusal(&null).is_some_and(|w| w.contains("a device")));
    }
}
