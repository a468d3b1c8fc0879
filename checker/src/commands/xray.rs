//! `xray`: runs an exercise once under the X-ray and draws what it built next to what the
//! exercise expects, with each structural check as ok or DIFF.

use crate::judging::cases::{self, Kind};
use crate::judging::judge::panic_message;
use crate::judging::wiring::model::Wiring;
use crate::output::{drawing, timeline};
use crate::sandbox::interrupt::interrupted;
use crate::sandbox::jail::Walls;
use crate::sandbox::runner::{self, End, RunOutcome, RunSpec};
use crate::session::{self, SANDBOX_SWITCH, XRAY_SWITCH};
use crate::workbook::Workbook;
use crate::workbook::build::{Built, Source};
use crate::workbook::manifest::Exercise;
use std::process::ExitCode;

/// What `xray` shows.
pub struct Request {
    pub exercise: String,
    /// The program's arguments; none means the transcript's first command.
    pub args: Vec<String>,
    pub source: Source,
    pub mermaid: bool,
    /// Write the timeline page too: to this file, or to one under the checker's folder.
    pub html: Option<Option<std::path::PathBuf>>,
    /// Write the timeline alone as an SVG picture, without pids: to this file, or to one
    /// under the checker's folder.
    pub svg: Option<Option<std::path::PathBuf>>,
    /// The seed of the injected short reads and writes; a fresh one when none is given.
    pub seed: Option<u64>,
    /// The page of this case of the last check, from its kept files (with `html`).
    pub case: Option<usize>,
}

/// The timeline of a run `xray` made (no expected output to compare with).
fn layout_of(trace: &crate::sandbox::trace::Trace, outcome: &RunOutcome) -> timeline::Layout {
    let seen = timeline::Seen {
        ended: outcome.elapsed,
        hung: outcome.end == End::TimedOut,
        snapshot: outcome.hang.as_ref(),
        failure: None,
    };
    timeline::of_run(trace, &seen)
}

/// Builds `source`'s program of `exercise` and runs it once under the X-ray, in a fresh folder
/// with the transcript's files, the short reads and writes drawn from `seed`.
#[allow(clippy::too_many_arguments)]
fn traced_run(
    wb: &Workbook,
    exercise: &Exercise,
    source: &Source,
    args: &[String],
    env: &[(String, String)],
    seed: u64,
    jail: &std::sync::Arc<crate::sandbox::jail::Jail>,
    color: bool,
) -> Result<RunOutcome, String> {
    let built = wb.build(
        source,
        &[exercise],
        color,
        &session::confine_build(jail),
        &interrupted,
    )?;
    let program = match built.into_iter().next() {
        Some(Built::Program(p)) => p,
        Some(Built::Failed(errors)) => {
            return Err(format!("{} does not compile:\n{errors}", exercise.name));
        }
        None => return Err(format!("{} was not built", exercise.name)),
    };
    let dir = tempfile::Builder::new()
        .prefix("xray.")
        .tempdir_in(wb.work_dir())
        .map_err(|e| format!("cannot create a working directory: {e}"))?;
    for (name, bytes) in wb.transcript_files(exercise) {
        std::fs::write(dir.path().join(&name), bytes)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
    }
    let walls = Walls {
        writable: vec![dir.path().into()],
        executable: vec![program.clone()],
        ..Walls::default()
    };
    let spec = RunSpec {
        program,
        args: args.to_vec(),
        env: env.to_vec(),
        cwd: dir.path().into(),
        timeout: exercise.timeout(),
        trace: true,
        faults: Some(seed),
        untraced_byte_writes: exercise.wiring.fill_loop,
        mishap: None,
        await_reads: exercise.wiring.awaits_reads(),
        // Nothing judges this run's line times.
        count_waits: false,
        jail: Some((jail.clone(), walls)),
        path_first: None,
    };
    let outcome = runner::run(&spec).map_err(|e| format!("cannot start the program: {e}"))?;
    wb.forget_programs();
    Ok(outcome)
}

/// The page kept for case `k` of the last check of `exercise`, written to `to` (or shown
/// where it is), without running anything.
fn kept_page(
    wb: &Workbook,
    exercise: &Exercise,
    k: usize,
    to: Option<&std::path::Path>,
) -> Result<ExitCode, String> {
    let kept = wb.kept_dir(exercise);
    let prefix = format!("{k:02}-");
    let dir = std::fs::read_dir(&kept)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        })
        .ok_or_else(|| {
            format!(
                "the last check of {} kept no case {k} (in {}): run `cargo lab {}` first",
                exercise.name,
                crate::wording::shown(&kept),
                exercise.number()
            )
        })?;
    let page = dir.join("timeline.html");
    if !page.is_file() {
        let args: Vec<String> = std::fs::read(dir.join("args"))
            .unwrap_or_default()
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| shell_words::quote(&String::from_utf8_lossy(a)).into_owned())
            .collect();
        return Err(format!(
            "case {k} of the last check of {} has no page in {}: a check keeps the page of the case it reports failed, where the X-ray ran. To draw this case, run it again: cargo lab xray {} --html -- {} (with the variables its `command` file sets, if any)",
            exercise.name,
            crate::wording::shown(&dir),
            exercise.number(),
            args.join(" ")
        ));
    }
    let shown = match to {
        Some(file) => {
            std::fs::copy(&page, file)
                .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
            file.to_path_buf()
        }
        None => page,
    };
    anstream::eprintln!("the timeline: {}", crate::wording::shown(&shown));
    Ok(ExitCode::SUCCESS)
}

