//! The workbook's documents: README is the student's front door, the instructors have a guide
//! of their own, the handout's main path reads in one sitting and shows the manifest's hints
//! word for word, and every link between the documents lands on a heading that exists.

mod common;

use common::root;
use std::collections::BTreeSet;

/// The documents that link to one another.
const DOCUMENTS: [&str; 5] = [
    "README.md",
    "INSTRUCTORS.md",
    "CONTRIBUTING.md",
    "labs.md",
    "reference.md",
];

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The text a reader meets without opening a collapsed `<details>` block.
fn main_path(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<details>") {
        out.push_str(&rest[..start]);
        rest = match rest[start..].find("</details>") {
            Some(end) => &rest[start + end + "</details>".len()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[test]
fn readme_starts_with_the_two_commands_and_stays_short() {
    let readme = read("README.md");
    let top: String = readme.lines().take(40).collect::<Vec<_>>().join("\n");
    for command in ["cargo run -p checker\n", "cargo test\n"] {
        assert!(
            top.contains(command),
            "README's first 40 lines lack `{}`",
            command.trim()
        );
    }
    let n = words(&readme);
    assert!(n <= 1300, "README has {n} words; at most 1,300");
    for guide in ["INSTRUCTORS.md", "labs.md", "reference.md"] {
        assert!(
            readme.contains(&format!("]({guide}")),
            "README does not link {guide}"
        );
    }
}

#[test]
fn the_instructors_guide_covers_grading_and_gradescope() {
    let guide = read("INSTRUCTORS.md");
    for heading in [
        "### Grading a class",
        "### Gradescope",
        "### The sandbox",
        "### Structural checks",
        "### The student handout",
    ] {
        assert!(
            guide.lines().any(|l| l == heading),
            "INSTRUCTORS.md has no `{heading}`"
        );
    }
}

#[test]
fn the_handout_reads_in_one_sitting() {
    let labs = read("labs.md");
    let n = words(&main_path(&labs));
    assert!(
        n <= 10_000,
        "labs.md has {n} words outside <details>; at most 10,000"
    );
    // Every collapsed block is closed, or the rest of the page would hide in it.
    assert_eq!(
        labs.matches("<details>").count(),
        labs.matches("</details>").count(),
        "labs.md opens and closes <details> a different number of times"
    );
}

#[test]
fn every_hint_of_the_manifest_is_in_the_handout_word_for_word() {
    let manifest: toml::Table =
        toml::from_str(&read("checker/exercises.toml")).expect("parse the manifest");
    let labs = read("labs.md");
    let exercises = manifest["exercise"]
        .as_array()
        .expect("[[exercise]] entries");
    for exercise in exercises {
        let name = exercise["name"].as_str().expect("a name");
        let hints = exercise["hints"].as_array().expect("hints");
        assert!(hints.len() >= 2, "{name} has fewer than two hints");
        let mut last = 0;
        for (i, hint) in hints.iter().enumerate() {
            let hint = hint.as_str().expect("a hint is a string");
            let at = labs
                .find(hint)
                .unwrap_or_else(|| panic!("labs.md lacks hint {} of {name}: {hint}", i + 1));
            assert!(
                at >= last,
                "labs.md shows hint {} of {name} before the one it follows",
                i + 1
            );
            last = at;
        }
    }
}

#[test]
fn the_workspace_declares_the_rust_it_needs() {
    let cargo: toml::Table = toml::from_str(&read("Cargo.toml")).expect("parse Cargo.toml");
    let version = cargo["workspace"]["package"]["rust-version"]
        .as_str()
        .expect("[workspace.package] rust-version");
    let minor: u32 = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse().ok())
        .expect("a version 1.N");
    assert!(
        minor >= 87,
        "rust-version {version}: std::io::pipe needs 1.87"
    );
    assert!(
        read("README.md").contains(&format!("Rust {version} or newer")),
        "README does not say Rust {version}"
    );
    for member in ["exercises", "solutions", "checker"] {
        let manifest = read(&format!("{member}/Cargo.toml"));
        assert!(
            manifest.contains("rust-version.workspace = true"),
            "{member}/Cargo.toml does not take the workspace's rust-version"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    let mut in_code = false;
    let mut found = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            found.insert(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn links_between_the_documents_land_on_headings() {
    let mut broken = Vec::new();
    for document in DOCUMENTS {
        let text = read(document);
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let Some(end) = rest.find(')') else { continue };
            let target = &rest[..end];
            if target.starts_with("http") || target.contains(' ') {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() { document } else { file };
            let path = root().join(file);
            if !path.exists() {
                broken.push(format!("{document}: {target} (no such file)"));
                continue;
            }
            if !fragment.is_empty()
                && file.ends_with(".md")
                && !anchors(&read(file)).contains(fragment)
            {
                broken.push(format!("{document}: {target} (no such heading)"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
