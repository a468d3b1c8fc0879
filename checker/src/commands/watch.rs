//! `watch`: checks the first unfinished exercise, then re-checks an exercise each time its
//! file is saved, on a cleared screen, with single-key commands. What to do on each event is
//! decided in `watch/state.rs`; this file only talks to the terminal, the file watcher and
//! the checker.

mod state;

use super::{hint, list};
use crate::judging::verdict::Verdict;
use crate::output::{text, timeline};
use crate::sandbox::interrupt::interrupted;
use crate::session::{self, Options};
use crate::workbook::Workbook;
use crate::workbook::build::Source;
use crate::workbook::progress::Progress;
use state::{Action, Input, Settling, WatchState};
use std::collections::BTreeSet;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

pub fn watch(
    wb: &Workbook,
    source: Source,
    manual: bool,
) -> Result<std::process::ExitCode, String> {
    let exercises = &wb.exercises;
    let files = wb.exercise_files(&source);
    let progress = Progress::load(&files);
    let passed: BTreeSet<String> = exercises
        .iter()
        .filter(|e| progress.verdict(&e.name, &files.file(&e.name)) == Some("passed"))
        .map(|e| e.name.clone())
        .collect();
    let (mut state, mut actions) = WatchState::new(
        exercises.iter().map(|e| e.name.clone()).collect(),
        passed,
        manual,
    );
    let (events, inputs) = mpsc::channel::<Input>();
    let _watcher = if manual {
        None
    } else {
        let names = exercises.iter().map(|e| e.name.clone()).collect();
        Some(watch_files(
            &files.dir.join("src/bin"),
            names,
            events.clone(),
        )?)
    };
    let _raw = RawMode::enable();
    read_keys(events);

    let started = Instant::now();
    let mut screen = Screen {
        report: String::new(),
        note: String::new(),
        keys: state.keys_help(),
    };
    loop {
        while let Some(action) = (!actions.is_empty()).then(|| actions.remove(0)) {
            match action {
                Action::Quit => return Ok(std::process::ExitCode::SUCCESS),
                Action::Check(name) => {
                    screen.show_busy(&format!("checking {name} ..."));
                    let (text, verdicts) = check(wb, &source, vec![name])?;
                    screen.report = text;
                    screen.note.clear();
                    for (exercise, passed) in verdicts {
                        actions.extend(state.handle(Input::Checked { exercise, passed }));
                    }
                }
                Action::CheckAll => {
                    screen.show_busy("checking every exercise ...");
                    let names = exercises.iter().map(|e| e.name.clone()).collect();
                    let (text, verdicts) = check(wb, &source, names)?;
                    screen.report = text;
                    screen.note.clear();
                    for (exercise, passed) in verdicts {
                        actions.extend(state.handle(Input::Checked { exercise, passed }));
                    }
                }
                Action::Hint(name) => {
                    if let Some(e) = exercises.iter().find(|e| e.name == name) {
                        screen.note = hint::next_hint(&files, e)?;
                    }
                }
                Action::List => screen.note = list::list_text(wb, source.clone())?,
                Action::Say(message) => screen.note = message,
            }
            screen.show();
        }
        if interrupted() {
            return Ok(std::process::ExitCode::from(130));
        }
        actions = match inputs.recv_timeout(Duration::from_secs(1)) {
            Ok(first @ (Input::Saved(_) | Input::Written(_))) => {
                // Let the editor finish writing, and count each exercise once.
                let mut save = Settling::default();
                save.note(first);
                while let Ok(input) = inputs.recv_timeout(save.wait()) {
                    if let Some(other) = save.note(input) {
                        actions.extend(state.handle(other));
                    }
                }
                save.saved()
                    .into_iter()
                    .flat_map(|e| state.handle(Input::Saved(e)))
                    .collect()
            }
            Ok(input) => state.handle(input),
            Err(RecvTimeoutError::Timeout) => state.handle(Input::Tick(started.elapsed())),
            // No more keys (stdin closed) and no watcher: nothing can happen any more.
            Err(RecvTimeoutError::Disconnected) => return Ok(std::process::ExitCode::SUCCESS),
        };
    }
}

