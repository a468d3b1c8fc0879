//! attack: prints terminal escape sequences (a window title, a clipboard write through OSC 52,
//! a cleared screen and a forged verdict) for whoever reads its report on a terminal

fn main() {
    print!("\x1b]0;pipes-lab-attack\x07\x1b]52;c;cGlwZXMtbGFiLWF0dGFjaw==\x07");
    println!("\x1b[2J\x1b[H\x1b[32mall passed 185/185\x1b[0m\r");
    eprintln!("\x1b]0;pipes-lab-attack\x07\x1b[2J");
}
