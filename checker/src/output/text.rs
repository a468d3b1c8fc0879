//! What the student reads: for each failing exercise what was expected, what happened, the
//! likely cause and the command that reproduces it; then a summary. Colour only on a terminal
//! and never with NO_COLOR (anstream strips the styles otherwise).

use super::drawing;
use crate::judging::failure::Failure;
use crate::judging::scorecard::Scorecard;
use crate::judging::verdict::{CaseFailure, ExerciseResult, Verdict};
use crate::judging::wiring::model::Wiring;
use crate::wording::{cut, number, quote, shown};
use crate::workbook::build::MISSING;
use crate::workbook::manifest::Exercise;
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
/// Said before the first check of a workbook, once.
pub const WELCOME: &str =
    "Welcome to pipes-lab: nine programs on Unix pipes, each in a file of exercises/src/bin/
that you complete. `cargo lab watch` checks each file you save; `cargo lab hint N` gives hints.
";

/// Diff lines shown before the rest is summarised (all of them with --verbose).
const DIFF_LINES: usize = 24;

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
    if let Some(report) = &result.rendered {
        return report.clone();
    }
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
        Verdict::NotStarted { location } => not_started(&mut out, ex, location.as_deref()),
        // Nothing was compiled: the file is not there, or the upload rule did not read it.
        Verdict::DoesNotCompile(errors) if errors.contains(MISSING) => {
            for line in errors.lines() {
                w!(out, "  {line}");
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
        Verdict::Failed(Some(f)) => failure(&mut out, ex, f, verbose),
        Verdict::Failed(None) => out.push_str(result.failure_text.as_deref().unwrap_or_default()),
    }
    if verbose && !matches!(result.verdict, Verdict::DoesNotCompile(_)) {
        kept_runs(&mut out, kept);
    }
    w!(out);
    out
}

/// Where every case's command, stdout and stderr are kept (with --verbose).
fn kept_runs(out: &mut String, kept: &Path) {
    w!(
        out,
        "  {DIM}every case's command, stdout and stderr: {}{DIM:#}",
        shown(kept)
    );
}

/// An exercise's first failure, shown the moment it is known, while its other cases run.
pub fn failing(ex: &Exercise, f: &CaseFailure, verbose: bool) -> String {
    let mut out = failed_line(ex);
    failure(&mut out, ex, f, verbose);
    out
}

/// The line of an exercise that failed, over its first failure.
fn failed_line(ex: &Exercise) -> String {
    let mut out = String::new();
    w!(
        out,
        "{BOLD}{}{BOLD:#} - {}: {RED}failed{RED:#}",
        ex.name,
        ex.title
    );
    out
}

/// A failed exercise's line and its first failure, as `failing` shows them; none for any
/// other verdict.
pub fn failed(ex: &Exercise, result: &ExerciseResult, verbose: bool) -> Option<String> {
    match &result.verdict {
        Verdict::Failed(Some(f)) => Some(failing(ex, f, verbose)),
        Verdict::Failed(None) => {
            Some(failed_line(ex) + result.failure_text.as_deref().unwrap_or_default())
        }
        _ => None,
    }
}

/// A failure's block of the report, as `exercise` shows it under the exercise's line.
pub fn failure_block(ex: &Exercise, f: &CaseFailure, verbose: bool) -> String {
    let mut out = String::new();
    failure(&mut out, ex, f, verbose);
    out
}

/// The end of an exercise whose first failure was shown already: how many of its cases
/// passed, in how long.
pub fn finished(result: &ExerciseResult, kept: &Path, verbose: bool) -> String {
    let mut out = String::new();
    w!(
        out,
        "  {DIM}({} of {} cases passed, {:.1} s){DIM:#}",
        result.passed_count(),
        result.cases.len(),
        result.elapsed.as_secs_f64()
    );
    if verbose {
        kept_runs(&mut out, kept);
    }
    w!(out);
    out
}

/// Where a not-started exercise stands and the first step: the file to open, how it is run,
/// where the handout explains it, and its first hint.
fn not_started(out: &mut String, ex: &Exercise, location: Option<&str>) {
    // The panic's place is `FILE:LINE:COL`: the line is what a student looks for.
    let line = location
        .and_then(|l| l.rsplit_once(".rs:"))
        .and_then(|(_, rest)| rest.split(':').next())
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map(|n| format!(" (line {n})"))
        .unwrap_or_default();
    w!(
        out,
        "  {} still stops at its `todo!()`{line}: replace it with your code.",
        ex.exercise_path()
    );
    w!(
        out,
        "  It is run as `{}`; labs.md, Exercise {:02}, says what it must do.",
        ex.usage,
        ex.number()
    );
    if let Some(hint) = ex.hints.first() {
        w!(out, "  {DIM}hint 1/{}: {hint}{DIM:#}", ex.hints.len());
    }
}

