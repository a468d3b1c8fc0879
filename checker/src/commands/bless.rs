//! `bless`: rewrites the stored transcripts from the reference solutions, keeping every
//! expected block that still matches (and so its placeholders).

use crate::sandbox::interrupt::interrupted;
use crate::sandbox::runner::{self, End, RunSpec};
use crate::wording::shown;
use crate::workbook::Workbook;
use crate::workbook::build::{Built, Source};
use crate::workbook::transcript;
use std::process::ExitCode;

pub fn bless(wb: &Workbook, selected: &[String]) -> Result<ExitCode, String> {
    wb.require(&Source::Solutions)?;
    let exercises = wb.select(selected)?;
    // The solutions are the workbook's own: nothing to confine.
    let built = wb.build(
        &Source::Solutions,
        &exercises,
        false,
        &|_, _| Ok(()),
        &interrupted,
    )?;
    for (ex, built) in exercises.iter().copied().zip(built) {
        let Built::Program(program) = built else {
            return Err(format!("the solution of {} does not compile", ex.name));
        };
        let path = wb.transcript_path(ex);
        let mut t = wb.transcript(ex)?;
        if t.cases.is_empty() {
            return Err(format!(
                "{} has no commands to bless; write at least `$ {}`",
                path.display(),
                ex.name
            ));
        }
        let files = wb.transcript_files(ex);
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
                faults: None,
                untraced_byte_writes: false,
                mishap: None,
                await_reads: false,
                count_waits: false,
                // The reference solutions are the workbook's own: trusted, run as they are.
                jail: None,
                path_first: None,
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
            shown(&path),
            t.cases.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
