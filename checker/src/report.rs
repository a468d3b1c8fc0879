//! What the student reads: for each failing exercise what was expected, what happened, the
//! likely cause and the command that reproduces it; then a summary. Colour only on a terminal
//! and never with NO_COLOR (anstream strips the styles otherwise).

use crate::cases::{self, Case, Failure};
use crate::check::{CaseFailure, ExerciseResult, Verdict};
use crate::manifest::Exercise;
use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};
use std::path::Path;

/// `writeln!` into the report being built; writing into a String cannot fail.
macro_rules! w {
    ($out:expr) => {
        $out.push('\n')
    };
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

const BOLD: Style = Style::new().bold();
const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const DIM: Style = Style::new().dimmed();
/// Diff lines shown before the rest is summarised (all of them with --verbose).
const DIFF_LINES: usize = 24;
/// Characters of one line shown before it is cut (120 KiB messages make long lines).
const LINE_CHARS: usize = 160;

pub fn verdict_style(v: &Verdict) -> Style {
    match v {
        Verdict::Passed => GREEN,
        Verdict::Failed(_) | Verdict::DoesNotCompile(_) => RED,
        Verdict::NotStarted { .. } => YELLOW,
    }
}

/// The block shown for one exercise as soon as it has been checked (with styles, which
/// anstream strips where colour is off).
pub fn exercise(
    ex: &Exercise,
    result: &ExerciseResult,
    kept: &Path,
    verbose: bool,
    show_solution: bool,
) -> String {
    let mut out = String::new();
    let style = verdict_style(&result.verdict);
    let count = match (&result.verdict, result.cases.len()) {
        (Verdict::DoesNotCompile(_), _) | (_, 0) => String::new(),
        (_, n) => format!(
            " {DIM}({} of {n} cases passed, {:.1} s){DIM:#}",
            result.passed_count(),
            result.elapsed.as_secs_f64()
        ),
    };
    w!(
        out,
        "{BOLD}{}{BOLD:#} - {}: {style}{}{style:#}{count}",
        ex.name,
        ex.title,
        result.verdict.word()
    );
    match &result.verdict {
        Verdict::Passed => {
            if show_solution {
                w!(
                    out,
                    "  Well done. Compare with the reference solution: {}",
                    ex.solution_path()
                );
            }
        }
        Verdict::NotStarted { location } => {
            let at = location
                .as_deref()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            w!(
                out,
                "  The program still stops at `todo!()`{at}. Open {} and start there:",
                ex.exercise_path()
            );
            w!(
                out,
                "  it is run as `{}`; labs.md explains the task.",
                ex.usage
            );
            if let Some(hint) = ex.hints.first() {
                w!(out, "  {DIM}hint: {hint}{DIM:#}");
            }
        }
        Verdict::DoesNotCompile(errors) => {
            w!(
                out,
                "  {} does not compile. The compiler says:",
                ex.exercise_path()
            );
            for line in errors.lines() {
                w!(out, "    {line}");
            }
        }
        Verdict::Failed(f) => failure(&mut out, ex, f, verbose),
    }
    if verbose && !matches!(result.verdict, Verdict::DoesNotCompile(_)) {
        w!(
            out,
            "  {DIM}every case's command, stdout and stderr: {}{DIM:#}",
            shown(kept)
        );
    }
    w!(out);
    out
}

fn failure(out: &mut String, ex: &Exercise, f: &CaseFailure, verbose: bool) {
    w!(out, "  case: {}", f.case.name);
    match &f.failure {
        Failure::Output { expected, actual } => {
            w!(
                out,
                "  expected stdout {RED}-{RED:#} against yours {GREEN}+{GREEN:#}:"
            );
            diff(out, expected, actual, verbose);
        }
        other => {
            let (expected, happened) = expected_and_happened(ex, other);
            w!(out, "  expected: {expected}");
            w!(out, "  happened: {happened}");
            if let (Failure::Hang(_) | Failure::Busy(_), Some(snapshot)) = (other, &f.outcome.hang)
            {
                for (i, line) in snapshot
                    .explain(&ex.name, ex.timeout_secs)
                    .iter()
                    .enumerate()
                {
                    let style = if i == 0 { BOLD } else { Style::new() };
                    w!(out, "  {style}{line}{style:#}");
                }
            }
            if let (Failure::Wiring { .. }, Some(Ok(trace))) = (other, &f.outcome.trace) {
                w!(out, "  the X-ray saw:");
                let wiring = crate::xray::model::Wiring::build(trace.clone());
                for line in crate::xray::draw::brief(&wiring, if verbose { 200 } else { 12 }) {
                    w!(out, "    {DIM}{line}{DIM:#}");
                }
            }
            let stdout = f.outcome.stdout_text();
            let lines: Vec<&str> = stdout.lines().collect();
            if matches!(other, Failure::Hang(_) | Failure::Busy(_)) && !lines.is_empty() {
                w!(
                    out,
                    "  its stdout so far ({} lines) ends with:",
                    lines.len()
                );
                for line in &lines[lines.len().saturating_sub(3)..] {
                    w!(out, "    {DIM}{}{DIM:#}", cut(line));
                }
            }
        }
    }
    if let Some(panic) = &f.panic {
        w!(out, "  it panicked: {panic}");
    }
    let stderr = f.outcome.stderr_text();
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if !tail.is_empty() && f.panic.is_none() {
        let from = tail
            .len()
            .saturating_sub(if verbose { tail.len() } else { 4 });
        w!(
            out,
            "  its stderr{}:",
            if from > 0 { " ends with" } else { "" }
        );
        for line in &tail[from..] {
            w!(out, "    {DIM}{}{DIM:#}", cut(line));
        }
    }
    w!(
        out,
        "  {BOLD}likely cause{BOLD:#}: {}",
        cases::likely_cause(ex, &f.case, &f.failure)
    );
    w!(out, "  reproduce: {}", f.command);
    if let Failure::Wiring { .. } = f.failure {
        let env = f.case.env.iter().map(|(k, v)| format!("{k}={} ", quote(v)));
        let words: Vec<String> = std::iter::once(ex.number().to_string())
            .chain(f.case.args.iter().map(|a| quote(a)))
            .collect();
        w!(
            out,
            "  see the wiring: {}cargo lab xray {}",
            env.collect::<String>(),
            words.join(" ")
        );
    }
    if let Some(dir) = &f.kept {
        w!(
            out,
            "  {DIM}this case's command, stdout, stderr, expected-stdout and inputs: {}{DIM:#}",
            shown(dir)
        );
    }
}

/// What happened, in one line (for the grades of every failed case).
pub fn one_line(ex: &Exercise, failure: &Failure) -> String {
    match failure {
        Failure::Output { actual, .. } if actual.is_empty() => {
            "it printed nothing on stdout".into()
        }
        Failure::Output { .. } => "its stdout differs from the expected output".into(),
        Failure::Hang(after) => {
            format!("it hangs: still running after {:.1} s", after.as_secs_f64())
        }
        Failure::Busy(after) => {
            format!("it loops: still running after {:.1} s", after.as_secs_f64())
        }
        other => expected_and_happened(ex, other).1,
    }
}

fn expected_and_happened(ex: &Exercise, failure: &Failure) -> (String, String) {
    match failure {
        Failure::Hang(after) | Failure::Busy(after) => (
            format!("the program to finish within {} s", ex.timeout_secs),
            format!(
                "it was still running after {:.1} s, so it hangs; the checker stopped every process it had started",
                after.as_secs_f64()
            ),
        ),
        Failure::OutputLimit => (
            "a few lines of output".into(),
            format!(
                "output limit: it printed more than {} KiB on one stream; the checker stopped it",
                crate::runner::OUTPUT_CAP / 1024
            ),
        ),
        Failure::ProcessLimit => (
            format!("at most {} processes at once", crate::runner::PROCESS_CAP),
            "process limit: it started more; the checker stopped them all".into(),
        ),
        Failure::Interrupted => (
            "a finished run".into(),
            "the check was interrupted (Ctrl-C); every process of the run was stopped".into(),
        ),
        Failure::Signal(sig) if sig == "SIGPIPE" => (
            "exit status 0".into(),
            "it was killed by SIGPIPE (broken pipe): it wrote into a pipe nobody reads any more"
                .into(),
        ),
        Failure::Signal(sig) => (
            "exit status 0".into(),
            format!("it was killed by the signal {sig}"),
        ),
        Failure::Output { .. } => unreachable!("shown as a diff"),
        Failure::MissingFinalNewline => (
            "every line to end with a newline".into(),
            "the last line has none".into(),
        ),
        Failure::Status { expected, actual } => (
            format!("exit status {expected}"),
            format!("exit status {actual}"),
        ),
        Failure::LeftBehind(procs) => {
            let list: Vec<String> = procs
                .iter()
                .map(|p| format!("pid {} `{}`", p.pid, cut(&p.command)))
                .collect();
            (
                "every process finished when the program exits".into(),
                format!("still running after it exited: {}", list.join(", ")),
            )
        }
        Failure::Timing {
            line,
            text,
            at,
            bound,
            early,
        } => {
            let when = if *early { "no earlier" } else { "no later" };
            (
                format!(
                    "line {line} {when} than {:.2} s after the start",
                    bound.as_secs_f64()
                ),
                format!(
                    "line {line} (`{}`) arrived at {:.2} s",
                    cut(text),
                    at.as_secs_f64()
                ),
            )
        }
        Failure::Stages { problem, .. } => (
            "cat, grep and wc to run as `cat FILE | grep PATTERN | wc -l`, each with only fds 0, 1 and 2".into(),
            problem.clone(),
        ),
        Failure::Wiring { rule, problem, .. } => (
            format!("{rule} (seen by the X-ray at the system-call level)"),
            problem.clone(),
        ),
        Failure::NotStarted => ("a program that runs".into(), "it stops at `todo!()`".into()),
        Failure::Contract { expected, happened, .. } => (expected.clone(), happened.clone()),
    }
}

/// A line diff of expected against actual stdout, cut to a screenful unless verbose.
fn diff(out: &mut String, expected: &str, actual: &str, verbose: bool) {
    // A deadline keeps a megabyte of wrong output from stalling the report.
    let diff = TextDiff::configure()
        .deadline(std::time::Instant::now() + std::time::Duration::from_secs(1))
        .diff_lines(expected, actual);
    let mut shown = 0;
    let mut hidden = 0;
    for group in diff.grouped_ops(2) {
        for op in group {
            for change in diff.iter_changes(&op) {
                if !verbose && shown >= DIFF_LINES {
                    hidden += 1;
                    continue;
                }
                shown += 1;
                let text = change.value().strip_suffix('\n').unwrap_or(change.value());
                let text = if verbose { text.to_string() } else { cut(text) };
                match change.tag() {
                    ChangeTag::Delete => w!(out, "    {RED}-{text}{RED:#}"),
                    ChangeTag::Insert => w!(out, "    {GREEN}+{text}{GREEN:#}"),
                    ChangeTag::Equal => w!(out, "    {DIM} {text}{DIM:#}"),
                }
            }
        }
    }
    if actual.is_empty() {
        w!(
            out,
            "    {DIM}(your program printed nothing on stdout){DIM:#}"
        );
    }
    if hidden > 0 {
        w!(
            out,
            "    {DIM}... {hidden} more diff lines (--verbose shows them all){DIM:#}"
        );
    }
}

/// The command that reruns the failed case by hand, with the environment it set.
pub fn reproduce(case: &Case, kept: Option<&Path>, rerun: &str) -> String {
    let env: Vec<String> = case
        .env
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect();
    let args = case
        .args
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = env.join(" ");
    if !command.is_empty() {
        command.push(' ');
    }
    if args.len() > 300 {
        // Too long to read: the arguments are in the kept `args` file, NUL-separated.
        command = format!("{command}xargs -0 -x -a args {rerun}");
    } else {
        command = format!(
            "{command}{rerun}{}{args}",
            if args.is_empty() { "" } else { " " }
        );
    }
    match kept.map(shown) {
        Some(dir) if !case.files.is_empty() || args.len() > 300 => {
            format!("cd {} && {command}", shell_words::quote(&dir))
        }
        _ => command,
    }
}

/// Quotes a word for sh; words with newlines or tabs use bash's `$'...'` so the command stays
/// on one line.
fn quote(word: &str) -> String {
    if !word.chars().any(|c| c.is_control()) {
        return shell_words::quote(word).into_owned();
    }
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The summary at the end: each exercise's verdict and points, the total, the seed.
pub fn summary(rows: &[(&Exercise, &ExerciseResult)], seed: u64) -> String {
    let mut out = String::new();
    let width = rows.iter().map(|(e, _)| e.name.len()).max().unwrap_or(0);
    let (mut got, mut max) = (0.0, 0.0);
    w!(out, "{BOLD}Summary{BOLD:#}");
    for (ex, result) in rows {
        let points = result.score();
        got += points;
        max += ex.points as f64;
        let style = verdict_style(&result.verdict);
        w!(
            out,
            "  {:<width$}  {style}{:<16}{style:#} {:>5}/{}",
            ex.name,
            result.verdict.word(),
            number(points),
            ex.points
        );
    }
    w!(
        out,
        "  {:<width$}  {:<16} {:>5}/{}",
        "total",
        "",
        number(got),
        number(max)
    );
    w!(
        out,
        "{DIM}random cases from seed {seed}; rerun them with --seed {seed}{DIM:#}"
    );
    if let Some(line) = crate::xray::skipped() {
        w!(out, "{line}");
    }
    out
}

/// Points as a person writes them: `7`, `2.5`.
pub fn number(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{}", (x * 100.0).round() / 100.0)
    }
}

/// A path relative to the current directory where it is below it.
pub fn shown(path: &Path) -> String {
    let here = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&here)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn cut(line: &str) -> String {
    match line.char_indices().nth(LINE_CHARS) {
        Some((at, _)) => format!("{}... ({} more bytes)", &line[..at], line.len() - at),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quoting_keeps_commands_on_one_line() {
        assert_eq!(quote("hello"), "hello");
        assert_eq!(quote("are you there?"), "'are you there?'");
        assert_eq!(quote("two\nlines"), "$'two\\nlines'");
        assert_eq!(quote("it's\t\\"), "$'it\\'s\\t\\\\'");
    }
}