/// After the summary of a check where some exercise is not started: the first of them in
/// full, as the next step, and what the exit status means until the last one passes.
pub fn next_step(card: &Scorecard) -> String {
    let mut out = String::new();
    let first = card
        .rows()
        .find(|(_, r)| matches!(r.verdict, Verdict::NotStarted { .. }));
    if let Some((ex, result)) = first
        && let Verdict::NotStarted { location } = &result.verdict
    {
        w!(out, "{BOLD}Next{BOLD:#}: {} - {}", ex.name, ex.title);
        not_started(&mut out, ex, location.as_deref());
    }
    if !card.all_passed() {
        w!(
            out,
            "{DIM}The exit status stays 1 until every exercise passes; `cargo lab watch` checks each save.{DIM:#}"
        );
    }
    out
}

fn failure(out: &mut String, ex: &Exercise, f: &CaseFailure, verbose: bool) {
    let d = &f.diagnosis;
    w!(out, "  case: {}", f.case.name);
    match &d.expected {
        None => {
            if let Failure::Output { expected, actual } = &f.failure {
                w!(
                    out,
                    "  expected stdout {RED}-{RED:#} against yours {GREEN}+{GREEN:#}:"
                );
                diff(out, expected, actual, verbose);
            }
        }
        Some((expected, happened)) => {
            w!(out, "  expected: {expected}");
            w!(out, "  happened: {happened}");
            for (i, line) in d.hang.iter().enumerate() {
                let style = if i == 0 { BOLD } else { Style::new() };
                w!(out, "  {style}{line}{style:#}");
            }
            if let (Failure::Wiring { .. }, Some(Ok(trace))) = (&f.failure, &f.outcome.trace) {
                w!(out, "  the X-ray saw:");
                let wiring = Wiring::build(trace.clone());
                for line in drawing::brief(&wiring, if verbose { 200 } else { 12 }) {
                    w!(out, "    {DIM}{line}{DIM:#}");
                }
                w!(out, "  the exercise expects (the handout's picture):");
                for line in drawing::expected_links(&ex.wiring) {
                    w!(out, "    {DIM}{line}{DIM:#}");
                }
            }
            let stdout = f.outcome.stdout_text();
            let lines: Vec<&str> = stdout.lines().collect();
            if matches!(f.failure, Failure::Hang(_) | Failure::Busy(_)) && !lines.is_empty() {
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
    if let Some(panic) = &d.panic {
        w!(out, "  it panicked: {panic}");
    }
    let stderr = f.outcome.stderr_text();
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if !tail.is_empty() && d.panic.is_none() {
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
    w!(out, "  {BOLD}likely cause{BOLD:#}: {}", d.cause.text);
    if let Some((n, total, hint)) = &d.hint {
        w!(out, "  {DIM}hint {n}/{total}: {hint}{DIM:#}");
    }
    w!(out, "  reproduce: {}", f.command);
    if let Some(line) = &d.cuts {
        w!(out, "  {DIM}{line}{DIM:#}");
    }
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
            "  {DIM}this case's command, stdout, stderr, expected-stdout and inputs (and timeline.html, its timeline to open in a browser, where the X-ray ran): {}{DIM:#}",
            shown(dir)
        );
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

/// The summary at the end: each exercise's verdict and points, the total, the seed, and
/// whether the structural checks ran.
pub fn summary(card: &Scorecard) -> String {
    let mut out = String::new();
    let width = card.rows().map(|(e, _)| e.name.len()).max().unwrap_or(0);
    let (mut got, mut max) = (0.0, 0.0);
    let seed = card.seed;
    w!(out, "{BOLD}Summary{BOLD:#}");
    for (ex, result) in card.rows() {
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
    // A seed says nothing where no exercise got past its first case.
    let ran = card
        .rows()
        .any(|(_, r)| matches!(r.verdict, Verdict::Passed | Verdict::Failed(_)));
    if ran {
        w!(
            out,
            "{DIM}random cases from seed {seed}; rerun them with --seed {seed}{DIM:#}"
        );
    }
    if let Some(line) = &card.structural_skipped {
        w!(out, "{line}");
    }
    if !card.sandbox_missing.is_empty() {
        w!(
            out,
            "sandbox without: {} (INSTRUCTORS.md: The sandbox)",
            card.sandbox_missing.join(", ")
        );
    }
    out
}
