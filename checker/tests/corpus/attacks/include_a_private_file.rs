//! attack: includes a file only the grader's user may read (SECRET_FILE, made by the test) into
//! its program at compile time, and prints it

const SECRET: &str = include_str!("SECRET_FILE");

fn main() {
    println!("ATTACK-SUCCEEDED: a private file read at compile time");
    print!("{SECRET}");
}
