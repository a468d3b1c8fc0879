//! The contract, clause by clause. Every sentence of an exercise's contract in labs.md holds a
//! clause of the manifest, and each clause names what enforces it: a wiring rule, a kind of
//! case or one of the judge's checks below, and the corpus programs that break that clause
//! alone and fail for it. A clause nothing checks says why (a promise about the input).

#[cfg(test)]
use crate::workbook::manifest::Clause;
use crate::workbook::manifest::Exercise;

/// The judge's own checks (`judge::judge`), by the name a clause gives them.
pub const CHECKS: [(&str, &str); 13] = [
    ("output", "stdout, line by line, against the lines expected"),
    ("exit status", "the program's exit status"),
    (
        "bad input",
        "bad input refused at once: a line on stderr, nothing on stdout, exit status 2, and no child started first where the contract says so",
    ),
    (
        "time limit",
        "every process of the run ended within the exercise's time limit",
    ),
    (
        "no process left",
        "no process of the run still running once the program has exited",
    ),
    (
        "timing",
        "when each line came, against the delays of the contract (03, 09)",
    ),
    (
        "stages",
        "what the stage recorders saw: each stage started once, by name, with its arguments (04)",
    ),
    (
        "records",
        "every record printed once, by some consumer, and none corrupt (05)",
    ),
    (
        "at least",
        "a count the program reports, against its least value (07)",
    ),
    (
        "says why",
        "a refusal that says why on stderr, with nothing on stdout (08: the FIFO's name is taken)",
    ),
    (
        "failed exec",
        "with a stage missing from PATH, the child whose execvp failed says why on stderr and exits with 127 (04)",
    ),
    (
        "no FIFO left",
        "no FIFO left in the working folder when the program ends (08)",
    ),
    (
        "the X-ray changes a call",
        "a case where the X-ray makes a call fail that a correct run never sees fail (a fork, an open, a writer's write that becomes an exit, a record changed on its way), or changes a run as the kernel may (pauses of seconds made short, a read held until several messages wait), and the program must go on as the contract says (03, 05, 07, 08)",
    ),
];

/// A check a clause names, in words: a rule's, a kind of case's, or the judge's.
pub fn check_words(exercise: &Exercise, check: &str) -> String {
    if let Some(rule) = check.strip_prefix("rule ") {
        let words = crate::judging::wiring::rules::find(rule).map_or(rule, |(_, words, _)| words);
        return format!("{words} (the X-ray)");
    }
    if let Some(kind) = check.strip_prefix("case ") {
        return format!(
            "the cases of kind `{kind}` ({} points)",
            exercise.case_points.get(kind).copied().unwrap_or(0.0)
        );
    }
    CHECKS
        .iter()
        .find(|(name, _)| *name == check)
        .map_or_else(|| check.to_string(), |(_, words)| words.to_string())
}

/// The sentences of the contract whose first line is `**The contract.** `usage``: each item
/// of its list split at its sentences' ends, and each row of a table in it (cells joined by
/// ` | `, the header row left out). Markdown's `**` is dropped and white space made single.
#[cfg(test)]
pub fn sentences(labs: &str, usage: &str) -> Option<Vec<String>> {
    let head = format!("**The contract.** `{usage}`");
    let start = labs.find(&head)? + head.len();
    let mut items: Vec<String> = Vec::new();
    let mut table: Vec<String> = Vec::new();
    let mut rows: Vec<String> = Vec::new();
    for line in labs[start..].lines().skip(1) {
        let text = line.trim();
        if text.starts_with('|') {
            table.push(text.to_string());
            continue;
        }
        // A table ends at the first line that is not a row: its header goes, rows stay.
        rows.extend(table.drain(..).skip(1).filter(|r| !r.starts_with("|-")));
        if text.is_empty() || text.starts_with("```") {
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            items.push(item.to_string());
        } else if !line.starts_with(' ') {
            break;
        } else if let Some(last) = items.last_mut() {
            last.push(' ');
            last.push_str(text);
        }
    }
    rows.extend(table.drain(..).skip(1).filter(|r| !r.starts_with("|-")));
    let mut out: Vec<String> = items.iter().flat_map(|i| split(&normal(i))).collect();
    out.extend(rows.iter().map(|r| {
        let cells: Vec<String> = r.trim_matches('|').split('|').map(normal).collect();
        cells.join(" | ")
    }));
    Some(out)
}

