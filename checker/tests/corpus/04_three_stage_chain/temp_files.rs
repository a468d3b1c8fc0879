//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the stages are run one after the other through temporary files (cat > tmp1, grep < tmp1 > tmp2, wc -l < tmp2) instead of being connected by pipes
//! diagnosis: are not joined by one pipe
//! diagnosis: through files

use std::fs::{self, File};
use std::process::{Command, exit};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        exit(2);
    }
    let (path, pattern) = (&args[1], &args[2]);

    // MISTAKE: files instead of pipes. Each stage must finish before the next starts, and
    // none of them has a pipe on its stdin or stdout.
    let dir = std::env::temp_dir();
    let tmp1 = dir.join(format!("chain-{}-cat.txt", std::process::id()));
    let tmp2 = dir.join(format!("chain-{}-grep.txt", std::process::id()));
    Command::new("cat")
        .arg(path)
        .stdout(File::create(&tmp1).expect("create temporary file"))
        .status()
        .expect("run cat");
    Command::new("grep")
        .arg(pattern)
        .stdin(File::open(&tmp1).expect("open temporary file"))
        .stdout(File::create(&tmp2).expect("create temporary file"))
        .status()
        .expect("run grep");
    let wc = Command::new("wc")
        .arg("-l")
        .stdin(File::open(&tmp2).expect("open temporary file"))
        .status()
        .expect("run wc");
    let _ = fs::remove_file(&tmp1);
    let _ = fs::remove_file(&tmp2);

    exit(if wc.success() {
        0
    } else {
        wc.code().unwrap_or(1)
    });
}
