//! What watch mode does next, decided without a terminal: given what happened (a file saved,
//! a key pressed, a check finished, time passed), the actions to take. The terminal loop in
//! `watch.rs` only carries these out.

use std::collections::BTreeSet;
use std::time::Duration;

/// After this long without any change event, watch mode says that saves may go unnoticed.
pub const QUIET_WARNING: Duration = Duration::from_secs(60);

/// Saves arriving this close together count as one: editors write a file in several steps, a
/// few milliseconds apart, and each step restarts the wait. Every millisecond here is one more
/// before the verdict; a save still being written when its check starts only costs a second
/// check, which its last step asks for.
pub const SETTLE: Duration = Duration::from_millis(25);
/// The wait once every file saved is complete (closed by its writer, or renamed into place):
/// only for what an editor does at once after writing (vim sets the file's mode).
pub const SETTLE_WRITTEN: Duration = Duration::from_millis(4);

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// An exercise's file changed, and may still be changing.
    Saved(String),
    /// An exercise's file is complete: its writer closed it, or it was renamed into place.
    Written(String),
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
            Input::Written(exercise) => self.handle(Input::Saved(exercise)),
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

/// One save on its way: the exercises saved since the first event, and which of them may
/// still be changing.
#[derive(Debug, Default)]
pub struct Settling {
    saved: Vec<String>,
    changing: BTreeSet<String>,
}

impl Settling {
    /// Takes a file event; gives any other input back.
    pub fn note(&mut self, input: Input) -> Option<Input> {
        let (exercise, complete) = match input {
            Input::Saved(e) => (e, false),
            Input::Written(e) => (e, true),
            other => return Some(other),
        };
        match complete {
            true => self.changing.remove(&exercise),
            false => self.changing.insert(exercise.clone()),
        };
        if !self.saved.contains(&exercise) {
            self.saved.push(exercise);
        }
        None
    }

    /// How long to wait for another event before the save counts as done.
    pub fn wait(&self) -> Duration {
        match self.changing.is_empty() {
            true => SETTLE_WRITTEN,
            false => SETTLE,
        }
    }

    /// The exercises saved, each once, in the order they were first heard of.
    pub fn saved(self) -> Vec<String> {
        self.saved
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
    fn a_save_waits_less_once_its_file_is_complete() {
        let mut save = Settling::default();
        assert_eq!(save.note(Input::Saved("01_a".into())), None);
        assert_eq!(save.wait(), SETTLE, "the editor may still be writing");
        assert_eq!(save.note(Input::Written("01_a".into())), None);
        assert_eq!(save.wait(), SETTLE_WRITTEN);
        // A change after the close (a second write, a mode set) is waited for again.
        save.note(Input::Saved("01_a".into()));
        assert_eq!(save.wait(), SETTLE);
        save.note(Input::Written("01_a".into()));
        // Another file still being written keeps the whole wait.
        save.note(Input::Saved("02_b".into()));
        assert_eq!(save.wait(), SETTLE);
        assert_eq!(
            save.note(Input::Key('q')),
            Some(Input::Key('q')),
            "not a file event"
        );
        save.note(Input::Written("02_b".into()));
        assert_eq!(save.wait(), SETTLE_WRITTEN);
        assert_eq!(save.saved(), vec!["01_a".to_string(), "02_b".to_string()]);
        // A file renamed into place is complete from its first event.
        let mut renamed = Settling::default();
        renamed.note(Input::Written("03_c".into()));
        assert_eq!(renamed.wait(), SETTLE_WRITTEN);
    }

    #[test]
    fn a_complete_file_is_checked_like_a_save() {
        let (mut s, _) = WatchState::new(order(), BTreeSet::new(), false);
        assert_eq!(
            s.handle(Input::Written("02_b".into())),
            vec![Action::Check("02_b".into())]
        );
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