/// Single spaces, no `**`.
#[cfg(test)]
pub fn normal(text: &str) -> String {
    text.replace("**", "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A paragraph's sentences: one ends at a `.` followed by a space and a capital, a backtick or
/// an opening parenthesis.
#[cfg(test)]
fn split(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let next = chars.get(i + 2).copied();
        if c == '.'
            && chars.get(i + 1) == Some(&' ')
            && next.is_some_and(|n| n.is_uppercase() || n == '`' || n == '(')
        {
            out.push(current.trim().to_string());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// What is wrong with one clause on its own: what it checks and how it is proven.
#[cfg(test)]
pub fn clause_problems(exercise: &Exercise, clause: &Clause) -> Vec<String> {
    let mut problems = Vec::new();
    let who = format!("{}: clause `{}`", exercise.name, clause.says);
    for check in &clause.checked_by {
        let known = if let Some(rule) = check.strip_prefix("rule ") {
            exercise.wiring.checks.iter().any(|c| c == rule)
        } else if let Some(kind) = check.strip_prefix("case ") {
            exercise.case_points.contains_key(kind)
        } else {
            CHECKS.iter().any(|(name, _)| name == check)
        };
        if !known {
            problems.push(format!(
                "{who} is checked by `{check}`, which is not a rule of the exercise's wiring.checks, a kind of its case_points or a check of judging::contract::CHECKS"
            ));
        }
    }
    let proven = !clause.broken_by.is_empty() || !clause.passed_by.is_empty();
    if clause.gap.is_some() {
        if clause.given.is_some() || clause.escaped_by.is_empty() {
            problems.push(format!(
                "{who} has a gap: it names the programs that escape it (`escaped_by`) and is not `given`"
            ));
        }
        return problems;
    }
    if !clause.escaped_by.is_empty() {
        problems.push(format!("{who} names programs that escape it but no `gap`"));
    }
    match (&clause.given, clause.checked_by.is_empty(), proven) {
        (Some(_), true, false) => {}
        (Some(_), _, _) => problems.push(format!(
            "{who} is given, so nothing may check it or prove it"
        )),
        // A freedom: nothing forbids it, and programs that use it pass.
        (None, true, _) if !clause.passed_by.is_empty() && clause.broken_by.is_empty() => {}
        (None, true, _) => problems.push(format!(
            "{who} names no check (or, for a promise about the input, says why it is `given`)"
        )),
        (None, false, false) => problems.push(format!(
            "{who} has no corpus program that breaks it (`broken_by`) or, for a freedom, uses it (`passed_by`)"
        )),
        (None, false, true) => {}
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbook::manifest::exercises;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("the workspace")
            .to_path_buf()
    }

    #[test]
    fn sentences_split_at_their_ends_and_tables_by_row() {
        let labs = "**The contract.** `x [A]`\n\n- One. Two (`a.b`). Three... `Four` ends.\n  (Five.)\n- Who:\n\n  | P | r |\n  |---|---|\n  | **p** | keeps  it |\n\nAfter.\n";
        assert_eq!(
            sentences(labs, "x [A]").unwrap(),
            [
                "One.",
                "Two (`a.b`).",
                "Three...",
                "`Four` ends.",
                "(Five.)",
                "Who:",
                "p | keeps it"
            ]
        );
        assert!(sentences(labs, "y").is_none());
    }

    /// The test the issue asks for: the table is complete against labs.md, and every clause
    /// is enforced by something that exists and proven by a corpus program.
    #[test]
    fn every_sentence_of_every_contract_is_a_clause_with_its_check_and_its_proof() {
        let labs = std::fs::read_to_string(root().join("labs.md")).expect("read labs.md");
        let mut problems = Vec::new();
        let mut used: Vec<String> = Vec::new();
        // The student handout carries no corpus: there, the clauses are held to labs.md and to
        // the checks, and the proofs stay the workbook's.
        let proofs_here = root().join("checker/tests/corpus").is_dir();
        if !proofs_here {
            eprintln!(
                "no checker/tests/corpus in this copy (the student handout): the corpus programs that prove each clause are checked in the workbook"
            );
        }
        for exercise in exercises() {
            let Some(sentences) = sentences(&labs, &exercise.usage) else {
                problems.push(format!("labs.md has no contract for {}", exercise.usage));
                continue;
            };
            let says: Vec<String> = exercise.clauses.iter().map(|c| normal(&c.says)).collect();
            for sentence in &sentences {
                if !says.iter().any(|s| sentence.contains(s.as_str())) {
                    problems.push(format!(
                        "{}: no clause covers the contract's sentence `{sentence}`",
                        exercise.name
                    ));
                }
            }
            let corpus = root().join("checker/tests/corpus").join(&exercise.name);
            for clause in &exercise.clauses {
                let said = normal(&clause.says);
                match sentences.iter().filter(|s| s.contains(said.as_str())).count() {
                    1 => {}
                    0 => problems.push(format!(
                        "{}: the clause `{said}` is not in the contract of labs.md",
                        exercise.name
                    )),
                    _ => problems.push(format!(
                        "{}: the clause `{said}` is in more than one sentence of the contract: quote more of it",
                        exercise.name
                    )),
                }
                problems.extend(clause_problems(&exercise, clause));
                used.extend(clause.checked_by.iter().cloned());
                let programs = clause
                    .broken_by
                    .iter()
                    .map(|p| (p, "fail"))
                    .chain(clause.passed_by.iter().map(|p| (p, "pass")))
                    .chain(clause.escaped_by.iter().map(|p| (p, "pass")));
                for (program, expect) in programs.filter(|_| proofs_here) {
                    let path = corpus.join(format!("{program}.rs"));
                    let header = std::fs::read_to_string(&path).unwrap_or_default();
                    if !header.contains(&format!("//! expect: {expect}\n")) {
                        problems.push(format!(
                            "{}: clause `{said}` names {}, which is not a corpus program expected to {expect}",
                            exercise.name,
                            path.display()
                        ));
                    }
                }
            }
        }
        for (check, _) in CHECKS {
            if !used.iter().any(|c| c == check) {
                problems.push(format!("no clause is checked by `{check}`"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
