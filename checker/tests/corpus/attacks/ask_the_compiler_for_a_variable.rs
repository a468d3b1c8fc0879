//! attack: asks the compiler for a variable of the grader's environment (SECRET_VARIABLE, set
//! by the test) with `option_env!`, and prints it

const VALUE: Option<&str> = option_env!("SECRET_VARIABLE");

fn main() {
    if let Some(value) = VALUE {
        println!("ATTACK-SUCCEEDED: a variable of the grader's, seen at compile time");
        println!("{value}");
    }
}
