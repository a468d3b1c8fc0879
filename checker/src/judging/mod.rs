//! Judging: what each exercise must do and whether a run did it. `cases` makes the cases (the
//! transcript's and the oracles' random ones, with each exercise's behaviour found in one
//! table); `judge` turns what the sandbox saw into the one `failure` to fix first; `wiring`
//! judges how the X-ray saw the processes and pipes connected; `timing` when the lines of a
//! timed case came, against what carried them; `mismatch` what kind of difference a wrong
//! stdout shows; `explain` makes one `Diagnosis` of a
//! failure from all of it (each `cause` with the hint it calls for), and `reproduce` the
//! command that reruns it; `verdict` and `scorecard` hold the points; `contract` names the check
//! behind each clause of each contract.

pub mod cases;
pub mod cause;
pub mod contract;
pub mod diagnosis;
pub mod explain;
pub mod failure;
pub mod judge;
pub mod mismatch;
pub mod reproduce;
pub mod scorecard;
pub mod timing;
pub mod verdict;
pub mod wiring;
