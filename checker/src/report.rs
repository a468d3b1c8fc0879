//! What the student reads: for each failing exercise what was expected, what happened, the
//! likely cause and the command that reproduces it; then a summary. Colour only on a terminal
//! and never with NO_COLOR (anstream strips the styles otherwise).

use crate::cases::{self, Failure};
use crate::check::{CaseFailure, ExerciseResult, Verdict};
use crate::manifest::Exercise;
use anstream::println;
use anstyle::{AnsiColor, Style};
use similar::{ChangeTag, TextDiff};
use std::path::Path;

const BOLD: Style = Style::new().bold();
const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const DIM: Style = Style::new().dimmed();
/// Diff lines shown before the rest is summarised (all of them with --verbose).
const DIFF_LINES: usize = 24;
/// Characters of one line shown before it is cut (120 KiB messages make long lines).
const LINE_CHARS: usize = 160;

/// How to rerun a program by hand: the cargo command before the arguments.
pub struct Rerun {
    pub prefix: String,
}

pub fn verdict_style(v: &Verdict) -> Style {
    match v {
        Verdict::Passed => GREEN,
        Verdict::Failed(_) | Verdict::DoesNotCompile(_) => RED,
        Verdict::NotStarted { .. } => YELLOW,
    }
}

/// The block printed for one exercise as soon as it has been checked.
pub fn exercise(
    ex: &Exercise,
    result: &ExerciseResult,
    rerun: &Rerun,
    verbose: bool,
    show_solution: bool,
) {
    let style = verdict_style(&result.verdict);
    let count = match result.cases_total {
        0 => String::new(),
        n => format!(
            " {DIM}({} of {n} cases passed, {:.1} s){DIM:#}",
            result.cases_passed,
            result.elapsed.as_secs_f64()
        ),
    };
    println!(
        "{BOLD}{}{BOLD:#} - {}: {style}{}{style:#}{count}",
        ex.name,
        ex.title,
        result.verdict.word()
    );
    match &result.verdict {
        Verdict::Passed => {
            if show_solution {
                println!(
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
            println!(
                "  The program still stops at `todo!()`{at}. Open {} and start there:",
                ex.exercise_path()
            );
            println!("  it is run as `{}`; labs.md explains the task.", ex.usage);
            if let Some(hint) = ex.hints.first() {
                println!("  {DIM}hint: {hint}{DIM:#}");
            }
        }
        Verdict::DoesNotCompile(errors) => {
            println!(
                "  {} does not compile. The compiler says:",
                ex.exercise_path()
            );
            for line in errors.lines() {
                println!("    {line}");
            }
        }
        Verdict::Failed(f) => failure(ex, f, rerun, verbose),
    }
    println!();
}

fn failure(ex: &Exercise, f: &CaseFailure, rerun: &Rerun, verbose: bool) {
    println!("  case: {}", f.case.name);
    match &f.failure {
        Failure::Output { expected, actual } => {
            println!("  expected stdout {RED}-{RED:#} against yours {GREEN}+{GREEN:#}:");
            diff(expected, actual, verbose);
        }
        other => {
            let (expected, happened) = expected_and_happened(ex, other);
            println!("  expected: {expected}");
            println!("  happened: {happened}");
            if let (Failure::Hang(_) | Failure::Busy(_), Some(snapshot)) = (other, &f.outcome.hang)
            {
                for (i, line) in snapshot
                    .explain(&ex.name, ex.timeout_secs)
                    .iter()
                    .enumerate()
                {
                    let style = if i == 0 { BOLD } else { Style::new() };
                    println!("  {style}{line}{style:#}");
                }
            }
            let stdout = f.outcome.stdout_text();
            let lines: Vec<&str> = stdout.lines().collect();
            if matches!(other, Failure::Hang(_) | Failure::Busy(_)) && !lines.is_empty() {
                println!("  its stdout so far ({} lines) ends with:", lines.len());
                for line in &lines[lines.len().saturating_sub(3)..] {
                    println!("    {DIM}{}{DIM:#}", cut(line));
                }
            }
        }
    }
    if let Some(panic) = &f.panic {
        println!("  it panicked: {panic}");
    }
    let stderr = f.outcome.stderr_text();
    let tail: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if !tail.is_empty() && f.panic.is_none() {
        let from = tail
            .len()
            .saturating_sub(if verbose { tail.len() } else { 4 });
        println!("  its stderr{}:", if from > 0 { " ends with" } else { "" });
        for line in &tail[from..] {
            println!("    {DIM}{}{DIM:#}", cut(line));
        }
    }
    println!(
        "  {BOLD}likely cause{BOLD:#}: {}",
        cases::likely_cause(ex, &f.case, &f.failure)
    );
    println!("  reproduce: {}", reproduce(f, rerun));
    if let Some(dir) = &f.kept {
        println!(
            "  {DIM}this run's stdout, stderr, expected-stdout and inputs are in {}{DIM:#}",
            shown(dir)
        );
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
        Failure::NotStarted => ("a program that runs".into(), "it stops at `todo!()`".into()),
    }
}

/// A line diff of expected against actual stdout, cut to a screenful unless verbose.
fn diff(expected: &str, actual: &str, verbose: bool) {
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
                    ChangeTag::Delete => println!("    {RED}-{text}{RED:#}"),
                    ChangeTag::Insert => println!("    {GREEN}+{text}{GREEN:#}"),
                    ChangeTag::Equal => println!("    {DIM} {text}{DIM:#}"),
                }
            }
        }
    }
    if actual.is_empty() {
        println!("    {DIM}(your program printed nothing on stdout){DIM:#}");
    }
    if hidden > 0 {
        println!("    {DIM}... {hidden} more diff lines (--verbose shows them all){DIM:#}");
    }
}

/// The command that reruns the failed case by hand, with the environment it set.
fn reproduce(f: &CaseFailure, rerun: &Rerun) -> String {
    let env: Vec<String> = f
        .case
        .env
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect();
    let args = f
        .case
        .args
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = env.join(" ");
    if !command.is_empty() {
        command.push(' ');
    }
    let dir = f.kept.as_deref().map(shown);
    if args.len() > 300 {
        // Too long to read: the arguments are in the kept `args` file, NUL-separated.
        command = format!("{command}xargs -0 -x -a args {}", rerun.prefix);
    } else {
        command = format!(
            "{command}{}{}{args}",
            rerun.prefix,
            if args.is_empty() { "" } else { " " }
        );
    }
    match dir {
        Some(dir) if !f.case.files.is_empty() || args.len() > 300 => {
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

/// The summary at the end.
pub fn summary(rows: &[(&Exercise, &Verdict)], seed: u64) -> u32 {
    let width = rows.iter().map(|(e, _)| e.name.len()).max().unwrap_or(0);
    let (mut got, mut max) = (0, 0);
    println!("{BOLD}Summary{BOLD:#}");
    for (ex, verdict) in rows {
        let points = if matches!(verdict, Verdict::Passed) {
            ex.points
        } else {
            0
        };
        got += points;
        max += ex.points;
        let style = verdict_style(verdict);
        println!(
            "  {:<width$}  {style}{:<16}{style:#} {points:>3}/{}",
            ex.name,
            verdict.word(),
            ex.points
        );
    }
    println!("  {:<width$}  {:<16} {got:>3}/{max}", "total", "");
    println!("{DIM}random cases from seed {seed}; rerun them with --seed {seed}{DIM:#}");
    got
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
