//! 06_pipe_capacity: how much a pipe holds, and growing it. The kernel is the oracle: the
//! checker repeats the program's steps on a pipe of its own.

use super::super::cause::Cause;
use super::{Case, Expected, Failure, Kind};
use crate::sandbox::runner::RunOutcome;
use crate::workbook::manifest::Topic;
use rand::RngExt;
use rand::rngs::StdRng;

pub const BEHAVIOUR: super::Behaviour = super::Behaviour {
    name: "06_pipe_capacity",
    random_cases: cases,
    require,
    cause,
    evidence,
    inputs: INPUTS,
    refuses_before_forking: false,
};

/// SIZE, the only argument: any size an `i32` holds, the kernel decides the rest.
const INPUTS: &[super::Input] = &[super::Input {
    name: "SIZE",
    place: super::Place::Argument(0),
    domain: super::Domain::Whole {
        min: 1,
        max: 2147483647,
    },
    fine: "65536",
}];

/// What the program must print for `size`, asked of the kernel now.
#[cfg(target_os = "linux")]
pub fn oracle(size: i32) -> std::io::Result<String> {
    use nix::fcntl::{FcntlArg, OFlag, fcntl};
    let (read_end, write_end) = nix::unistd::pipe()?;
    fcntl(&write_end, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
    let fill = |total: &mut usize| {
        let chunk = [0u8; 4096];
        while let Ok(n) = nix::unistd::write(&write_end, &chunk) {
            *total += n;
        }
    };
    let mut held = 0;
    fill(&mut held);
    let mut out = format!("capacity by writing: {held} bytes\n");
    out += &format!(
        "F_GETPIPE_SZ: {} bytes\n",
        fcntl(&write_end, FcntlArg::F_GETPIPE_SZ)?
    );
    out += &match fcntl(&write_end, FcntlArg::F_SETPIPE_SZ(size)) {
        Ok(new) => format!("F_SETPIPE_SZ {size}: {new} bytes\n"),
        Err(e) => format!("F_SETPIPE_SZ {size}: refused ({e:?})\n"),
    };
    fill(&mut held);
    out += &format!("capacity by writing: {held} bytes\n");
    drop(read_end);
    Ok(out)
}

#[cfg(target_os = "linux")]
pub fn cases(rng: &mut StdRng) -> Vec<Case> {
    // The full pipe holds 16 pages. The kernel rounds SIZE up to a power-of-two number of
    // pages and refuses (EBUSY) a size that cannot hold them: up to 32 KiB. From 32 KiB and a
    // byte to 64 KiB it keeps 64 KiB; above, it grows. One size of each, drawn afresh.
    let mut cases = Vec::new();
    for (name, kind, size) in [
        (
            "refused: shrinking a full pipe to one page",
            Kind::Error,
            4096,
        ),
        (
            "refused: a random size up to 32 KiB, too small for the full pipe",
            Kind::Error,
            rng.random_range(4097..=32_768),
        ),
        (
            "kept: a random size from 32 to 64 KiB, which leaves the pipe at 64 KiB",
            Kind::Random,
            rng.random_range(32_769..=65_535),
        ),
        (
            "grown: a random size above 64 KiB",
            Kind::Random,
            rng.random_range(65_537..=1_048_576),
        ),
    ] {
        if let Ok(expected) = oracle(size) {
            cases.push(Case::new(
                name,
                kind,
                vec![size.to_string()],
                Expected::Exact(expected),
            ));
        }
    }
    cases
}

/// The transcript's numbers depend on the machine: its run is judged by the kernel too.
#[cfg(target_os = "linux")]
pub fn require(case: &mut Case) {
    let size = match case.args.as_slice() {
        [] => Some(1 << 20),
        [size] => size.parse().ok(),
        _ => None,
    };
    if let Some(Ok(expected)) = size.map(oracle) {
        case.stdout = Expected::Exact(expected);
    }
}

#[cfg(not(target_os = "linux"))]
pub fn require(_case: &mut Case) {}

#[cfg(not(target_os = "linux"))]
pub fn cases(_rng: &mut StdRng) -> Vec<Case> {
    Vec::new()
}

/// A count that comes out short from writes whose size does not divide a page: the X-ray saw
/// every filling write carry the same number of bytes.
fn evidence(_: &Case, failure: &Failure, run: &RunOutcome) -> Option<Cause> {
    if !matches!(failure, Failure::Output { .. }) {
        return None;
    }
    let trace = run.trace.as_ref()?.as_ref().ok()?;
    let fill = trace
        .io
        .iter()
        .find(|io| io.writes && io.errors.contains_key("EAGAIN"))?;
    let written = fill.calls.checked_sub(fill.errors.values().sum())?;
    let size = (written > 0 && fill.bytes % written == 0).then(|| fill.bytes / written)?;
    let page = 4096;
    (page % size != 0 && size % page != 0).then(|| {
        let held = if size < page {
            format!("each page held {} bytes", page / size * size)
        } else {
            "pages were left part empty".to_string()
        };
        Cause::on(Topic::Counting, format!(
            "every write that filled the pipe carried {size} bytes, and {size} does not divide {page}: the kernel keeps a pipe's bytes in {page}-byte pages and puts a write that does not fit in what is left of the last page into a new one, so {held} and the count came out short. Write chunks whose size divides {page} (1024 or {page}, say): then every page fills up"
        ))
    })
}

/// The first expected line that the output does not have in its place.
fn first_difference<'a>(expected: &'a str, actual: &str) -> Option<&'a str> {
    let mut got = actual.lines();
    expected.lines().find(|want| got.next() != Some(*want))
}

pub fn cause(case: &Case, failure: &Failure, _run: &RunOutcome) -> Option<Cause> {
    Some(match failure {
        Failure::Hang(_) => Cause::on(
            Topic::NonBlocking,
            "a write into a full pipe blocks forever: set O_NONBLOCK on the write end (fcntl F_SETFL) so that it fails with EAGAIN instead, and stop there",
        ),
        Failure::Output { actual, .. }
            if case.kind == Kind::Error && !actual.contains("refused") =>
        {
            Cause::on(
                Topic::Resize,
                "the kernel refuses some sizes (here: smaller than what the full pipe holds, EBUSY): print `refused (ERRNO)` and go on",
            )
        }
        // The first line that differs says which step went wrong.
        Failure::Output { expected, actual }
            if first_difference(expected, actual)
                .is_some_and(|l| l.starts_with("F_SETPIPE_SZ")) =>
        {
            Cause::on(
                Topic::Resize,
                "the F_SETPIPE_SZ line differs: print the size fcntl returns, which the kernel rounds up to a power-of-two number of pages (and keeps at least what the full pipe holds), not SIZE itself; or `refused (ERRNO)` when it fails",
            )
        }
        Failure::Output { .. } => Cause::on(
            Topic::Counting,
            "measure by writing until EAGAIN and count bytes; after F_SETPIPE_SZ keep filling the same pipe and report the total it holds; print the size fcntl returns, which the kernel rounds up to a power-of-two number of pages",
        ),
        _ => return None,
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_answers_for_the_oracle() {
        let out = oracle(100_000).expect("a pipe");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(
            lines[0].starts_with("capacity by writing: ") && lines[1].starts_with("F_GETPIPE_SZ: ")
        );
        assert!(
            oracle(4096).expect("a pipe").contains("refused (EBUSY)"),
            "a full pipe cannot shrink"
        );
    }
}