/// Checks some exercises and records the verdicts; returns the report and who passed.
fn check(
    wb: &Workbook,
    source: &Source,
    selected: Vec<String>,
) -> Result<(String, Vec<(String, bool)>), String> {
    let options = Options {
        keep_probes: true,
        ..Options::new(selected, source.clone(), session::fresh_seed())
    };
    let show_solution = !matches!(source, Source::Solutions) && wb.has_solutions();
    let mut report = String::new();
    let checked = session::run(wb, options, |event| {
        if let session::Event::Checked(ex, result) = event {
            if let crate::judging::verdict::Verdict::Failed(Some(f)) = &result.verdict {
                timeline::keep(f);
            }
            report.push_str(&text::exercise(
                ex,
                result,
                &wb.kept_dir(ex),
                false,
                show_solution,
            ));
        }
    })?;
    session::record(&checked, &wb.exercise_files(source), false)?;
    if checked.exercises.len() > 1 {
        report.push_str(&text::summary(&checked));
    }
    let verdicts = checked
        .rows()
        .map(|(e, r)| (e.name.clone(), matches!(r.verdict, Verdict::Passed)))
        .collect();
    Ok((report, verdicts))
}

/// What watch mode shows: the last report, a note (a hint, the list, a message), the keys.
struct Screen {
    report: String,
    note: String,
    keys: &'static str,
}

impl Screen {
    fn clear() {
        if std::io::stdout().is_terminal() {
            // Not through `say!`: anstream would strip this as a style when colour is off.
            use std::io::Write as _;
            let _ = std::io::stdout().write_all(b"\x1b[2J\x1b[3J\x1b[H");
        }
    }

    fn show(&self) {
        Self::clear();
        say!("{}", self.report);
        if !self.note.is_empty() {
            sayln!("{}\n", self.note.trim_end());
        }
        sayln!("watch: {}", self.keys);
    }

    fn show_busy(&self, what: &str) {
        Self::clear();
        sayln!("{what}");
    }
}

/// Sends `Saved(exercise)` whenever a file of `src/bin` named after one of `names` changes,
/// and `Written(exercise)` once it is complete: closed by a writer, or renamed into place.
fn watch_files(
    bin: &Path,
    names: Vec<String>,
    events: Sender<Input>,
) -> Result<notify::RecommendedWatcher, String> {
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    use notify::{EventKind, RecursiveMode, Watcher};
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let input: fn(String) -> Input = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => Input::Written,
            // Reads (the checker's, cargo's) change nothing; a rename's pair of paths is
            // also told as its two halves.
            EventKind::Access(_) | EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => return,
            _ => Input::Saved,
        };
        for path in event.paths {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            if path.extension().is_some_and(|x| x == "rs") && names.iter().any(|n| n == stem) {
                let _ = events.send(input(stem.to_string()));
            }
        }
    })
    .map_err(|e| format!("cannot watch for changes: {e}; try `watch --manual`"))?;
    watcher
        .watch(bin, RecursiveMode::NonRecursive)
        .map_err(|e| format!("cannot watch {}: {e}; try `watch --manual`", bin.display()))?;
    Ok(watcher)
}

/// Sends every key typed (every byte read from stdin) as `Key`.
fn read_keys(events: Sender<Input>) {
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut byte = [0u8; 1];
        while let Ok(1) = stdin.read(&mut byte) {
            if events.send(Input::Key(byte[0] as char)).is_err() {
                return;
            }
        }
    });
}

/// Keys without Enter and without echo while watch mode runs; restored on the way out.
struct RawMode {
    original: libc::termios,
}

impl RawMode {
    fn enable() -> Option<RawMode> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        // SAFETY: tcgetattr and tcsetattr on stdin, with a termios they fill or were given.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let original = t;
            t.c_lflag &= !(libc::ICANON | libc::ECHO);
            t.c_cc[libc::VMIN] = 1;
            t.c_cc[libc::VTIME] = 0;
            (libc::tcsetattr(0, libc::TCSANOW, &t) == 0).then_some(RawMode { original })
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable`.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &self.original) };
    }
}
