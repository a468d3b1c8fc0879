//! Expected transcripts: plain-text files under `checker/transcripts/`, one per exercise, in the
//! style of trycmd (`$ command`, `? status`, then the expected stdout). The format is described in
//! `checker/transcripts/README.md`.

/// One command of a transcript file and what it must print.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptCase {
    /// 1-based line of the `$` line, for messages about the file.
    pub line: usize,
    /// The text after `$ `, kept as written so that `bless` does not rewrite it.
    pub command: String,
    pub env: Vec<(String, String)>,
    pub program: String,
    pub args: Vec<String>,
    pub status: i32,
    pub stdout: String,
}

/// A parsed transcript file: the comment header and the cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub header: String,
    pub cases: Vec<TranscriptCase>,
}

impl Transcript {
    pub fn parse(text: &str) -> Result<Transcript, String> {
        let mut header = String::new();
        let mut cases: Vec<TranscriptCase> = Vec::new();
        let mut lines = text.lines().enumerate().peekable();
        while let Some((i, line)) = lines.next() {
            let Some(command) = line.strip_prefix("$ ") else {
                match cases.last_mut() {
                    Some(case) => {
                        case.stdout.push_str(line);
                        case.stdout.push('\n');
                    }
                    None if line.is_empty() || line.starts_with('#') => {
                        header.push_str(line);
                        header.push('\n');
                    }
                    None => {
                        return Err(format!(
                            "line {}: expected a `$ command` line or a `#` comment",
                            i + 1
                        ));
                    }
                }
                continue;
            };
            let mut case = parse_command(i + 1, command)?;
            if let Some((j, status)) = lines
                .peek()
                .and_then(|(j, l)| Some((*j, l.strip_prefix("? ")?)))
            {
                case.status = status
                    .trim()
                    .parse()
                    .map_err(|_| format!("line {}: `? {status}` is not an exit status", j + 1))?;
                lines.next();
            }
            cases.push(case);
        }
        // Blank lines before the next `$` separate cases; they are not expected output.
        for case in &mut cases {
            while case.stdout.ends_with("\n\n") || case.stdout == "\n" {
                case.stdout.pop();
            }
        }
        Ok(Transcript { header, cases })
    }

    /// Writes the transcript back in the same format (used by `bless`).
    pub fn render(&self) -> String {
        let mut out = self.header.clone();
        for (i, case) in self.cases.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&format!("$ {}\n", case.command));
            if case.status != 0 {
                out.push_str(&format!("? {}\n", case.status));
            }
            out.push_str(&case.stdout);
        }
        out
    }
}

fn parse_command(line: usize, command: &str) -> Result<TranscriptCase, String> {
    let words = shell_words::split(command)
        .map_err(|e| format!("line {line}: cannot split `{command}` into words: {e}"))?;
    let mut env = Vec::new();
    let mut words = words.into_iter().peekable();
    while let Some((name, value)) = words.peek().and_then(|w| env_assignment(w)) {
        env.push((name, value));
        words.next();
    }
    let program = words
        .next()
        .ok_or_else(|| format!("line {line}: `$` is not followed by a program"))?;
    Ok(TranscriptCase {
        line,
        command: command.to_string(),
        env,
        program,
        args: words.collect(),
        status: 0,
        stdout: String::new(),
    })
}

fn env_assignment(word: &str) -> Option<(String, String)> {
    let (name, value) = word.split_once('=')?;
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    valid.then(|| (name.to_string(), value.to_string()))
}

