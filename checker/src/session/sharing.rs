//! One exercise's cases shared by some of the lanes (each takes the next case when it is
//! free): how each case went, whose failure comes first, and the exercise's result once every
//! lane that could take its cases has sent its own or gone past it.

use crate::judging::verdict::{CaseStatus, ExerciseResult, Verdict};

pub struct Sharing {
    /// The lanes that may take its cases, each until it has sent its result or gone past.
    lanes: Vec<usize>,
    /// How each case went, as the lane that ran it said.
    ran: Vec<Option<CaseStatus>>,
    /// Each lane's first failing case, `(lane, case, report)`, the report once it has come.
    first: Vec<(usize, usize, Option<String>)>,
    /// The exercise's first failure was shown.
    shown: bool,
    /// The lanes' results so far.
    results: Vec<ExerciseResult>,
    /// The lanes heard from for good: each sent its result, or went past the exercise.
    heard: Vec<usize>,
}

impl Sharing {
    pub fn new(cases: usize, lanes: Vec<usize>) -> Sharing {
        Sharing {
            lanes,
            ran: vec![None; cases],
            first: Vec::new(),
            shown: false,
            results: Vec::new(),
            heard: Vec::new(),
        }
    }

    /// Whether `lane` may still take a case of this exercise.
    pub fn awaits(&self, lane: usize) -> bool {
        self.lanes.contains(&lane) && !self.heard.contains(&lane)
    }

    /// Case `index` has run in `lane`. A lane takes its cases in order: its first failure is
    /// its earliest.
    pub fn ran(&mut self, lane: usize, index: usize, status: CaseStatus) {
        if let Some(slot) = self.ran.get_mut(index) {
            *slot = Some(status);
        }
        if status == CaseStatus::Failed && !self.first.iter().any(|f| f.0 == lane) {
            self.first.push((lane, index, None));
        }
    }

    /// The report of `lane`'s first failure.
    pub fn failing(&mut self, lane: usize, report: String) {
        if let Some(first) = self.first.iter_mut().find(|f| f.0 == lane) {
            first.2 = Some(report);
        }
    }

    /// The exercise's first failure, the first time it is known: the earliest failing case,
    /// once every case before it has passed.
    pub fn first_failure(&mut self) -> Option<&str> {
        if self.shown {
            return None;
        }
        let at = self.first.iter().enumerate().min_by_key(|(_, f)| f.1)?.0;
        let case = self.first[at].1;
        let before = self.ran.get(..case)?;
        if self.first[at].2.is_none() || before.iter().any(|s| *s != Some(CaseStatus::Passed)) {
            return None;
        }
        self.shown = true;
        self.first[at].2.as_deref()
    }

    /// `lane`'s result, the cases it took.
    pub fn checked(&mut self, lane: usize, result: ExerciseResult) {
        if self.awaits(lane) {
            self.heard.push(lane);
            self.results.push(result);
        }
    }

    /// `lane` took none of the cases: it went on past the exercise, or ended.
    pub fn passed_by(&mut self, lane: usize) {
        if self.awaits(lane) {
            self.heard.push(lane);
        }
    }

    /// Whether every lane that could take a case has been heard from.
    pub fn complete(&self) -> bool {
        self.lanes.iter().all(|l| self.heard.contains(l))
    }

    /// The exercise's result, from the lanes' results: each case as the lane that ran it saw
    /// it. `Err` when a case ran nowhere, unless the check was `stopped` (Ctrl-C): the lanes'
    /// failure, never a pass.
    pub fn result(&mut self, stopped: bool) -> Result<ExerciseResult, String> {
        let mut results = std::mem::take(&mut self.results);
        // The stub untouched: its first case reached `todo!()`, and the lane that ran it
        // stopped there, as a check in one lane does; what the others ran tells nothing more.
        if let Some(not_started) = results
            .iter()
            .position(|r| matches!(r.verdict, Verdict::NotStarted { .. }))
        {
            return Ok(results.swap_remove(not_started));
        }
        let cases = self.ran.len();
        let merged = merged(results);
        let unrun = cases
            - merged
                .cases
                .iter()
                .filter(|c| c.status != CaseStatus::NotRun)
                .count()
                .min(cases);
        if unrun > 0 && !stopped {
            return Err(format!(
                "the checker processes that shared the cases left {unrun} of {cases} unrun"
            ));
        }
        Ok(merged)
    }
}

