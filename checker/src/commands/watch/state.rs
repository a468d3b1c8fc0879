//! What watch mode does next, decided without a terminal: given what happened (a file saved,
//! a key pressed, a check finished, time passed), the actions to take. The terminal loop in
//! `watch.rs` only carries these out.

use std::collections::BTreeSet;
use std::time::Duration;

/// After this long without any change event, watch mode says that saves may go unnoticed.
pub const QUIET_WARNING: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// An exercise's file was written.
    Saved(String),
    Key(char),
    /// A check of one exercise finished.
    Checked {
        exercise: String,
        passed: bool,
    },
    /// Time since watch mode started, with no event yet or since the last.
    Tick(Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Check(String),
    CheckAll,
    Hint(String),
    List,
    Say(String),
    Quit,
}

pub struct WatchState {
    order: Vec<String>,
    passed: BTreeSet<String>,
    pub current: String,
    manual: bool,
    heard_from_files: bool,
    warned: bool,
}

impl WatchState {
    /// Starts on the first exercise not done; returns its first check.
    pub fn new(
        order: Vec<String>,
        passed: BTreeSet<String>,
        manual: bool,
    ) -> (WatchState, Vec<Action>) {
        let current = order
            .iter()
            .find(|e| !passed.contains(*e))
            .or(order.last())
            .cloned()
            .unwrap_or_default();
        let state = WatchState {
            order,
            passed,
            current: current.clone(),
            manual,
            heard_from_files: false,
            warned: false,
        };
        (state, vec![Action::Check(current)])
    }

