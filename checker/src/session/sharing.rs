//! One exercise's cases shared by the lanes (each takes the next case when it is free): how
//! each case went, whose failure comes first, and the exercise's result once every lane has
//! sent its own.

use crate::judging::verdict::{CaseStatus, ExerciseResult, Verdict};

pub struct Sharing {
    /// The exercise's place among those checked.
    pub exercise: usize,
    /// How each case went, as the lane that ran it said.
    ran: Vec<Option<CaseStatus>>,
    /// Each lane's first failing case, `(lane, case, report)`, the report once it has come.
    first: Vec<(usize, usize, Option<String>)>,
    /// The exercise's first failure was shown.
    shown: bool,
    /// The lanes' results so far.
    results: Vec<ExerciseResult>,
}

impl Sharing {
    pub fn new(exercise: usize, cases: usize) -> Sharing {
        Sharing {
            exercise,
            ran: vec![None; cases],
            first: Vec::new(),
            shown: false,
            results: Vec::new(),
        }
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

    /// A lane's result; the exercise's once all `lanes` have sent theirs, when every case
    /// ran (or `stopped`: Ctrl-C). `Err` when a case ran nowhere: the lanes' failure, never
    /// a pass.
    pub fn checked(
        &mut self,
        result: ExerciseResult,
        lanes: usize,
        stopped: bool,
    ) -> Result<Option<ExerciseResult>, String> {
        self.results.push(result);
        if self.results.len() < lanes {
            return Ok(None);
        }
        let merged = merged(std::mem::take(&mut self.results));
        let unrun = merged
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::NotRun)
            .count();
        if unrun > 0 && !stopped {
            return Err(format!(
                "the checker processes that shared the cases left {unrun} of {} unrun",
                merged.cases.len()
            ));
        }
        Ok(Some(merged))
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
        let mut s = Sharing::new(0, 4);
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
        assert_eq!(s.checked(one, 2, false).map(|r| r.is_none()), Ok(true));
        let merged = s
            .checked(zero, 2, false)
            .ok()
            .flatten()
            .expect("both have sent theirs");
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
        let mut s = Sharing::new(0, 4);
        let zero = lane([Some(Passed), None, Some(Passed), Some(Passed)], "");
        let one = lane([None, Some(Passed), None, None], "");
        assert_eq!(s.checked(zero, 2, false).map(|r| r.is_none()), Ok(true));
        let merged = s.checked(one, 2, false).ok().flatten().expect("both");
        assert!(matches!(merged.verdict, Verdict::Passed));
        assert!(merged.cases.iter().all(|c| c.status == Passed));
    }

    #[test]
    fn a_case_no_lane_ran_is_never_a_pass() {
        use CaseStatus::Passed;
        let mut s = Sharing::new(0, 4);
        let zero = lane([Some(Passed), None, Some(Passed), None], "");
        let one = lane([None, Some(Passed), None, None], "");
        assert_eq!(s.checked(zero, 2, false).map(|r| r.is_none()), Ok(true));
        assert!(s.checked(one, 2, false).is_err());
    }
}