/// Each case as the lane that ran it saw it; the verdict, and the report of the failure, of
/// the lane whose failing case comes first.
fn merged(results: Vec<ExerciseResult>) -> ExerciseResult {
    let first_failed = |r: &ExerciseResult| {
        r.cases
            .iter()
            .position(|c| c.status == CaseStatus::Failed)
            .unwrap_or(usize::MAX)
    };
    let elapsed = results.iter().map(|r| r.elapsed).max().unwrap_or_default();
    let mut cases = Vec::new();
    for result in &results {
        cases.resize(result.cases.len(), None);
        for (slot, case) in cases.iter_mut().zip(&result.cases) {
            if case.status != CaseStatus::NotRun || slot.is_none() {
                *slot = Some(case.clone());
            }
        }
    }
    let first = results.into_iter().min_by_key(first_failed);
    let (verdict, failure_text) = match first {
        Some(r) if first_failed(&r) < usize::MAX => (r.verdict, r.failure_text),
        _ => (Verdict::Passed, None),
    };
    ExerciseResult {
        verdict,
        cases: cases.into_iter().flatten().collect(),
        elapsed,
        rendered: None,
        failure_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judging::verdict::CaseOutcome;
    use std::time::Duration;

    fn outcome(status: CaseStatus) -> CaseOutcome {
        CaseOutcome {
            name: "a case".into(),
            kind: crate::judging::cases::Kind::Random,
            status,
            points: 0.0,
            max_points: 1.0,
            elapsed: Duration::ZERO,
            happened: None,
            likely_cause: None,
        }
    }

    /// A lane's result: the status of each of 4 cases, `None` where another lane ran it.
    fn lane(statuses: [Option<CaseStatus>; 4], failure: &str) -> ExerciseResult {
        let failed = statuses.contains(&Some(CaseStatus::Failed));
        ExerciseResult {
            verdict: if failed {
                Verdict::Failed(None)
            } else {
                Verdict::Passed
            },
            cases: statuses
                .iter()
                .map(|s| outcome(s.unwrap_or(CaseStatus::NotRun)))
                .collect(),
            elapsed: Duration::from_millis(if failed { 30 } else { 20 }),
            rendered: Some("a lane's own report".into()),
            failure_text: failed.then(|| failure.to_string()),
        }
    }

    #[test]
    fn the_earliest_failing_case_is_the_exercise_s_first_failure() {
        use CaseStatus::{Failed, Passed};
        let mut s = Sharing::new(4, vec![0, 1]);
        // Lane 1 fails case 3 first; lane 0 is still on case 2.
        s.ran(0, 0, Passed);
        s.ran(1, 1, Passed);
        s.ran(1, 3, Failed);
        s.failing(1, "case 4 failed".into());
        assert_eq!(s.first_failure(), None, "case 3 has not run yet");
        s.ran(0, 2, Failed);
        assert_eq!(s.first_failure(), None, "its report has not come");
        s.failing(0, "case 3 failed".into());
        assert_eq!(s.first_failure(), Some("case 3 failed"));
        assert_eq!(s.first_failure(), None, "shown once");
        let zero = lane([Some(Passed), None, Some(Failed), None], "case 3 failed");
        let one = lane([None, Some(Passed), None, Some(Failed)], "case 4 failed");
        s.checked(1, one);
        assert!(!s.complete(), "lane 0 has not sent its result");
        s.checked(0, zero);
        assert!(s.complete());
        let merged = s.result(false).expect("every case ran");
        assert_eq!(merged.failure_text.as_deref(), Some("case 3 failed"));
        assert!(matches!(merged.verdict, Verdict::Failed(None)));
        assert!(
            merged.rendered.is_none(),
            "the report is made for the whole exercise"
        );
        let statuses: Vec<CaseStatus> = merged.cases.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Passed, Passed, Failed, Failed]);
        assert_eq!(merged.elapsed, Duration::from_millis(30));
    }

    #[test]
    fn an_exercise_passes_when_every_lane_passed_its_cases() {
        use CaseStatus::Passed;
        let mut s = Sharing::new(4, vec![0, 1, 2]);
        s.checked(
            0,
            lane([Some(Passed), None, Some(Passed), Some(Passed)], ""),
        );
        s.checked(1, lane([None, Some(Passed), None, None], ""));
        assert!(!s.complete(), "lane 2 might still take a case");
        s.passed_by(2);
        assert!(s.complete());
        let merged = s.result(false).expect("every case ran");
        assert!(matches!(merged.verdict, Verdict::Passed));
        assert!(merged.cases.iter().all(|c| c.status == Passed));
    }

    #[test]
    fn a_case_no_lane_ran_is_never_a_pass() {
        use CaseStatus::Passed;
        let mut s = Sharing::new(4, vec![0, 1]);
        s.checked(0, lane([Some(Passed), None, Some(Passed), None], ""));
        s.checked(1, lane([None, Some(Passed), None, None], ""));
        assert!(s.result(false).is_err());
    }

    #[test]
    fn a_stub_s_result_is_that_of_the_lane_that_ran_its_first_case() {
        use CaseStatus::{Failed, NotRun};
        let mut s = Sharing::new(4, vec![0, 1]);
        let mut stub = lane([Some(Failed), None, None, None], "");
        stub.verdict = Verdict::NotStarted { location: None };
        // The other lane ran case 2 before it heard that the stub was not started.
        s.checked(1, lane([None, Some(Failed), None, None], "case 2 failed"));
        s.checked(0, stub);
        let result = s.result(false).expect("the stub's result");
        assert!(matches!(result.verdict, Verdict::NotStarted { .. }));
        let statuses: Vec<CaseStatus> = result.cases.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Failed, NotRun, NotRun, NotRun]);
    }
}
