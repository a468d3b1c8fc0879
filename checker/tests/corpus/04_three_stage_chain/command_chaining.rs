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
    let mut wc = Command::new("wc")
        .arg("-l")
        .stdin(Stdio::from(grep.stdout.take().expect("grep's stdout")))
        .spawn()
        .expect("spawn wc");

    cat.wait().expect("wait for cat");
    grep.wait().expect("wait for grep");
    let status = wc.wait().expect("wait for wc");
    if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(status.code().map_or(1, |c| c as u8))
    }
}
