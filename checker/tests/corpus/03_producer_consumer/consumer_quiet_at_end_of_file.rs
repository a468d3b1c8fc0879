//! exercise: 03_producer_consumer
//! expect: pass
//! mistake: at end-of-file before END the consumer stops quietly with status 0, without a word on stderr; the parent's status 1 (the producer failed) hides it

// Right in all the checker sees: the consumer's own message and status at an early
// end-of-file are not judged apart from the parent's.

use std::io::{self, BufRead, BufReader, PipeReader, PipeWriter, Write};
use std::time::Duration;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

fn producer(mut tx: PipeWriter, messages: &[String], scale: f64) -> io::Result<()> {
    for message in messages
        .iter()
        .map(String::as_str)
        .chain(std::iter::once("END"))
    {
        let seconds: f64 = rand::random_range(1.0..2.0);
        std::thread::sleep(Duration::from_secs_f64(seconds * scale));
        let mut line = String::with_capacity(message.len() + 1);
        line.push_str(message);
        line.push('\n');
        tx.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn consumer(rx: PipeReader) -> io::Result<()> {
    let mut lines = BufReader::new(rx).lines();
    while let Some(message) = lines.next().transpose()? {
        println!("Message Received: {message}");
        if message == "END" {
            return Ok(());
        }
    }
    // End-of-file before END: stopped, but quietly, as if all went well.
    Ok(())
}

/// Ends a child process: status 0 when its role went well.
fn finish(result: io::Result<()>) -> ! {
    if let Err(e) = &result {
        eprintln!("child {}: {e}", std::process::id());
    }
    std::process::exit(if result.is_ok() { 0 } else { 1 })
}

fn main() {
    let scale = match std::env::var("PIPES_LAB_TIME_SCALE") {
        Ok(text) => match text.trim().parse::<f64>() {
            Ok(scale) if scale.is_finite() && scale >= 0.0 => scale,
            _ => {
                eprintln!("PIPES_LAB_TIME_SCALE must be a number of at least 0, not {text:?}");
                std::process::exit(2);
            }
        },
        Err(_) => 1.0,
    };
    let mut messages: Vec<String> = std::env::args().skip(1).collect();
    if messages.is_empty() {
        messages.extend(
            ["hello", "are you there?", "hey", "LOL", "K", "THX", "Bye!"].map(String::from),
        );
    }

    let (rx, tx) = io::pipe().expect("pipe");
    let producer_pid = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            drop(rx);
            finish(producer(tx, &messages, scale))
        }
        ForkResult::Parent { child } => child,
    };
    drop(tx);
    let consumer_pid = match unsafe { fork() }.expect("fork") {
        ForkResult::Child => finish(consumer(rx)),
        ForkResult::Parent { child } => child,
    };
    drop(rx);

    let mut failed = false;
    for pid in [producer_pid, consumer_pid] {
        match waitpid(pid, None).expect("waitpid") {
            WaitStatus::Exited(_, 0) => {}
            other => {
                eprintln!("a child did not finish cleanly: {other:?}");
                failed = true;
            }
        }
    }
    println!("done");
    std::process::exit(i32::from(failed));
}
