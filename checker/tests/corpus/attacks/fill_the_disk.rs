//! attack: writes 1 GiB into its folder, 64 MiB a file

use std::io::Write;

fn main() {
    let block = vec![7u8; 1 << 20];
    for i in 0..16 {
        let Ok(mut file) = std::fs::File::create(format!("fill-{i}")) else { break };
        for _ in 0..64 {
            if file.write_all(&block).is_err() {
                eprintln!("stopped writing file {i}");
                return;
            }
        }
    }
}
