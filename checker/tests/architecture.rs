//! The checker's architecture, as CONTRIBUTING.md draws it: layers whose imports point one
//! way, no import cycle between modules, and a page that lists every folder of the tree.

mod common;

use common::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of the checker and the top-level modules it may import (test modules
/// aside). `main` carries out the command line and may use them all.
const LAYERS: [(&str, &[&str]); 8] = [
    ("sandbox", &[]),
    ("workbook", &[]),
    ("wording", &[]),
    ("judging", &["sandbox", "workbook", "wording"]),
    ("session", &["judging", "sandbox", "workbook", "wording"]),
    ("output", &["judging", "sandbox", "workbook", "wording"]),
    (
        "commands",
        &[
            "session", "judging", "output", "sandbox", "workbook", "wording",
        ],
    ),
    (
        "main",
        &[
            "commands", "session", "judging", "output", "sandbox", "workbook", "wording",
        ],
    ),
];

fn src() -> PathBuf {
    root().join("checker/src")
}

/// Every module file of the checker, by module path (`["judging", "cases"]` for
/// `judging/cases/mod.rs`; empty for `main.rs`).
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read checker/src") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src()).expect("below checker/src");
            let mut parts: Vec<String> = rel
                .with_extension("")
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts == ["main"] || parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            found.insert(parts, path);
        }
    }
    found
}

/// A file's code without its test module and its comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read a module");
    let lines: Vec<&str> = text.lines().collect();
    let test_module = lines.windows(2).position(|pair| {
        let attribute = pair[0].trim_start();
        let item = pair[1].trim_start();
        (attribute.starts_with("#[cfg(test)]") || attribute.starts_with("#[cfg(all(test"))
            && (item.starts_with("mod ") || item.starts_with("pub mod "))
    });
    lines[..test_module.unwrap_or(lines.len())]
        .iter()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path a module names through `crate::` or `super::`, as absolute module paths (`use`
/// groups expanded).
fn paths_named(me: &[String], is_dir_module: bool, code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 7)].iter().collect();
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            // The whole path, with any `{...}` group.
            let mut depth = 0;
            let mut j = i;
            while j < bytes.len() {
                let c = bytes[j];
                if c == '{' {
                    depth += 1;
                } else if c == '}' {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                } else if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') {
                    break;
                }
                j += 1;
            }
            let text: String = bytes[i..j].iter().filter(|c| !c.is_whitespace()).collect();
            for path in expand(&text) {
                paths.push(absolute(me, is_dir_module, &path));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    paths
}

/// `a::{b, c::{d}}` into `a::b` and `a::c::d`.
fn expand(path: &str) -> Vec<String> {
    let Some(open) = path.find('{') else {
        return vec![path.to_string()];
    };
    let (prefix, inner) = (&path[..open], &path[open + 1..path.len() - 1]);
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in inner.chars() {
        match c {
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            '{' | '}' => {
                depth += if c == '{' { 1 } else { -1 };
                current.push(c);
            }
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(&p).into_iter().map(|q| format!("{prefix}{q}")))
        .collect()
}

fn absolute(me: &[String], is_dir_module: bool, path: &str) -> Vec<String> {
    let mut words: Vec<String> = path
        .split("::")
        .filter(|w| !w.is_empty() && *w != "self")
        .map(String::from)
        .collect();
    if words.first().is_some_and(|w| w == "crate") {
        words.remove(0);
        return words;
    }
    let mut base: Vec<String> = if is_dir_module {
        me.to_vec()
    } else {
        me[..me.len().saturating_sub(1)].to_vec()
    };
    while words.first().is_some_and(|w| w == "super") {
        words.remove(0);
        base.pop();
    }
    base.extend(words);
    base
}

/// For each module, the other modules it refers to (a module and its own descendants may
/// refer to each other freely, so those links are left out).
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules = modules();
    let mut edges = BTreeMap::new();
    for (me, file) in &modules {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let is_dir_module = name == "mod.rs" || name == "main.rs";
        let mut to = BTreeSet::new();
        for path in paths_named(me, is_dir_module, &code(file)) {
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains_key(p));
            let Some(target) = target else { continue };
            let related = target.starts_with(me) || me.starts_with(&target);
            if !related {
                to.insert(target);
            }
        }
        edges.insert(me.clone(), to);
    }
    edges
}

fn top(module: &[String]) -> &str {
    module.first().map_or("main", String::as_str)
}

#[test]
fn imports_point_down_the_layers() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.into_iter().collect();
    let mut wrong = Vec::new();
    for (from, targets) in graph() {
        let layer = top(&from);
        let Some(may) = allowed.get(layer) else {
            wrong.push(format!("{} is in no layer", from.join("::")));
            continue;
        };
        for to in targets {
            let other = top(&to);
            if other != layer && !may.contains(&other) {
                wrong.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let edges = graph();
    // A depth-first walk that meets a module still on its path has found a cycle.
    fn walk(
        at: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        path: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|p| p == at) {
            return Some(path[start..].iter().map(|m| m.join("::")).collect());
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.clone());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = walk(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.clone());
        None
    }
    let mut done = BTreeSet::new();
    for module in edges.keys() {
        if let Some(cycle) = walk(module, &edges, &mut Vec::new(), &mut done) {
            panic!(
                "these modules import each other in a loop: {}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn the_cycle_finder_sees_use_groups_and_super_paths() {
    let me = vec!["judging".to_string(), "cases".to_string()];
    let found = paths_named(
        &me,
        true,
        "use super::failure::Failure;\nuse crate::sandbox::{procfs::{self, Fd}, spy};",
    );
    let shown: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        shown,
        [
            "judging::failure::Failure",
            "sandbox::procfs",
            "sandbox::procfs::Fd",
            "sandbox::spy"
        ]
    );
}

#[test]
fn the_architecture_page_lists_every_folder_and_file_of_the_checker() {
    let page = std::fs::read_to_string(root().join("CONTRIBUTING.md")).expect("CONTRIBUTING.md");
    // The page's table: `| `checker/src/judging/` | ... |`, one row per folder or file.
    let listed: BTreeSet<String> = page
        .lines()
        .filter_map(|l| l.strip_prefix("| `checker/src/")?.split('`').next())
        .map(|p| p.trim_end_matches('/').to_string())
        .collect();
    let mut tree = BTreeSet::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read checker/src") {
            let path = entry.expect("an entry").path();
            let rel = path
                .strip_prefix(src())
                .expect("below checker/src")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                tree.insert(rel);
                stack.push(path);
            } else if dir == src() {
                tree.insert(rel);
            }
        }
    }
    let missing: Vec<&String> = tree.difference(&listed).collect();
    let gone: Vec<&String> = listed.difference(&tree).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "CONTRIBUTING.md does not match checker/src: not listed {missing:?}, listed but absent {gone:?}"
    );
}
