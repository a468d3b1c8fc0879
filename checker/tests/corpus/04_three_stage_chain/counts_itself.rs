//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the program reads the file and counts the matching lines itself, so cat, grep and wc never run (the count is right, but it is not a pipeline)
//! diagnosis: `cat` never ran
//! diagnosis: does not run the stages

use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        exit(2);
    }
    let (path, pattern) = (&args[1], args[2].as_bytes());

    // MISTAKE: no pipes, no children, no exec: `cat FILE | grep PATTERN | wc -l` is imitated
    // in Rust instead of being wired up from the three real programs.
    let contents = std::fs::read(path).unwrap_or_else(|e| {
        eprintln!("cat: {path}: {e}");
        exit(1);
    });
    let mut lines: Vec<&[u8]> = contents.split(|&b| b == b'\n').collect();
    if contents.ends_with(b"\n") {
        lines.pop();
    }
    let count = lines
        .iter()
        .filter(|line| line.windows(pattern.len().max(1)).any(|w| w == pattern))
        .count();
    println!("{count}");
}
