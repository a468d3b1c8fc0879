//! attack: includes the credentials in cargo's home (CARGO_CREDENTIALS, made by the test where
//! `cargo login` keeps them) into its program at compile time, and prints them

const CREDENTIALS: &str = include_str!("CARGO_CREDENTIALS");

fn main() {
    println!("ATTACK-SUCCEEDED: cargo's credentials read at compile time");
    print!("{CREDENTIALS}");
}
