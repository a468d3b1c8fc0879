//! exercise: 09_poll
//! expect: pass
//! mistake: none

// A correct solution in another style: the standard library's pipes (std::io::pipe, Rust
// 1.87+), select(2) through nix::sys::select instead of poll, and one start time shared by
// the three children, taken before the first fork.

use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::sys::select::{FdSet, select};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

const USAGE: &str = "usage: 09_poll [LINES]";

fn parse_args() -> Result<(usize, f64), String> {
    let mut args = std::env::args().skip(1);
    let lines = match (args.next(), args.next()) {
        (None, _) => 3,
        (Some(text), None) => match text.parse::<usize>() {
            Ok(n) if (1..=4).contains(&n) => n,
            _ => return Err(USAGE.to_string()),
        },
        _ => return Err(USAGE.to_string()),
    };
    let scale = match std::env::var("PIPES_LAB_TIME_SCALE") {
        Err(_) => 1.0,
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s > 0.0 => s,
            _ => {
                return Err(format!(
                    "PIPES_LAB_TIME_SCALE={text:?} is not a positive number"
                ));
            }
        },
    };
    Ok((lines, scale))
}

fn writer(
    k: usize,
    mut tx: PipeWriter,
    lines: usize,
    scale: f64,
    start: Instant,
) -> io::Result<()> {
    let step = (2 * k + 3) as f64 / 10.0 * scale;
    for j in 1..=lines {
        let when = start + Duration::from_secs_f64(j as f64 * step);
        if let Some(wait) = when.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        tx.write_all(format!("child {k} line {j}\n").as_bytes())?;
    }
    Ok(())
}

/// One pipe seen from the parent: the child's number, the reader while it is open, and the
/// text of a line not finished yet.
struct Incoming {
    k: usize,
    rx: Option<PipeReader>,
    text: String,
}

fn main() {
    let (lines, scale) = match parse_args() {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };

    let start = Instant::now();
    let mut incoming: Vec<Incoming> = Vec::new();
    let mut pids: Vec<Pid> = Vec::new();
    for k in 0..3 {
        let (rx, tx) = io::pipe().expect("pipe");
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop(rx);
                incoming.clear();
                let result = writer(k, tx, lines, scale, start);
                if let Err(e) = &result {
                    eprintln!("child {k}: {e}");
                }
                std::process::exit(i32::from(result.is_err()));
            }
            ForkResult::Parent { child } => {
                drop(tx);
                pids.push(child);
                incoming.push(Incoming {
                    k,
                    rx: Some(rx),
                    text: String::new(),
                });
            }
        }
    }

    while incoming.iter().any(|i| i.rx.is_some()) {
        let mut readable = FdSet::new();
        for rx in incoming.iter().filter_map(|i| i.rx.as_ref()) {
            readable.insert(rx.as_fd());
        }
        match select(None, &mut readable, None, None, None) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => panic!("select: {e}"),
        }
        let ready: Vec<bool> = incoming
            .iter()
            .map(|i| {
                i.rx.as_ref()
                    .is_some_and(|rx| readable.contains(rx.as_fd()))
            })
            .collect();
        for (pipe, ready) in incoming.iter_mut().zip(ready) {
            if !ready {
                continue;
            }
            let rx = pipe.rx.as_mut().expect("only open pipes are selected");
            let mut chunk = [0u8; 256];
            let n = rx.read(&mut chunk).expect("read");
            if n == 0 {
                println!("[{}] hang-up", pipe.k);
                pipe.rx = None;
                continue;
            }
            pipe.text
                .push_str(std::str::from_utf8(&chunk[..n]).expect("ASCII lines"));
            while let Some(end) = pipe.text.find('\n') {
                let line: String = pipe.text.drain(..=end).collect();
                println!("[{}] {}", pipe.k, line.trim_end());
            }
        }
    }

    let mut all_ok = true;
    for pid in pids {
        all_ok &= matches!(waitpid(pid, None), Ok(WaitStatus::Exited(_, 0)));
    }
    println!("done");
    std::process::exit(if all_ok { 0 } else { 1 });
}
