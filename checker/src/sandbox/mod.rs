//! The sandbox: runs one student program safely and observes it, knowing nothing of exercises.
//! `probe` proves that the X-ray sees what a run does; `runner` starts it (own process group, only fds 0-2, limits) and watches it end; `proctree`
//! finds and kills what it leaves; `procfs` is the one reader of /proc; `hang` explains a run
//! that timed out; `tracer` follows every process with ptrace and records `trace`; `syscalls`
//! names the calls both know; `spy` stands in for `cat`, `grep` and `wc`; `jail` walls a run
//! in (files, network, signals, user, limits).

pub mod hang;
pub mod interrupt;
pub mod jail;
#[cfg(target_os = "linux")]
pub mod probe;
pub mod procfs;
pub mod proctree;
pub mod runner;
pub mod spy;
pub mod syscalls;
pub mod trace;
#[cfg(target_os = "linux")]
pub mod tracer;
