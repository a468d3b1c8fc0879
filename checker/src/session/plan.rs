//! Which lanes a check starts, and which cases each takes. The timed cases go to lanes of
//! their own, all on the first CPU: their runs mostly sleep, so a few run side by side
//! without making each other late. The other cases go to a lane on each other CPU, and to the
//! first timed lane once every timed case is done (one lane per CPU: two runs that share a
//! CPU each take twice as long). Each lane takes the next case when it is free.

use crate::judging::cases::Case;

/// How many lanes take the timed cases: the longest timed case then sets the pace, not their
/// sum.
const TIMED_LANES: usize = 3;
/// Fewer cases than this, of a single exercise, gain nothing from more processes, which take
/// milliseconds to start.
const SHARED_FROM: usize = 6;

pub struct Plan {
    /// The exercises the lanes are given, by place among those checked, in the order of the
    /// pipes; the pipes name each by its place in this list.
    pub given: Vec<usize>,
    /// The timed cases, then the others, each `(place in given, case)`, in the order the
    /// pipes hand them out: each exercise's cases in order; the exercises in order, but the
    /// timed ones longest first, so that the longest timed case does not start last.
    pub timed: Vec<(usize, usize)>,
    pub untimed: Vec<(usize, usize)>,
    /// Lanes `0..timed_lanes` take the timed cases, and the first of them the others after;
    /// the rest take the others only.
    pub timed_lanes: usize,
    pub lanes: usize,
    /// Whether each exercise checked has a timed case.
    is_timed: Vec<bool>,
}

impl Plan {
    /// The plan for `jobs` CPUs, or none where a check in one process is as quick: a single
    /// exercise with few cases.
    pub fn new(runnable: &[bool], cases: &[Vec<Case>], jobs: usize) -> Option<Plan> {
        let mut given: Vec<usize> = (0..runnable.len()).filter(|&i| runnable[i]).collect();
        let worth = match given.as_slice() {
            [] => false,
            [only] => cases[*only].len() >= SHARED_FROM,
            _ => true,
        };
        if !worth || jobs < 2 {
            return None;
        }
        let is_timed: Vec<bool> = cases.iter().map(|c| c.iter().any(Case::is_timed)).collect();
        let longest = |i: usize| cases[i].iter().map(Case::designed_length).max();
        // Stable: the timed ones first, longest first; the others as they come.
        given.sort_by_key(|&i| (!is_timed[i], std::cmp::Reverse(longest(i))));
        let (mut timed, mut untimed) = (Vec::new(), Vec::new());
        for (place, &i) in given.iter().enumerate() {
            let to = if is_timed[i] {
                &mut timed
            } else {
                &mut untimed
            };
            to.extend((0..cases[i].len()).map(|case| (place, case)));
        }
        let timed_lanes = if timed.is_empty() { 0 } else { TIMED_LANES };
        let others = match (timed.is_empty(), untimed.is_empty()) {
            (_, true) => 0,
            (true, false) => jobs,
            (false, false) => jobs - 1,
        };
        Some(Plan {
            given,
            timed,
            untimed,
            timed_lanes,
            lanes: timed_lanes + others,
            is_timed,
        })
    }

    /// The CPU lane `lane` runs on, by place: the timed lanes share the first.
    pub fn cpu(&self, lane: usize) -> usize {
        match self.timed_lanes {
            0 => lane,
            timed => lane.saturating_sub(timed - 1),
        }
    }

    /// Whether lane `lane` takes timed cases.
    pub fn takes_timed(&self, lane: usize) -> bool {
        lane < self.timed_lanes
    }

    /// Whether lane `lane` takes the cases that are not timed.
    pub fn takes_untimed(&self, lane: usize) -> bool {
        !self.untimed.is_empty() && (lane == 0 || lane >= self.timed_lanes)
    }

    /// The lanes that may take a case of exercise `i` (a place among those checked).
    pub fn lanes_of(&self, i: usize) -> Vec<usize> {
        if !self.given.contains(&i) {
            return Vec::new();
        }
        let timed = self.is_timed[i];
        (0..self.lanes)
            .filter(|&l| match timed {
                true => self.takes_timed(l),
                false => self.takes_untimed(l),
            })
            .collect()
    }

    /// The exercises given whose cases come before those of exercise `i` in the same pipe: a
    /// lane that has taken a case of `i` takes none of theirs any more.
    pub fn before(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let timed = self.is_timed(i);
        self.given
            .iter()
            .copied()
            .take_while(move |&p| p != i)
            .filter(move |&p| self.is_timed[p] == timed)
    }

