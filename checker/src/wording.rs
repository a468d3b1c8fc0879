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

/// Text as it may reach a terminal: the checker's own styles (SGR sequences, `ESC [ ... m`),
/// newlines and tabs as they are, every other control character made visible (`\r`, `\x1b`).
/// A program's output and source lines are quoted in reports, and a title, a clipboard
/// request (OSC 52) or a cleared screen must not reach whoever reads them.
pub fn for_a_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    let harmless = |c: char| !c.is_control() || c == '\n' || c == '\t';
    if text.chars().all(|c| harmless(c) || c == '\x1b') && !text.contains("\x1b]") {
        // The common case: nothing but styles, and those only when they are styles.
        if text.split('\x1b').skip(1).all(is_style) {
            return text.into();
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && is_style(&rest[1..]) {
            let end = rest.find('m').map_or(rest.len(), |m| m + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        match c {
            c if harmless(c) => out.push(c),
            '\r' => out.push_str("\\r"),
            c => out.push_str(&format!("\\x{:02x}", c as u32)),
        }
        rest = &rest[c.len_utf8()..];
    }
    out.into()
}

/// Whether `after` (what follows an ESC) starts with a style: `[`, digits and `;`, then `m`.
fn is_style(after: &str) -> bool {
    let Some(params) = after.strip_prefix('[') else {
        return false;
    };
    let end = params
        .find(|c: char| !(c.is_ascii_digit() || c == ';'))
        .unwrap_or(params.len());
    params[end..].starts_with('m')
}

#[cfg(test)]
mod tests {
    use super::{for_a_terminal, quote};

    #[test]
    fn only_styles_reach_a_terminal() {
        let styled = "\x1b[31m-line\x1b[0m\n\tindented\n";
        assert_eq!(for_a_terminal(styled), styled);
        assert_eq!(
            for_a_terminal("\x1b]0;title\x07\x1b]52;c;Zm9v\x07\x1b[2J\x1b[1;31mred\x1b[0m\r\n"),
            "\\x1b]0;title\\x07\\x1b]52;c;Zm9v\\x07\\x1b[2J\x1b[1;31mred\x1b[0m\\r\n"
        );
        assert_eq!(for_a_terminal("tail \x1b["), "tail \\x1b[");
        assert_eq!(for_a_terminal("\u{9b}2J caf\u{e9}"), "\\x9b2J caf\u{e9}");
    }

    #[test]
    fn quoting_keeps_commands_on_one_line() {
        assert_eq!(quote("hello"), "hello");
        assert_eq!(quote("are you there?"), "'are you there?'");
        assert_eq!(quote("two\nlines"), "$'two\\nlines'");
        assert_eq!(quote("it's\t\\"), "$'it\\'s\\t\\\\'");
    }
}
