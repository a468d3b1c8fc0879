//! Judging a run's wiring as the X-ray saw it: `model` names what the trace shows (processes,
//! pipes A, B..., who wrote and who read), `rules` checks it against the manifest's `wiring`.

pub mod model;
pub mod rules;

use super::failure::Failure;
use crate::sandbox::trace::Trace;

/// The first of `checks` a traced run misses, as the failure to report.
pub fn check(trace: &Trace, checks: &[String], args: &[String]) -> Option<Failure> {
    let wiring = model::Wiring::build(trace.clone());
    rules::check(&wiring, checks, args)
        .err()
        .map(|(rule, miss)| Failure::Wiring {
            rule: rule.to_string(),
            problem: miss.problem,
            cause: miss.cause,
        })
}
