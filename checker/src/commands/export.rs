//! `export`: the student handout, a copy of the workbook without the reference solutions. Its
//! checker still grades from the stored transcripts and its oracles; only `--solutions` and
//! `bless` are gone with the solutions. The copy carries a GitHub Classroom workflow written
//! from the manifest, and the dev container; its README leaves out what the copy does not hold.

use crate::workbook::Workbook;
use crate::workbook::manifest::Exercise;
use std::path::Path;
use std::process::ExitCode;

/// What the handout holds, relative to the workbook's root; everything else stays behind.
const TOP_LEVEL: [&str; 12] = [
    "Cargo.lock",
    ".gitignore",
    ".cargo",
    ".devcontainer",
    "README.md",
    "INSTRUCTORS.md",
    "CONTRIBUTING.md",
    "labs.md",
    "reference.md",
    "pictures",
    "exercises",
    "checker",
];
/// Left behind: `checker/tests` runs the reference solutions; the exercise files as they are
/// in this workbook may have been worked (an instructor trying the exercises), so the
/// handout's are written from the pristine stubs instead.
const LEFT_OUT: [&str; 2] = ["checker/tests", "exercises/src/bin"];

/// Where the copy's GitHub Classroom workflow goes.
pub const WORKFLOW: &str = ".github/workflows/classroom.yml";

/// README's blocks that hold for the workbook but not for the copy (its tests, the reference
/// solutions) lie between these two lines.
const NOT_IN_COPY: &str = "<!-- not in the student copy -->\n";
const END_NOT_IN_COPY: &str = "<!-- end: not in the student copy -->\n";
/// What the copy's README says in place of the first of those blocks, the one on the tests.
const COPY_NOTE: &str =
    "This copy is the student handout, made from the workbook by `export`. It holds the exercises,
the handout and a checker that grades exactly as the workbook's does, but not the reference
solutions, nor the workbook's own tests, which need them and a corpus of broken programs:
`cargo test` here runs only the checker's unit tests. After a pass, the report cannot show you
a reference solution.
";

pub fn export(wb: &Workbook, dir: &Path) -> Result<ExitCode, String> {
    let files = write_copy(wb, dir)?;
    sayln!(
        "wrote the student handout to {} ({files} files); it holds no reference solution",
        dir.display(),
    );
    Ok(ExitCode::SUCCESS)
}