/// Does one line match an expected line, where `[..]` stands for any text within the line?
pub fn line_matches(expected: &str, actual: &str) -> bool {
    let mut parts = expected.split("[..]");
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Matches whole outputs: `[..]` within a line, and a line of just `...` for any number of
/// lines. On success returns the expected text with every pattern replaced by what it matched.
pub fn match_lines(expected: &str, actual: &str) -> Option<String> {
    let exp: Vec<&str> = expected.lines().collect();
    let act: Vec<&str> = actual.lines().collect();
    let mut taken = Vec::new();
    if match_from(&exp, &act, &mut taken) {
        Some(taken.iter().map(|l| format!("{l}\n")).collect())
    } else {
        None
    }
}

fn match_from<'a>(exp: &[&str], act: &[&'a str], taken: &mut Vec<&'a str>) -> bool {
    let Some((first, rest)) = exp.split_first() else {
        return act.is_empty();
    };
    let mark = taken.len();
    if *first == "..." {
        for skip in 0..=act.len() {
            taken.extend_from_slice(&act[..skip]);
            if match_from(rest, &act[skip..], taken) {
                return true;
            }
            taken.truncate(mark);
        }
        return false;
    }
    match act.split_first() {
        Some((line, act_rest)) if line_matches(first, line) => {
            taken.push(line);
            match_from(rest, act_rest, taken) || {
                taken.truncate(mark);
                false
            }
        }
        _ => false,
    }
}

/// For showing a failed match: each expected pattern line that matches the actual line at the
/// same place is shown as that line, so the diff only marks real differences.
pub fn expected_for_diff(expected: &str, actual: &str) -> String {
    let act: Vec<&str> = actual.lines().collect();
    expected
        .lines()
        .enumerate()
        .map(|(i, line)| match act.get(i) {
            Some(a) if line.contains("[..]") && line_matches(line, a) => format!("{a}\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_status_env_and_output() {
        let text = "# header\n\n$ PIPES_LAB_TIME_SCALE=0.01 03_producer_consumer 'a b' c\nMessage Received: a b\ndone\n\n$ 04_three_stage_chain\n? 2\n";
        let t = Transcript::parse(text).unwrap();
        assert_eq!(t.header, "# header\n\n");
        assert_eq!(t.cases.len(), 2);
        let c = &t.cases[0];
        assert_eq!(c.env, vec![("PIPES_LAB_TIME_SCALE".into(), "0.01".into())]);
        assert_eq!(c.program, "03_producer_consumer");
        assert_eq!(c.args, vec!["a b", "c"]);
        assert_eq!(c.status, 0);
        assert_eq!(c.stdout, "Message Received: a b\ndone\n");
        assert_eq!(t.cases[1].status, 2);
        assert_eq!(t.cases[1].stdout, "");
        assert_eq!(t.cases[1].line, 7);
        assert_eq!(Transcript::parse(&t.render()).unwrap(), t);
    }

    #[test]
    fn rejects_text_before_the_first_command_and_bad_status() {
        assert!(
            Transcript::parse("oops\n$ x\n")
                .unwrap_err()
                .contains("line 1")
        );
        assert!(
            Transcript::parse("$ x\n? many\n")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(Transcript::parse("$ 'unclosed\n").is_err());
    }

    #[test]
    fn placeholder_within_a_line() {
        assert!(line_matches(
            "child exited with status [..]",
            "child exited with status 0"
        ));
        assert!(line_matches("[..]", ""));
        assert!(line_matches("a[..]b[..]c", "a-b-b-c"));
        assert!(line_matches("exact", "exact"));
        assert!(!line_matches("exact", "exact!"));
        assert!(!line_matches("a[..]b", "ba"));
        assert!(!line_matches("ab[..]ba", "aba"));
    }

    #[test]
    fn ellipsis_line_matches_any_number_of_lines() {
        assert!(match_lines("a\n...\nz\n", "a\nz\n").is_some());
        assert!(match_lines("a\n...\nz\n", "a\nb\nc\nz\n").is_some());
        assert!(match_lines("a\n...\n", "a\n").is_some());
        assert!(match_lines("a\n...\nz\n", "a\nb\n").is_none());
        assert!(match_lines("a\nb\n", "a\n").is_none());
        assert!(match_lines("a\n", "a\nb\n").is_none());
        assert_eq!(
            match_lines("x [..]\n...\n", "x 1\ny\n").unwrap(),
            "x 1\ny\n"
        );
    }

    #[test]
    fn diff_view_resolves_matching_placeholders_only() {
        let shown = expected_for_diff("pid [..]\nsame\n", "pid 42\nother\n");
        assert_eq!(shown, "pid 42\nsame\n");
    }
}