    /// The exercises whose cases lane `lane` takes from its pipe number `pipe`: the timed
    /// ones, nothing (the pipe that holds the timed lanes back), the others.
    pub fn in_pipe(&self, lane: usize, pipe: usize) -> Vec<usize> {
        let timed = match (self.takes_timed(lane), pipe) {
            (true, 0) => true,
            (true, 2) | (false, 0) if self.takes_untimed(lane) => false,
            _ => return Vec::new(),
        };
        self.given
            .iter()
            .copied()
            .filter(|&i| self.is_timed[i] == timed)
            .collect()
    }

    /// Whether exercise `i` has timed cases.
    pub fn is_timed(&self, i: usize) -> bool {
        self.is_timed.get(i).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judging::cases::{Carried, Expected, Kind, Timing};
    use std::time::Duration;

    fn cases(count: usize, timed: bool) -> Vec<Case> {
        lasting(count, timed as u32)
    }

    /// `count` cases, the first timed with `lines` lines of up to a second each.
    fn lasting(count: usize, lines: u32) -> Vec<Case> {
        (0..count)
            .map(|i| {
                let mut case = Case::new(
                    &format!("case {i}"),
                    Kind::Random,
                    Vec::new(),
                    Expected::Exact(String::new()),
                );
                if lines > 0 && i == 0 {
                    case.timing = Some(Timing {
                        lines: lines as usize,
                        min: Duration::ZERO,
                        max: Duration::from_secs(1),
                        slack: Duration::ZERO,
                        carried: |_| Carried::Nothing,
                    });
                }
                case
            })
            .collect()
    }

    #[test]
    fn timed_cases_have_lanes_of_their_own_on_the_first_cpu() {
        let all = [cases(3, false), cases(4, true), cases(2, false)];
        let plan = Plan::new(&[true; 3], &all, 2).expect("three exercises");
        assert_eq!(plan.given, [1, 0, 2], "the timed exercise first");
        assert_eq!(plan.timed, (0..4).map(|c| (0, c)).collect::<Vec<_>>());
        assert_eq!(plan.untimed.len(), 5);
        assert_eq!(
            (plan.timed_lanes, plan.lanes),
            (TIMED_LANES, TIMED_LANES + 1)
        );
        let cpus: Vec<usize> = (0..plan.lanes).map(|l| plan.cpu(l)).collect();
        assert_eq!(cpus, [0, 0, 0, 1]);
        assert_eq!(plan.lanes_of(1), [0, 1, 2]);
        assert_eq!(plan.lanes_of(2), [0, 3]);
        assert_eq!(plan.in_pipe(0, 2), [0, 2]);
        assert_eq!(
            plan.in_pipe(1, 2),
            Vec::<usize>::new(),
            "lane 1 ends with the timed"
        );
        assert_eq!(plan.before(2).collect::<Vec<_>>(), [0]);
        assert_eq!(plan.before(1).count(), 0, "no timed exercise before it");
    }

    #[test]
    fn without_timed_cases_every_cpu_has_a_lane() {
        let all = [cases(3, false), cases(2, false)];
        let plan = Plan::new(&[true, true], &all, 2).expect("two exercises");
        assert_eq!((plan.timed_lanes, plan.lanes), (0, 2));
        assert_eq!((plan.cpu(0), plan.cpu(1)), (0, 1));
    }

    #[test]
    fn a_single_exercise_is_shared_only_with_enough_cases() {
        assert!(Plan::new(&[true], &[cases(SHARED_FROM - 1, false)], 2).is_none());
        assert!(Plan::new(&[true], &[cases(SHARED_FROM, false)], 2).is_some());
        assert!(Plan::new(&[true, false], &[cases(9, false), cases(9, false)], 1).is_none());
        let not_built = Plan::new(&[false, true], &[cases(9, false), cases(9, false)], 2);
        assert_eq!(not_built.map(|p| p.given), Some(vec![1]));
    }

    #[test]
    fn the_longest_timed_exercise_comes_first() {
        let all = [lasting(2, 1), lasting(3, 0), lasting(2, 4), lasting(1, 0)];
        let plan = Plan::new(&[true; 4], &all, 2).expect("four exercises");
        assert_eq!(plan.given, [2, 0, 1, 3]);
        assert_eq!(plan.timed, [(0, 0), (0, 1), (1, 0), (1, 1)]);
        assert_eq!(plan.untimed, [(2, 0), (2, 1), (2, 2), (3, 0)]);
        assert_eq!(plan.before(0).collect::<Vec<_>>(), [2]);
        assert_eq!(plan.before(2).count(), 0);
        assert_eq!(plan.in_pipe(1, 0), [2, 0]);
    }
}
