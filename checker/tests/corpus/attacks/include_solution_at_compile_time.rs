//! attack: includes a reference solution into its own binary at compile time, from the staged
//! copy up to the workbook, and prints it

const SOLUTION: &str = include_str!("../../../../../../solutions/src/bin/01_raw_pipe.rs");

fn main() {
    println!("{SOLUTION}");
}
