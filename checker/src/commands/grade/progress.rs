//! How far grading is, on stderr: a one-line bar on a terminal; elsewhere (a log, CI), one
//! line per submission as it finishes.

use std::io::IsTerminal;
use std::sync::Mutex;

pub struct Progress {
    total: usize,
    /// The widest submission name, to align the lines.
    width: usize,
    max: u32,
    on_terminal: bool,
    /// How many are done, and the submission started last.
    state: Mutex<(usize, String)>,
}

impl Progress {
    pub fn new(names: &[String], max: u32) -> Progress {
        Progress {
            total: names.len(),
            width: names.iter().map(|n| n.chars().count()).max().unwrap_or(0),
            max,
            on_terminal: std::io::stderr().is_terminal(),
            state: Mutex::new((0, String::new())),
        }
    }

    pub fn started(&self, name: &str) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = name.to_string();
        }
        self.draw();
    }

    /// A submission is done: `NAME  123.5/185  graded  12.3 s` without a terminal.
    pub fn finished(&self, name: &str, total: f64, status: &str, seconds: f64) {
        if let Ok(mut state) = self.state.lock() {
            state.0 += 1;
        }
        if !self.on_terminal {
            let line = self.line(name, total, status, seconds);
            anstream::eprintln!("{}", crate::wording::for_a_terminal(&line));
        }
        self.draw();
    }

    fn line(&self, name: &str, total: f64, status: &str, seconds: f64) -> String {
        format!(
            "{name:<width$}  {:>5}/{}  {status}  {seconds:.1} s",
            crate::wording::number(total),
            self.max,
            width = self.width
        )
    }

    fn draw(&self) {
        let Ok(state) = self.state.lock() else { return };
        if self.on_terminal {
            let filled = state.0 * 30 / self.total.max(1);
            eprint!(
                "\r\x1b[2K[{}{}] {}/{} {}",
                "#".repeat(filled),
                "-".repeat(30 - filled),
                state.0,
                self.total,
                crate::wording::for_a_terminal(&state.1)
            );
        }
    }

    pub fn clear(&self) {
        if self.on_terminal {
            eprint!("\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_the_submission_its_points_status_and_time() {
        let names = ["ann".to_string(), "bartholomew".to_string()];
        let progress = Progress::new(&names, 185);
        assert_eq!(
            progress.line("ann", 123.5, "graded", 12.34),
            "ann          123.5/185  graded  12.3 s"
        );
    }
}
