//! exercise: 04_three_stage_chain
//! expect: pass
//! mistake: none

// A correct solution with std::process::Command alone: each stage's piped stdout becomes the
// next stage's stdin. The standard library makes its pipes close-on-exec and closes the
// parent's copies when the Command values go away.

use std::process::{Command, ExitCode, Stdio};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    }

    let mut cat = Command::new("cat")
        .arg(&args[1])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let mut grep = Command::new("grep")
        .arg(&args[2])
        .stdin(Stdio::from(cat.stdout.take().expect("cat's stdout")))
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn grep");
    // wc may be missing from PATH: say so, and still wait for the two stages started.
    let wc = Command::new("wc")
        .arg("-l")
        .stdin(Stdio::from(grep.stdout.take().expect("grep's stdout")))
        .spawn();

    cat.wait().expect("wait for cat");
    grep.wait().expect("wait for grep");
    let succeeded = match wc {
        Ok(mut wc) => wc.wait().expect("wait for wc").success(),
        Err(err) => {
            eprintln!("cannot run wc: {err}");
            false
        }
    };
    if succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