/// Runs the exercise once under the X-ray and draws what it built next to what it should.
pub fn xray(wb: &Workbook, request: &Request) -> Result<ExitCode, String> {
    wb.require(&request.source)?;
    let exercise = wb.exercise(&request.exercise)?;
    if let Some(k) = request.case {
        let to = request.html.as_ref().and_then(|f| f.as_deref());
        return kept_page(wb, exercise, k, to);
    }
    if !cfg!(target_os = "linux") {
        return Err("the X-ray traces system calls with ptrace, which needs Linux".into());
    }
    // The transcript's first command gives the default arguments, its environment (a short
    // time scale) and its files (04's file.txt).
    let transcript = wb.transcript(exercise)?;
    let first = transcript
        .cases
        .iter()
        .map(|t| cases::from_transcript(exercise, t))
        .find(|c| c.kind == Kind::Transcript);
    let (default_args, mut env) = first.map(|c| (c.args, c.env)).unwrap_or_default();
    // The workbook's own variables given to xray (PIPES_LAB_TIME_SCALE=1 cargo lab xray 3)
    // reach the program, over the transcript's; a check passes none of its own.
    for (name, value) in std::env::vars()
        .filter(|(k, _)| k.starts_with("PIPES_LAB_") && k != XRAY_SWITCH && k != SANDBOX_SWITCH)
    {
        env.retain(|(k, _)| *k != name);
        env.push((name, value));
    }
    let args = if request.args.is_empty() {
        default_args
    } else {
        request.args.clone()
    };
    anstream::eprintln!("building {} ...", exercise.name);
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let (jail, xray) = session::jail(wb, &wb.program_dir())?;
    match xray {
        session::Xray::On => {}
        session::Xray::Blind(why) => {
            return Err(format!("the X-ray cannot trace runs here: {why}"));
        }
        off => {
            let why = off.why_off().unwrap_or_default();
            return Err(format!("the X-ray cannot run here: {why}"));
        }
    }
    let seed = request.seed.unwrap_or_else(session::fresh_seed);
    let run = |source: &Source| traced_run(wb, exercise, source, &args, &env, seed, &jail, color);
    let mut outcome = run(&request.source)?;
    let stderr = outcome.stderr_text();
    let trace = match outcome.trace.take() {
        Some(Ok(trace)) => trace,
        Some(Err(why)) => return Err(format!("the X-ray cannot trace runs here: {why}")),
        None => return Err("the X-ray did not trace the run".into()),
    };
    let how_traced = if trace.filtered {
        "the X-ray stopped the program only at the calls that wire it (a seccomp filter)"
    } else {
        "the X-ray stopped the program at every system call (seccomp was refused)"
    };
    let shown: Vec<String> = env
        .iter()
        .map(|(k, v)| format!("{k}={}", shell_words::quote(v)))
        .chain(std::iter::once(exercise.name.clone()))
        .chain(args.iter().map(|a| shell_words::quote(a).into_owned()))
        .collect();
    if let Some(file) = &request.svg {
        let path = file
            .clone()
            .unwrap_or_else(|| wb.work_dir().join(format!("xray-{}.svg", exercise.name)));
        let picture = timeline::svg(&layout_of(&trace, &outcome), &shown.join(" "));
        std::fs::write(&path, picture)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        anstream::eprintln!("the picture: {}", crate::wording::shown(&path));
    }
    if let Some(file) = &request.html {
        let layout = layout_of(&trace, &outcome);
        // Beside it, the reference solution's run of the same command and seed, where the
        // workbook has its solutions.
        let reference = match (&request.source, wb.has_solutions()) {
            (Source::Solutions, _) | (_, false) => None,
            _ => match run(&Source::Solutions) {
                Ok(theirs) => match &theirs.trace {
                    Some(Ok(t)) => Some(layout_of(t, &theirs)),
                    _ => None,
                },
                Err(why) => {
                    anstream::eprintln!("note: the reference solution could not run: {why}");
                    None
                }
            },
        };
        let path = file
            .clone()
            .unwrap_or_else(|| wb.work_dir().join(format!("xray-{}.html", exercise.name)));
        let page = timeline::html_beside(&layout, reference.as_ref(), &shown.join(" "));
        std::fs::write(&path, page).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        anstream::eprintln!("the timeline: {}", crate::wording::shown(&path));
    }
    let wiring = Wiring::build(trace);
    let how = match &outcome.end {
        End::Exited(c) => format!("exit status {c}"),
        End::Signaled(s) => format!("killed by {}", s.as_str()),
        End::TimedOut => format!(
            "still running after {} s: stopped, so this is the wiring up to then (a plain check explains the hang)",
            exercise.timeout_secs
        ),
        End::OutputLimit => "stopped: it printed more than 1 MiB".into(),
        End::DiskLimit => "stopped: it wrote too much into its folder".into(),
        End::MemoryLimit => "stopped: it used all the memory a run may".into(),
        End::ProcessLimit => "stopped: it started too many processes".into(),
        End::Interrupted => "interrupted".into(),
    };
    let verdicts = drawing::verdicts(&wiring, exercise, &args);
    if let Some(panic) = panic_message(&stderr) {
        anstream::eprintln!(
            "note: the program panicked: {}",
            crate::wording::for_a_terminal(&panic)
        );
        if panic.starts_with("not yet implemented") {
            anstream::eprintln!("note: it still reaches todo!(), so there is little to see yet");
        }
    }
    if request.mermaid {
        say!(
            "<!-- X-ray of `{}` ({how}) -->\n\n{}",
            shown.join(" "),
            drawing::mermaid(&wiring, exercise, &args)
        );
    } else {
        say!(
            "X-ray of `{}` ({how})\n\n{}\n({how_traced})\n",
            shown.join(" "),
            drawing::text(&wiring, exercise, &args)
        );
    }
    if outcome.end == End::Interrupted {
        return Ok(ExitCode::from(130));
    }
    Ok(if verdicts.iter().all(|(_, missed)| missed.is_none()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
