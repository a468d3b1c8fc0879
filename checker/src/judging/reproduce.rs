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
    // Quoting only lengthens them: arguments too long to read as they are are not quoted.
    let long = case.args.iter().map(|a| a.len() + 1).sum::<usize>() > 301;
    let args = match long {
        true => String::new(),
        false => case
            .args
            .iter()
            .map(|a| quote(a))
            .collect::<Vec<_>>()
            .join(" "),
    };
    let long = long || args.len() > 300;
    let mut command = env.join(" ");
    if !command.is_empty() {
        command.push(' ');
    }
    if long {
        // Too long to read: the arguments are in the kept `args` file, NUL-separated.
        command = format!("{command}xargs -0 -x -a args {rerun}");
    } else {
        command = format!(
            "{command}{rerun}{}{args}",
            if args.is_empty() { "" } else { " " }
        );
    }
    match kept.map(shown) {
        Some(dir) if !case.files.is_empty() || long => {
            format!("cd {} && {command}", shell_words::quote(&dir))
        }
        _ => command,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judging::cases::{Expected, Kind};

    fn with_args(args: &[&str]) -> Case {
        let args = args.iter().map(|a| a.to_string()).collect();
        Case::new("a case", Kind::Random, args, Expected::Exact(String::new()))
    }

    #[test]
    fn short_arguments_are_written_out_quoted() {
        let case = with_args(&["hello", "two words"]);
        let command = reproduce(&case, Some(Path::new("/kept/01-random")), "run");
        assert_eq!(command, "run hello 'two words'");
    }

    #[test]
    fn arguments_too_long_to_read_are_read_from_the_kept_file() {
        let long = "x".repeat(400);
        let case = with_args(&["a", &long]);
        let command = reproduce(&case, Some(Path::new("/kept/03-big")), "run");
        assert_eq!(command, "cd /kept/03-big && xargs -0 -x -a args run");
    }

    #[test]
    fn arguments_that_only_their_quotes_make_too_long_are_read_from_the_kept_file() {
        // 299 characters as they are, more than 300 once quoted.
        let spaced = format!("a {}", "x".repeat(297));
        let case = with_args(&[&spaced]);
        let command = reproduce(&case, Some(Path::new("/kept/02-random")), "run");
        assert_eq!(command, "cd /kept/02-random && xargs -0 -x -a args run");
    }
}