    pub fn keys_help(&self) -> &'static str {
        if self.manual {
            "r re-check · h hint · n next · l list · c check all · q quit"
        } else {
            "h hint · n next · l list · c check all · r re-check · q quit"
        }
    }

    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        match input {
            Input::Saved(exercise) if !self.manual => {
                self.heard_from_files = true;
                if self.order.contains(&exercise) {
                    self.current = exercise.clone();
                    vec![Action::Check(exercise)]
                } else {
                    Vec::new()
                }
            }
            Input::Saved(_) => Vec::new(),
            Input::Key('q') => vec![Action::Quit],
            Input::Key('h') => vec![Action::Hint(self.current.clone())],
            Input::Key('l') => vec![Action::List],
            Input::Key('c') => vec![Action::CheckAll],
            Input::Key('r') => vec![Action::Check(self.current.clone())],
            Input::Key('n') => self.next(),
            Input::Key(_) => Vec::new(),
            Input::Checked { exercise, passed } => {
                if passed {
                    self.passed.insert(exercise.clone());
                } else {
                    self.passed.remove(&exercise);
                }
                if passed && exercise == self.current {
                    vec![Action::Say(format!(
                        "{exercise} passes: press n for the next exercise."
                    ))]
                } else {
                    Vec::new()
                }
            }
            Input::Tick(quiet)
                if !self.manual
                    && !self.heard_from_files
                    && !self.warned
                    && quiet >= QUIET_WARNING =>
            {
                self.warned = true;
                vec![Action::Say(format!(
                    "No save noticed in {} s. If you did save, this file system does not report changes (WSL, network drives): quit and run `watch --manual`, then press r to re-check.",
                    quiet.as_secs()
                ))]
            }
            Input::Tick(_) => Vec::new(),
        }
    }

    fn next(&mut self) -> Vec<Action> {
        if !self.passed.contains(&self.current) {
            return vec![Action::Say(format!(
                "{} does not pass yet; n moves on once it does.",
                self.current
            ))];
        }
        let after = self
            .order
            .iter()
            .skip_while(|e| **e != self.current)
            .skip(1);
        match after
            .chain(self.order.iter())
            .find(|e| !self.passed.contains(*e))
            .cloned()
        {
            Some(next) => {
                self.current = next.clone();
                vec![Action::Check(next)]
            }
            None => vec![Action::Say("Every exercise passes. Well done!".into())],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Vec<String> {
        ["01_a", "02_b", "03_c"].map(String::from).to_vec()
    }

    #[test]
    fn starts_on_the_first_exercise_not_done() {
        let (s, actions) = WatchState::new(order(), BTreeSet::from(["01_a".to_string()]), false);
        assert_eq!(s.current, "02_b");
        assert_eq!(actions, vec![Action::Check("02_b".into())]);
    }

    #[test]
    fn a_save_rechecks_that_exercise_and_makes_it_current() {
        let (mut s, _) = WatchState::new(order(), BTreeSet::new(), false);
        assert_eq!(
            s.handle(Input::Saved("03_c".into())),
            vec![Action::Check("03_c".into())]
        );
        assert_eq!(s.current, "03_c");
        assert_eq!(s.handle(Input::Saved("Cargo".into())), vec![]);
    }

    #[test]
    fn next_only_after_a_pass() {
        let (mut s, _) = WatchState::new(order(), BTreeSet::new(), false);
        assert!(
            matches!(s.handle(Input::Key('n')).as_slice(), [Action::Say(m)] if m.contains("does not pass yet"))
        );
        let said = s.handle(Input::Checked {
            exercise: "01_a".into(),
            passed: true,
        });
        assert!(matches!(said.as_slice(), [Action::Say(m)] if m.contains("press n")));
        assert_eq!(
            s.handle(Input::Key('n')),
            vec![Action::Check("02_b".into())]
        );
        assert_eq!(s.current, "02_b");
    }

    #[test]
    fn keys_map_to_actions() {
        let (mut s, _) = WatchState::new(order(), BTreeSet::new(), false);
        assert_eq!(s.handle(Input::Key('h')), vec![Action::Hint("01_a".into())]);
        assert_eq!(s.handle(Input::Key('l')), vec![Action::List]);
        assert_eq!(s.handle(Input::Key('c')), vec![Action::CheckAll]);
        assert_eq!(
            s.handle(Input::Key('r')),
            vec![Action::Check("01_a".into())]
        );
        assert_eq!(s.handle(Input::Key('q')), vec![Action::Quit]);
        assert_eq!(s.handle(Input::Key('x')), vec![]);
    }

    #[test]
    fn manual_mode_ignores_file_events_and_rechecks_on_r() {
        let (mut s, _) = WatchState::new(order(), BTreeSet::new(), true);
        assert_eq!(s.handle(Input::Saved("01_a".into())), vec![]);
        assert_eq!(
            s.handle(Input::Key('r')),
            vec![Action::Check("01_a".into())]
        );
        assert_eq!(
            s.handle(Input::Tick(QUIET_WARNING * 2)),
            vec![],
            "no warning in manual mode"
        );
    }

    #[test]
    fn a_long_silence_after_start_is_said_once() {
        let (mut s, _) = WatchState::new(order(), BTreeSet::new(), false);
        assert_eq!(s.handle(Input::Tick(Duration::from_secs(5))), vec![]);
        assert!(
            matches!(s.handle(Input::Tick(QUIET_WARNING)).as_slice(), [Action::Say(m)] if m.contains("--manual"))
        );
        assert_eq!(s.handle(Input::Tick(QUIET_WARNING * 2)), vec![]);
        let (mut heard, _) = WatchState::new(order(), BTreeSet::new(), false);
        heard.handle(Input::Saved("01_a".into()));
        assert_eq!(heard.handle(Input::Tick(QUIET_WARNING)), vec![]);
    }

    #[test]
    fn when_all_pass_next_says_so() {
        let all: BTreeSet<String> = order().into_iter().collect();
        let (mut s, _) = WatchState::new(order(), all, false);
        assert_eq!(s.current, "03_c");
        assert!(
            matches!(s.handle(Input::Key('n')).as_slice(), [Action::Say(m)] if m.contains("Every exercise passes"))
        );
    }
}
