//! Judging a run's wiring as the X-ray saw it: `model` names what the trace shows (processes,
//! pipes A, B..., who wrote and who read), `rules` checks it against the manifest's `wiring`.

pub mod model;
pub mod rules;

use super::cause::Cause;
use super::failure::Failure;
use crate::sandbox::trace::Trace;
use crate::workbook::manifest::WiringSpec;

/// The first of the manifest's checks a traced run misses, as the failure to report.
pub fn check(trace: &Trace, spec: &WiringSpec, args: &[String]) -> Option<Failure> {
    let wiring = model::Wiring::build(trace.clone());
    let context = rules::Context {
        args,
        printed_by_readers: &spec.printed_by_readers,
        quoted_by_readers: &spec.quoted_by_readers,
    };
    rules::check(&wiring, &spec.checks, &context)
        .err()
        .map(|(rule, miss)| Failure::Wiring {
            rule: rule.to_string(),
            problem: miss.problem,
            cause: Cause {
                text: miss.cause,
                topic: miss.topic,
            },
        })
}

/// The first of `names` a traced run misses, as (what is missing, its likely cause).
pub fn first_miss(trace: &Trace, names: &[&str], args: &[String]) -> Option<(String, Cause)> {
    let wiring = model::Wiring::build(trace.clone());
    let context = rules::Context {
        args,
        printed_by_readers: &[],
        quoted_by_readers: &[],
    };
    names
        .iter()
        .filter_map(|n| rules::find(n))
        .find_map(|(name, _, rule)| {
            let m = rule(&wiring, &context).err()?;
            let topic = m.topic.or_else(|| rules::topic(name));
            Some((
                m.problem,
                Cause {
                    text: m.cause,
                    topic,
                },
            ))
        })
}
