//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the program hands the whole pipeline to `sh -c`, so the shell makes the pipes and starts the stages; the count and the status are right, but the program wired nothing itself
//! diagnosis: seen by the X-ray
//! diagnosis: no child of the program exec'd cat or grep or wc
//! diagnosis: was started by P2 (sh)

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        return ExitCode::from(2);
    }
    // MISTAKE: the exercise is to do the shell's job (two pipes, three forks, dup2, exec);
    // asking a shell to do it skips the lesson, and the X-ray sees sh as the stages' parent.
    let status = Command::new("/bin/sh")
        .args([
            "-c",
            "cat \"$1\" | grep \"$2\" | wc -l",
            "sh",
            &args[1],
            &args[2],
        ])
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
