//! How the checker writes things for people, in every layer: points, paths, shell words and
//! long lines.

use std::path::Path;

/// Characters of one line shown before it is cut.
const LINE_CHARS: usize = 160;

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

/// A line cut to what a report shows of it (120 KiB messages make long lines).
pub fn cut(line: &str) -> String {
    match line.char_indices().nth(LINE_CHARS) {
        Some((at, _)) => format!("{}... ({} more bytes)", &line[..at], line.len() - at),
        None => line.to_string(),
    }
}

/// Quotes a word for sh; words with newlines or tabs use bash's `$'...'` so the command stays
/// on one line.
pub fn quote(word: &str) -> String {
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
