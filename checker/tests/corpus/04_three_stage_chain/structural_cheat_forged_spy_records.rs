//! exercise: 04_three_stage_chain
//! expect: fail
//! mistake: the program runs no stage at all: it counts the lines itself, then forges the stage spies' records, appending three made-up cat, grep and wc lines to the log the spies once wrote (named in their environment) and making the spies' own call to the checker
//! diagnosis: `cat` never ran
//! diagnosis: does not run the stages
//! without the x-ray: fail

use std::io::Write;
use std::process::exit;

/// The variable that once named the spies' log, and where that log once was.
const LOG_VAR: &str = "PIPES_LAB_SPY_LOG";
const LOG_BESIDE: &str = "../spy.log";
/// The call a spy makes to have itself recorded: ioctl on an impossible descriptor.
const SPY_FD: nix::libc::c_int = -1;
const SPY_REQUEST: nix::libc::c_ulong = 0x7069_7065;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: 04_three_stage_chain FILE PATTERN");
        exit(2);
    }
    let (path, pattern) = (&args[1], &args[2]);

    // MISTAKE: no pipes, no children, no exec. The count is made here, and the evidence that
    // cat, grep and wc ran is made up.
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cat: {path}: {e}");
        exit(1);
    });
    let count = text.lines().filter(|l| l.contains(pattern.as_str())).count();

    // Two real pipes, for inode numbers that look right.
    let (a, _) = nix::unistd::pipe().expect("a pipe");
    let (b, _) = nix::unistd::pipe().expect("a pipe");
    let inode = |fd: &std::os::fd::OwnedFd| {
        nix::sys::stat::fstat(fd).map_or(4242, |s| s.st_ino)
    };
    let (a, b) = (inode(&a), inode(&b));
    let pipe = |inode: u64, writes: bool| format!(r#"{{"Pipe":{{"inode":{inode},"writes":{writes}}}}}"#);
    let record = |stage: &str, arg: &str, stdin: String, stdout: String| {
        format!(
            r#"{{"stage":"{stage}","pid":{},"args":["{arg}"],"stdin":{stdin},"stdout":{stdout},"extra":[]}}"#,
            std::process::id()
        )
    };
    let forged = [
        record("cat", path, r#"{"Other":"/dev/null"}"#.into(), pipe(a, true)),
        record("grep", pattern, pipe(a, false), pipe(b, true)),
        record("wc", "-l", pipe(b, false), r#"{"Other":"pipe:[1]"}"#.into()),
    ];
    let lines: String = forged.iter().map(|r| format!("{r}\n")).collect();
    let log = std::env::var(LOG_VAR).unwrap_or_else(|_| LOG_BESIDE.into());
    if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(&log) {
        let _ = file.write_all(lines.as_bytes());
    }
    // The spies' call, made by this program once per stage.
    for _ in 0..3 {
        // SAFETY: an ioctl on a descriptor that cannot exist, with no argument to point to.
        unsafe { nix::libc::ioctl(SPY_FD, SPY_REQUEST as _) };
    }
    println!("{count}");
}
