//! A secret the checker is given three ways, which no build or run of a copy may reach: a
//! variable in its environment, a file only its owner may read (root, on a grading machine),
//! and a cargo home holding it where credentials would be.

use std::path::PathBuf;

pub const TOKEN: &str = "pipes-lab-secret-5f0c2e9a";
pub const TOKEN_VARIABLE: &str = "PIPES_LAB_TEST_SECRET";

/// Where the secret lies; removed when dropped.
pub struct Secrets {
    _dir: tempfile::TempDir,
    /// Mode 0600, owned by whoever runs the test.
    pub file: PathBuf,
    /// A cargo home with the secret in `credentials.toml`, beside a link to the real registry.
    pub cargo_home: PathBuf,
}

impl Secrets {
    pub fn new() -> Secrets {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("secret.txt");
        std::fs::write(&file, format!("{TOKEN}\n")).expect("write the secret");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let cargo_home = dir.path().join("cargo-home");
        std::fs::create_dir_all(&cargo_home).expect("a cargo home");
        std::fs::write(
            cargo_home.join("credentials.toml"),
            format!("[registry]\ntoken = \"{TOKEN}\"\n"),
        )
        .expect("write the credentials");
        let real = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .expect("a cargo home");
        std::os::unix::fs::symlink(real.join("registry"), cargo_home.join("registry"))
            .expect("link the registry");
        Secrets {
            _dir: dir,
            file,
            cargo_home,
        }
    }

    pub fn credentials(&self) -> PathBuf {
        self.cargo_home.join("credentials.toml")
    }

    /// The variables that hand the checker the secret: set them on its command.
    pub fn envs(&self) -> [(&'static str, String); 2] {
        [
            (TOKEN_VARIABLE, TOKEN.to_string()),
            (
                "CARGO_HOME",
                self.cargo_home.to_str().expect("a UTF-8 path").to_string(),
            ),
        ]
    }
}

/// What of a secret `text` shows: the token, or the first line of /etc/shadow (the root-only
/// file every attack reaches for first, where this test may read it).
pub fn leaked(text: &str) -> Option<&'static str> {
    if text.contains(TOKEN) {
        return Some("the secret token");
    }
    let shadow = std::fs::read_to_string("/etc/shadow").ok()?;
    let first = shadow.lines().next().filter(|l| l.len() > 8)?;
    text.contains(first)
        .then_some("the first line of /etc/shadow")
}
