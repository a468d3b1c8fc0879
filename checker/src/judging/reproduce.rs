//! The command that reproduces a case by hand, the last line of every failure report.

use super::cases::Case;
use crate::wording::{quote, shown};
use std::path::Path;

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
