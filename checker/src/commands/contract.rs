//! `contract`: an exercise's contract clause by clause, each with the checks that enforce it,
//! so that a student knows what is checked and an instructor what a grade rests on.

use crate::judging::contract::check_words;
use crate::workbook::manifest::Exercise;
use std::process::ExitCode;

pub fn contract(exercise: &Exercise) -> Result<ExitCode, String> {
    say!("{}", text(exercise));
    Ok(ExitCode::SUCCESS)
}

fn text(exercise: &Exercise) -> String {
    let mut out = format!(
        "The contract of {} ({}), clause by clause (labs.md has it in full):\n",
        exercise.name, exercise.usage
    );
    for clause in &exercise.clauses {
        out.push_str(&format!("\n  {}\n", clause.says));
        if let Some(why) = &clause.given {
            out.push_str(&format!("    not checked: {why}\n"));
        }
        for check in &clause.checked_by {
            out.push_str(&format!("    checked: {}\n", check_words(exercise, check)));
        }
        if let Some(gap) = &clause.gap {
            out.push_str(&format!("    not checked yet: {gap}\n"));
        }
        // The workbook's own tests run these programs: each must get that verdict.
        let proofs: Vec<String> = (clause.broken_by.iter().map(|p| (p, "fails")))
            .chain(clause.passed_by.iter().map(|p| (p, "passes")))
            .chain(clause.escaped_by.iter().map(|p| (p, "passes, wrongly")))
            .map(|(p, verdict)| format!("{p}.rs {verdict}"))
            .collect();
        if !proofs.is_empty() {
            out.push_str(&format!(
                "    shown by checker/tests/corpus/{}/: {}\n",
                exercise.name,
                proofs.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbook::manifest::exercises;

    #[test]
    fn every_clause_is_shown_with_its_checks_in_words() {
        for exercise in exercises() {
            let text = text(&exercise);
            for clause in &exercise.clauses {
                assert!(text.contains(&clause.says), "{}", clause.says);
            }
            assert!(!text.contains("rule "), "a rule shown by its name:\n{text}");
        }
    }
}