/// A folder that does not exist yet, or is empty, made ready to be written into.
pub fn empty_folder(dir: &Path) -> Result<(), String> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(format!("{} exists and is not empty", dir.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Writes the student's copy into `dir` (absent or empty); returns how many files it holds.
pub fn write_copy(wb: &Workbook, dir: &Path) -> Result<usize, String> {
    empty_folder(dir)?;
    let mut files = 0;
    for entry in TOP_LEVEL {
        files += copy_tree(&wb.root, Path::new(entry), dir)?;
    }
    files += write_stubs(wb, dir)?;
    let readme = dir.join("README.md");
    if readme.is_file() {
        let text = std::fs::read_to_string(&readme)
            .map_err(|e| format!("cannot read {}: {e}", readme.display()))?;
        std::fs::write(&readme, handout_readme(&text)?)
            .map_err(|e| format!("cannot write {}: {e}", readme.display()))?;
    }
    // The workspace without the solutions package.
    let path = wb.root.join("Cargo.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut root: toml::Table =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(toml::Value::Table(ws)) = root.get_mut("workspace") {
        ws.insert(
            "members".into(),
            toml::Value::Array(vec!["exercises".into(), "checker".into()]),
        );
        ws.insert(
            "default-members".into(),
            toml::Value::Array(vec!["checker".into()]),
        );
    }
    std::fs::write(dir.join("Cargo.toml"), root.to_string())
        .map_err(|e| format!("cannot write Cargo.toml: {e}"))?;
    let workflow = dir.join(WORKFLOW);
    if let Some(parent) = workflow.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&workflow, classroom_workflow(&wb.exercises))
        .map_err(|e| format!("cannot write {}: {e}", workflow.display()))?;
    Ok(files + 2)
}

/// The copy's README: the workbook's, without the blocks that describe what the copy lacks,
/// the first of them replaced by [`COPY_NOTE`]. A README with no such block (a copy's own) is
/// kept as it is.
fn handout_readme(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    let mut blocks = 0;
    while let Some(start) = rest.find(NOT_IN_COPY) {
        let inside = &rest[start + NOT_IN_COPY.len()..];
        let end = inside.find(END_NOT_IN_COPY).ok_or_else(|| {
            format!(
                "README.md opens a block with `{}` and never closes it",
                NOT_IN_COPY.trim()
            )
        })?;
        out.push_str(&rest[..start]);
        if blocks == 0 {
            out.push_str(COPY_NOTE);
        }
        blocks += 1;
        rest = &inside[end + END_NOT_IN_COPY.len()..];
        // One blank line where the block was, not two.
        if out.ends_with("\n\n") {
            rest = rest.strip_prefix('\n').unwrap_or(rest);
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The handout's exercise files: each exercise's stub (`checker/stubs/`, what `reset` puts
/// back), never the file as it is in this workbook. Returns how many.
fn write_stubs(wb: &Workbook, dir: &Path) -> Result<usize, String> {
    let bin = dir.join("exercises/src/bin");
    std::fs::create_dir_all(&bin).map_err(|e| format!("cannot create {}: {e}", bin.display()))?;
    for exercise in &wb.exercises {
        let stub = wb.stub(exercise);
        std::fs::copy(&stub, dir.join(exercise.exercise_path()))
            .map_err(|e| format!("cannot copy the stub {}: {e}", stub.display()))?;
    }
    Ok(wb.exercises.len())
}

/// The GitHub Classroom workflow: on every push, one step per exercise checks it and hands
/// its points, case by case, to Classroom's grading reporter.
pub fn classroom_workflow(exercises: &[Exercise]) -> String {
    let id = |e: &Exercise| format!("ex{:02}", e.number());
    let mut out = String::from(
        "# GitHub Classroom autograding for pipes-lab, written from checker/exercises.toml by
# `cargo run -p checker -- export`. Each exercise's step checks it and passes its points, case
# by case, to Classroom's grading reporter; the step's log holds the checker's report.
name: Autograding
on:
  push:
  workflow_dispatch:
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  autograding:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 30
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
      - name: Build the checker
        run: cargo build -q -p checker
",
    );
    for e in exercises {
        let id = id(e);
        out.push_str(&format!(
            "      - name: {name} ({points} points)
        id: {id}
        run: |
          cargo run -q -p checker -- {name} --format classroom --output \"$RUNNER_TEMP/{id}\" || true
          echo \"result=$(cat \"$RUNNER_TEMP/{id}\")\" >> \"$GITHUB_OUTPUT\"
",
            name = e.name,
            points = e.points,
        ));
    }
    out.push_str(
        "      - name: Report the points to GitHub Classroom
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
",
    );
    for e in exercises {
        let id = id(e);
        out.push_str(&format!(
            "          {}_RESULTS: ${{{{ steps.{id}.outputs.result }}}}\n",
            id.to_uppercase()
        ));
    }
    let runners: Vec<String> = exercises.iter().map(id).collect();
    out.push_str(&format!(
        "        with:\n          runners: {}\n",
        runners.join(",")
    ));
    out
}

/// Copies `rel` (a file or a folder) from `root` into `to`; returns the number of files.
fn copy_tree(root: &Path, rel: &Path, to: &Path) -> Result<usize, String> {
    let from = root.join(rel);
    if LEFT_OUT.iter().any(|l| rel == Path::new(l)) || !from.exists() {
        return Ok(0);
    }
    let io = |e: std::io::Error| format!("cannot copy {}: {e}", from.display());
    if from.is_dir() {
        std::fs::create_dir_all(to.join(rel)).map_err(io)?;
        let mut count = 0;
        for entry in std::fs::read_dir(&from).map_err(io)? {
            let entry = entry.map_err(io)?;
            count += copy_tree(root, &rel.join(entry.file_name()), to)?;
        }
        Ok(count)
    } else {
        std::fs::copy(&from, to.join(rel)).map_err(io)?;
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The copy's README speaks of no test, solution or export it does not have. Read here as
    /// the workbook's README, rewritten; in a copy, as the copy's, already rewritten.
    #[test]
    fn the_copy_s_readme_describes_only_what_the_copy_has() {
        let path = format!("{}/../README.md", env!("CARGO_MANIFEST_DIR"));
        let workbook = std::fs::read_to_string(&path).expect("read README.md");
        let copy = handout_readme(&workbook).expect("rewrite README.md");
        if !workbook.contains(COPY_NOTE) {
            assert!(
                workbook.matches(NOT_IN_COPY).count() >= 3,
                "README.md marks fewer than three blocks as not in the student copy"
            );
        }
        assert_eq!(copy.matches(COPY_NOTE).count(), 1, "{copy}");
        for absent in [
            "<!--",
            "```\ncargo test\n```",
            ".ci/run",
            "solutions/",
            "names the reference solution",
            "checker -- export",
        ] {
            assert!(
                !copy.contains(absent),
                "the copy's README still says `{absent}`:\n{copy}"
            );
        }
        assert!(
            !copy.contains("\n\n\n"),
            "a block leaves two blank lines:\n{copy}"
        );
        // The rewriting leaves a copy's README as it is.
        assert_eq!(handout_readme(&copy).expect("rewrite again"), copy);
    }

    #[test]
    fn a_block_left_open_is_an_error() {
        let text = format!("a\n{NOT_IN_COPY}b\n");
        assert!(handout_readme(&text).is_err());
    }
}
