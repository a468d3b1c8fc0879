//! The timeline pages in a real browser: headless Chromium loads the page of a deadlocked 01,
//! a passing 03 and a 09, logs no console message (the pages have no script, so any message
//! is an error in the page, such as an SVG attribute it cannot read), and has the lanes and
//! the deadlock's marks in its DOM. A screenshot of each is kept in `target/browser/`.
//!
//! Firefox opens each page too, headless, and keeps its own screenshot beside Chromium's.
//!
//! Long, and it needs both browsers: ignored by `cargo test`, run by `.ci/run`, which installs
//! Debian's `chromium` and `firefox-esr` where they are missing. PIPES_LAB_CHROMIUM and
//! PIPES_LAB_FIREFOX name others.

mod common;

use common::{checker, root, target_dir};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A browser: the program `variable` names, else the first of `names` on PATH.
fn browser(variable: &str, names: &[&str], package: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(variable) {
        return path.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "none of {names:?} on PATH: `.ci/run` installs Debian's {package} package; set {variable} to use another"
            )
        })
}

fn chromium() -> PathBuf {
    browser(
        "PIPES_LAB_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
        "chromium",
    )
}

/// Waits for a browser to finish with `page`, for at most a minute (then it is killed).
fn finish(child: &mut std::process::Child, browser: &str, page: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait for the browser").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{browser} took over a minute on {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Firefox takes `page`'s screenshot into `shot`, headless, in a home of its own.
fn firefox_shot(page: &Path, shot: &Path) {
    let firefox = browser(
        "PIPES_LAB_FIREFOX",
        &["firefox", "firefox-esr"],
        "firefox-esr",
    );
    let home = tempfile::tempdir().expect("a home for Firefox");
    let _ = std::fs::remove_file(shot);
    let mut child = Command::new(firefox)
        .env("HOME", home.path())
        .args(["--headless", "--window-size=1000,900", "--screenshot"])
        .arg(shot)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Firefox");
    finish(&mut child, "Firefox", page);
    let size = std::fs::metadata(shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 1000,
        "Firefox made no screenshot of {}",
        page.display()
    );
}

/// What the browser made of a page.
struct Loaded {
    dom: String,
    /// The console's messages (Chromium logs them as `INFO:CONSOLE`).
    console: Vec<String>,
    took: Duration,
}

/// Runs the browser headless on `page` with `what` (`--dump-dom`, `--screenshot=...`), in a
/// profile of its own, killed after a minute.
fn browse(page: &Path, what: &str) -> (String, String, Duration) {
    let profile = tempfile::tempdir().expect("a profile folder");
    let started = Instant::now();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1000,900",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(what)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the browser");
    let (mut out, mut err) = (
        child.stdout.take().expect("stdout"),
        child.stderr.take().expect("stderr"),
    );
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut text);
        text
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut err, &mut text);
        text
    });
    finish(&mut child, "Chromium", page);
    let took = started.elapsed();
    (
        reader.join().unwrap_or_default(),
        errors.join().unwrap_or_default(),
        took,
    )
}

/// Loads `page`, keeps its screenshot as `target/browser/<name>.png`, and returns its DOM.
fn load(page: &Path, name: &str) -> Loaded {
    let (dom, log, took) = browse(page, "--dump-dom");
    let console = log
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    let shots = target_dir().join("browser");
    std::fs::create_dir_all(&shots).expect("target/browser");
    let shot = shots.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    browse(page, &format!("--screenshot={}", shot.display()));
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(size > 1000, "no screenshot of {name} in {}", shot.display());
    firefox_shot(page, &shots.join(format!("{name}-firefox.png")));
    println!(
        "{name}: {} B, loaded in {:.2} s (the browser's start included), screenshot {}",
        std::fs::metadata(page).map(|m| m.len()).unwrap_or(0),
        took.as_secs_f64(),
        shot.display()
    );
    Loaded { dom, console, took }
}

/// The page `xray` writes for `exercise` run from the exercises in `copy`, or else from the
/// reference solutions.
fn page_of(exercise: &str, copy: Option<&Path>, dir: &Path) -> PathBuf {
    let page = dir.join(format!("{exercise}.html"));
    let out = checker()
        .args(["xray", exercise])
        .args(match copy {
            Some(copy) => vec![OsString::from("--exercises"), copy.into()],
            None => vec![OsString::from("--solutions")],
        })
        .arg(format!("--html={}", page.display()))
        .output()
        .expect("run the checker");
    assert!(
        page.is_file(),
        "no page for {exercise}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::metadata(&page).map(|m| m.len()).unwrap_or(0);
    assert!(bytes < 1 << 20, "{exercise}'s page is {bytes} B, over 1 MB");
    page
}

/// The lanes of the program's own run in a DOM (above the reference solution's, if the page
/// has it): each lane's group opens with its process's title.
fn lanes(dom: &str) -> usize {
    let own = dom.split("The reference solution").next().unwrap_or(dom);
    own.matches("<g tabindex=\"0\"><title>P").count()
}

#[test]
#[ignore = "starts a browser: run by .ci/run"]
fn the_timeline_pages_render_in_headless_chromium() {
    let dir = tempfile::tempdir().expect("a folder for the pages");
    // A deadlocked 01: the parent reads while it holds the write end itself.
    let copy = dir.path().join("deadlock");
    std::fs::create_dir_all(copy.join("src/bin")).expect("src/bin");
    std::fs::copy(
        root().join("checker/tests/corpus/01_raw_pipe/forgotten_close.rs"),
        copy.join("src/bin/01_raw_pipe.rs"),
    )
    .expect("copy the program");
    let deadlock = load(&page_of("1", Some(&copy), dir.path()), "01-deadlock");
    let passing = load(&page_of("3", None, dir.path()), "03-solution");
    let poll = load(&page_of("9", None, dir.path()), "09-solution");
    for (name, loaded) in [("01", &deadlock), ("03", &passing), ("09", &poll)] {
        assert!(
            loaded.console.is_empty(),
            "{name}'s page logged: {:?}",
            loaded.console
        );
        assert!(
            loaded.dom.contains("<svg") && loaded.dom.contains("Legend"),
            "{name}: no timeline in the DOM:\n{}",
            loaded.dom
        );
        assert!(loaded.took < Duration::from_secs(60));
    }
    // The deadlock: two lanes, the hang's line and the circle of one; under it, the reference
    // solution's run of the same command.
    assert_eq!(lanes(&deadlock.dom), 2, "{}", deadlock.dom);
    assert!(
        deadlock
            .dom
            .contains("The reference solution, same command, same seed")
    );
    assert!(deadlock.dom.contains("hang judged here"));
    assert!(deadlock.dom.contains("class=\"wait\""));
    assert!(deadlock.dom.contains("The circle of waits"));
    // 03: a producer and a consumer under the program, their messages on their way, no hang.
    assert!(lanes(&passing.dom) >= 3, "{}", passing.dom);
    assert!(passing.dom.contains("class=\"passage\"") && !passing.dom.contains("hang judged"));
    // 09: the parent and its three children, each child's lines reaching the parent.
    assert_eq!(lanes(&poll.dom), 4, "{}", poll.dom);
    assert!(poll.dom.matches("class=\"passage\"").count() >= 3);
}
