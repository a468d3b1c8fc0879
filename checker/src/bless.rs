//! `bless`: rewrites the stored transcripts from the reference solutions, keeping every
//! expected block that still matches (and so its placeholders).

use crate::manifest::{self, Exercise};
use crate::runner::{self, End, RunSpec};
use crate::transcript::{self, Transcript};
use crate::workspace::{Built, Source, Workspace};
use std::process::ExitCode;

pub fn transcript_path(ws: &Workspace, ex: &Exercise) -> std::path::PathBuf {
    ws.root
        .join("checker/transcripts")
        .join(format!("{}.txt", ex.name))
}

/// The stored transcript of an exercise; an exercise without one has no transcript cases.
pub fn load_transcript(ws: &Workspace, ex: &Exercise) -> Result<Transcript, String> {
    let path = transcript_path(ws, ex);
    match std::fs::read_to_string(&path) {
        Ok(text) => Transcript::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Transcript {
            header: String::new(),
            cases: Vec::new(),
        }),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

pub fn bless(selected: &[String]) -> Result<ExitCode, String> {
    let ws = Workspace::locate()?;
    if !ws.has_solutions() {
        return Err(crate::session::NO_SOLUTIONS.into());
    }
    let exercises = manifest::select(manifest::exercises(), selected)?;
    let refs: Vec<&Exercise> = exercises.iter().collect();
    let built = ws.build(&Source::Solutions, &refs, false)?;
    for (ex, built) in exercises.iter().zip(built) {
        let Built::Program(program) = built else {
            return Err(format!("the solution of {} does not compile", ex.name));
        };
        let path = transcript_path(&ws, ex);
        let mut t = load_transcript(&ws, ex)?;
        if t.cases.is_empty() {
            return Err(format!(
                "{} has no commands to bless; write at least `$ {}`",
                path.display(),
                ex.name
            ));
        }
        let files =
            crate::cases::transcript_files(&ws.root.join("checker/transcripts").join(&ex.name));
        let mut changed = 0;
        for case in &mut t.cases {
            if case.program != ex.name {
                return Err(format!(
                    "{}:{}: the command runs `{}`, not `{}`",
                    path.display(),
                    case.line,
                    case.program,
                    ex.name
                ));
            }
            let dir = tempfile::tempdir().map_err(|e| format!("cannot create a directory: {e}"))?;
            for (name, bytes) in &files {
                std::fs::write(dir.path().join(name), bytes)
                    .map_err(|e| format!("cannot write {name}: {e}"))?;
            }
            let spec = RunSpec {
                program: program.clone(),
                args: case.args.clone(),
                env: case.env.clone(),
                cwd: dir.path().into(),
                timeout: ex.timeout(),
                trace: false,
            };
            let outcome = runner::run(&spec)
                .map_err(|e| format!("cannot run the solution of {}: {e}", ex.name))?;
            let End::Exited(status) = outcome.end else {
                return Err(format!(
                    "the solution of {} did not exit normally on `{}`: {:?}",
                    ex.name, case.command, outcome.end
                ));
            };
            let stdout = outcome.stdout_text();
            if transcript::match_lines(&case.stdout, &stdout).is_none() || case.status != status {
                case.stdout = stdout;
                case.status = status;
                changed += 1;
            }
        }
        if changed > 0 {
            std::fs::write(&path, t.render())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        sayln!(
            "{}: {changed} of {} commands rewritten",
            crate::report::shown(&path),
            t.cases.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
