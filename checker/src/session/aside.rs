//! The case files a check kept last time, cleared before the lanes keep new ones: moved aside
//! at once (a rename each), then deleted in a thread while the cases run. A whole check keeps
//! some 900 files, 11 MB: deleting them before the lanes start made every case wait 70 ms.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The deletion under way; dropping it waits for the end (at full priority from then on), so
/// nothing is left half deleted when the check returns.
pub struct Aside(Option<(JoinHandle<()>, Arc<Mutex<Priority>>)>);

/// The deleting thread's priority: lowered once it has started, unless the check already
/// waits for it.
#[derive(Default)]
struct Priority {
    /// The thread's id while it runs lowered (none once it is done: the id may be reused).
    lowered: Option<i32>,
    awaited: bool,
}

impl Aside {
    /// Empties each of `dirs` now: each is moved into a fresh folder under `runs` (the run
    /// folders, on the same file system), deleted by a thread that only takes a CPU nothing
    /// else wants. A folder that cannot be moved is deleted here, as before. A folder left
    /// behind by a check that ended outright is swept with the stale run folders.
    pub fn clear(dirs: &[PathBuf], runs: &Path) -> Aside {
        let holder = tempfile::Builder::new()
            .prefix("last-run-")
            .tempdir_in(runs)
            .ok();
        let mut moved = false;
        for (i, dir) in dirs.iter().enumerate() {
            match &holder {
                Some(holder) if std::fs::rename(dir, holder.path().join(i.to_string())).is_ok() => {
                    moved = true;
                }
                // Nothing there, or another file system: deleted now (nothing if not there).
                _ => {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
        let Some(holder) = holder.filter(|_| moved) else {
            return Aside(None);
        };
        let priority = Arc::new(Mutex::new(Priority::default()));
        let shared = Arc::clone(&priority);
        let deleting = std::thread::Builder::new()
            .name("clear last run".into())
            .spawn(move || {
                if let Ok(mut priority) = shared.lock()
                    && !priority.awaited
                {
                    priority.lowered = lower_priority();
                }
                // remove_dir_all never follows a link a program left there.
                drop(holder);
                // Done: its thread id is no longer this thread's to change.
                if let Ok(mut priority) = shared.lock() {
                    priority.lowered = None;
                }
            })
            .ok();
        Aside(deleting.map(|thread| (thread, priority)))
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        let Some((deleting, priority)) = self.0.take() else {
            return;
        };
        if let Ok(mut priority) = priority.lock() {
            priority.awaited = true;
            if let Some(tid) = priority.lowered.take() {
                restore_priority(tid);
            }
        }
        let _ = deleting.join();
    }
}

/// Puts the calling thread where it runs only on a CPU that no other task wants (Linux's
/// SCHED_IDLE), so that the deletion never takes time from a case; its thread id.
fn lower_priority() -> Option<i32> {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: gettid has no argument; pid 0 is the calling thread, `param` outlives the call.
        unsafe {
            let tid = libc::gettid();
            (libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) == 0).then_some(tid)
        }
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Gives thread `tid` its ordinary priority back: a check that waits for the deletion must
/// not wait behind every other process of the machine.
fn restore_priority(tid: i32) {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` outlives the call; a thread already gone makes it fail, harmlessly.
        unsafe { libc::sched_setscheduler(tid, libc::SCHED_OTHER, &param) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = tid;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_runs_are_gone_when_the_check_ends_and_their_folders_are_free() {
        let work = tempfile::tempdir().expect("a temporary folder");
        let runs = work.path().join("tmp");
        std::fs::create_dir(&runs).expect("the run folders");
        let kept: Vec<PathBuf> = ["01_raw_pipe", "02_duplex_pipe", "never_kept"]
            .iter()
            .map(|name| work.path().join("last-run").join(name))
            .collect();
        for dir in &kept[..2] {
            std::fs::create_dir_all(dir.join("01-transcript")).expect("a case folder");
            std::fs::write(dir.join("01-transcript/stdout"), "hi\n").expect("a kept file");
        }
        let aside = Aside::clear(&kept, &runs);
        // Free at once for the new check's files.
        assert!(kept.iter().all(|dir| !dir.exists()));
        drop(aside);
        let left: Vec<_> = std::fs::read_dir(&runs).expect("the run folders").collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn without_a_place_to_move_them_they_are_deleted_at_once() {
        let work = tempfile::tempdir().expect("a temporary folder");
        let kept = work.path().join("last-run/01_raw_pipe");
        std::fs::create_dir_all(kept.join("01-transcript")).expect("a case folder");
        drop(Aside::clear(
            std::slice::from_ref(&kept),
            &work.path().join("no such folder"),
        ));
        assert!(!kept.exists());
    }
}
