//! The checker's side of the spies' channel: a thread that takes the run's listener, receives
//! each agreed call as a notification, and believes it only from a spy (a process running the
//! checker's own program, exec'd as `cat`, `grep` or `wc`). For a spy it makes the stage's
//! record itself, from /proc, while the spy waits in the call, and then lets the spy go on;
//! any other caller gets an error and is recorded nowhere. The thread ends with the run.

use super::super::procfs::{self, Fd, Object};
use super::channel::{self, SPY_FD, SPY_REQUEST};
use super::{Endpoint, Heard, StageRecord, stage_named};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg, socketpair,
};
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::thread::JoinHandle;

/// How many refused calls a run keeps, to say why a spy was not heard.
const REFUSALS_KEPT: usize = 8;

/// The file a program was started from, by device and inode: what a spy must be running.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Program {
    device: u64,
    inode: u64,
}

impl Program {
    /// The program process `pid` runs.
    fn of(pid: i32) -> std::io::Result<Program> {
        use std::os::unix::fs::MetadataExt;
        let meta = procfs::exe(pid)?;
        Ok(Program {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

/// The record of process `pid`, waiting in the agreed call, if it is a spy of `checker`'s
/// program; otherwise why it is not believed.
fn record(pid: i32, checker: Program) -> Result<StageRecord, String> {
    // Said of a run's process, not of a pid: the first of these reasons is what a report
    // gives where no spy can be heard.
    let program = Program::of(pid)
        .map_err(|e| format!("the checker may not see a run's process's program ({e})"))?;
    if program != checker {
        return Err("a caller that is not a stage spy (not the checker's program)".into());
    }
    // The stage is the name the spy was exec'd by, which the kernel keeps as the comm of the
    // thread that exec'd (the process's first): argv[0] is whatever the program that started
    // it chose. The caller may be another thread, with a name of its own.
    let name = procfs::comm(procfs::thread_group(pid).unwrap_or(pid))
        .map_err(|e| format!("the checker may not read a run's process's name ({e})"))?;
    let stage = stage_named(&name)
        .ok_or("a caller that runs the checker's program, but not as a stage")?
        .to_string();
    let argv = procfs::argv(pid)
        .map_err(|e| format!("the checker may not read a run's process's arguments ({e})"))?;
    let fds = procfs::fd_table(pid)
        .map_err(|e| format!("the checker may not read a run's process's descriptors ({e})"))?;
    let at = |n: i32| {
        fds.iter()
            .find(|f| f.fd == n)
            .map_or(Endpoint::Closed, |f| endpoint(pid, f))
    };
    Ok(StageRecord {
        stage,
        pid: pid as u32,
        argv,
        stdin: at(0),
        stdout: at(1),
        extra: fds
            .iter()
            .filter(|f| f.fd > 2)
            .map(|f| (f.fd, endpoint(pid, f)))
            .collect(),
    })
}

fn endpoint(pid: i32, fd: &Fd) -> Endpoint {
    match &fd.object {
        // A FIFO opened by its name is a pipe too, as fstat says.
        Object::Pipe(inode) | Object::Fifo(inode, _) => Endpoint::Pipe {
            inode: *inode,
            writes: fd.writes,
        },
        Object::Other(target) if procfs::fd_metadata(pid, fd.fd).is_ok_and(|m| m.is_file()) => {
            Endpoint::File(target.clone())
        }
        Object::Other(target) => Endpoint::Other(target.clone()),
        socket @ Object::Socket(_) => Endpoint::Other(socket.to_string()),
    }
}

/// The spies' channel of one run, from before its fork to its end.
pub struct Supervisor {
    /// The run's end of the socket: held here until the end, so that its number stays
    /// the one the child's hook uses.
    theirs: Option<OwnedFd>,
    /// Dropped to tell the thread the run is over.
    wake: Option<OwnedFd>,
    thread: Option<JoinHandle<Result<Heard, String>>>,
    /// Why the channel could not even be set up.
    broken: Option<String>,
}

impl Supervisor {
    /// Puts the channel on `command`: its child installs the filter after the pre-exec
    /// hooks already there, and the thread starts now. Call it after the jail's hooks and
    /// before the tracer's.
    pub fn install(command: &mut Command) -> Supervisor {
        Supervisor::start(command).unwrap_or_else(|e| Supervisor {
            theirs: None,
            wake: None,
            thread: None,
            broken: Some(format!("the spies' channel could not be set up: {e}")),
        })
    }

    fn start(command: &mut Command) -> std::io::Result<Supervisor> {
        let checker = Program::of(std::process::id() as i32)?;
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        let (sleeper, wake) = std::io::pipe()?;
        let hook = channel::Hook::new(theirs.as_raw_fd());
        // SAFETY: the hook makes only system calls, on memory made before the fork.
        unsafe { command.pre_exec(move || hook.apply()) };
        let thread = std::thread::Builder::new()
            .name("spies".into())
            .spawn(move || supervise(ours, OwnedFd::from(sleeper), checker))?;
        Ok(Supervisor {
            theirs: Some(theirs),
            wake: Some(OwnedFd::from(wake)),
            thread: Some(thread),
            broken: None,
        })
    }

    /// Once every process of the run is gone: what the spies told, or why they could not
    /// be heard.
    pub fn finish(mut self) -> Result<Heard, String> {
        if let Some(why) = self.broken.take() {
            return Err(why);
        }
        self.stop()
            .unwrap_or_else(|| Err("the spies' supervisor is gone".into()))
    }

    fn stop(&mut self) -> Option<Result<Heard, String>> {
        drop(self.wake.take());
        let heard = self.thread.take().map(|thread| {
            thread
                .join()
                .unwrap_or_else(|_| Err("the spies' supervisor stopped unexpectedly".into()))
        });
        drop(self.theirs.take());
        heard
    }
}

impl Drop for Supervisor {
    /// A run that ended early (it did not start) still ends its thread.
    fn drop(&mut self) {
        self.stop();
    }
}

/// The thread: takes the listener, then answers calls until the run is over.
fn supervise(socket: OwnedFd, wake: OwnedFd, checker: Program) -> Result<Heard, String> {
    let listener = receive_listener(&socket, &wake)?;
    drop(socket);
    let mut heard = Heard::default();
    // Once every process of the run is gone the listener hangs up: only the wake is left.
    let mut hung_up = false;
    loop {
        let mut fds = vec![PollFd::new(wake.as_fd(), PollFlags::POLLIN)];
        if !hung_up {
            fds.push(PollFd::new(listener.as_fd(), PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(format!("the spies' supervisor cannot wait: {e}")),
        }
        let events: Vec<PollFlags> = fds
            .iter()
            .map(|f| f.revents().unwrap_or(PollFlags::empty()))
            .collect();
        if !events[0].is_empty() {
            return Ok(heard);
        }
        match events.get(1) {
            Some(e) if e.contains(PollFlags::POLLIN) => answer(&listener, checker, &mut heard),
            Some(e) if !e.is_empty() => hung_up = true,
            _ => {}
        }
    }
}

/// The listener the run's first process sends, or why there is none.
fn receive_listener(socket: &OwnedFd, wake: &OwnedFd) -> Result<OwnedFd, String> {
    loop {
        let mut fds = [
            PollFd::new(socket.as_fd(), PollFlags::POLLIN),
            PollFd::new(wake.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(format!("the spies' supervisor cannot wait: {e}")),
        }
        if fds[0].revents().is_some_and(|r| !r.is_empty()) {
            break;
        }
        if fds[1].revents().is_some_and(|r| !r.is_empty()) {
            return Err("the run ended before its first process sent the spies' listener".into());
        }
    }
    let mut word = [0u8; 4];
    let mut control = nix::cmsg_space!(std::os::fd::RawFd);
    let (sent, listener) = {
        let mut iov = [IoSliceMut::new(&mut word)];
        let message = recvmsg::<()>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .map_err(|e| format!("the spies' listener did not come: {e}"))?;
        let mut listener = None;
        for cmsg in message.cmsgs().into_iter().flatten() {
            if let ControlMessageOwned::ScmRights(fds) = cmsg {
                for fd in fds {
                    // SAFETY: a descriptor the kernel just gave this process, owned once.
                    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
                    listener.get_or_insert(fd);
                }
            }
        }
        (message.bytes, listener)
    };
    let errno = i32::from_ne_bytes(word);
    match (listener, sent, errno) {
        (Some(listener), 4, 0) => Ok(listener),
        (_, 4, errno) if errno != 0 => Err(format!(
            "the kernel refused a seccomp listener ({})",
            Errno::from_raw(errno)
        )),
        _ => Err("the run's first process sent no listener".into()),
    }
}

/// Receives one call and answers it: the caller goes on once it is recorded, or gets
/// EPERM when it is not believed.
fn answer(listener: &OwnedFd, checker: Program, heard: &mut Heard) {
    let fd = listener.as_raw_fd();
    // SAFETY: plain data, which the kernel requires zeroed.
    let mut call: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    // SAFETY: the ioctl fills the structure it is given.
    if unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_RECV, &mut call) } != 0 {
        // Withdrawn: its caller was interrupted (it calls again) or killed.
        return;
    }
    let pid = call.pid as i32;
    let agreed = call.data.nr == libc::SYS_ioctl as i32
        && call.data.args[0] as u32 == SPY_FD as u32
        && call.data.args[1] as u32 == SPY_REQUEST;
    let made = match agreed {
        true => record(pid, checker),
        false => Err("a caller that made another call".into()),
    };
    match made {
        // Kept only if the caller still waits in that very call: then /proc showed it,
        // not a process that took its pid since, and it goes on from there.
        Ok(stage) => {
            if still_waiting(fd, call.id) && respond(fd, call.id, 0) {
                heard.records.push(stage);
            }
        }
        Err(why) => {
            respond(fd, call.id, libc::EPERM);
            if heard.refused.len() < REFUSALS_KEPT {
                heard.refused.push(why);
            }
        }
    }
}

fn still_waiting(fd: i32, id: u64) -> bool {
    // SAFETY: the ioctl reads the id it points to.
    unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0 }
}

/// Ends the call: it returns 0, or fails with `errno`.
fn respond(fd: i32, id: u64, errno: i32) -> bool {
    let mut response = libc::seccomp_notif_resp {
        id,
        val: 0,
        error: -errno,
        flags: 0,
    };
    // SAFETY: the ioctl reads the response it is given.
    unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_SEND, &mut response) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    use std::path::Path;
    use std::process::{Child, Command, Stdio};
    use std::time::Duration;

    /// Set in a copy of this test program that is to idle, or to make the spies' call.
    const ROLE: &str = "PIPES_LAB_SPY_TEST_ROLE";

    /// Not a test: what a copy of this test program does when it is one of the processes
    /// the tests below look at.
    #[test]
    #[ignore = "run by the tests below, in a copy of this program"]
    fn a_process_for_the_tests_below() {
        match std::env::var(ROLE).as_deref() {
            Ok("idle") => std::thread::sleep(Duration::from_secs(30)),
            Ok("call") => super::super::channel::call(),
            _ => {}
        }
    }

    /// This test program, exec'd through a link called `name` in `links` with argv[0]
    /// `argv0`, doing `role`.
    fn copy_of_this_test(links: &Path, name: &str, argv0: &str, role: &str) -> Command {
        let me = std::env::current_exe().expect("this test's program");
        let link = links.join(name);
        std::os::unix::fs::symlink(me, &link).expect("link to this test's program");
        let mut command = Command::new(link);
        command
            .arg0(argv0)
            .args([
                "--ignored",
                "--exact",
                "sandbox::spy::supervisor::tests::a_process_for_the_tests_below",
                "--test-threads=1",
                "-q",
            ])
            .env(ROLE, role)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    fn links() -> tempfile::TempDir {
        tempfile::tempdir().expect("a temporary directory")
    }

    /// Once `child` has its program's arguments: spawn may return while its exec is still
    /// setting them up.
    fn started(child: Child) -> Child {
        for _ in 0..500 {
            if procfs::argv(child.id() as i32).is_ok_and(|argv| !argv.is_empty()) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        child
    }

    fn checker() -> Program {
        Program::of(std::process::id() as i32).expect("this test's own program")
    }

    fn stop(mut child: Child) {
        let _ = child.kill();
        let _ = child.wait();
    }

    #[test]
    fn a_record_is_made_from_proc_of_a_process_started_as_a_stage() {
        let (input, feed) = std::io::pipe().expect("a pipe");
        let (drain, output) = std::io::pipe().expect("a pipe");
        let file = std::fs::File::open(std::env::current_exe().expect("this test's program"))
            .expect("open a file");
        let (raw, inode) = (file.as_raw_fd(), |fd: &dyn AsRawFd| {
            std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .expect("a pipe's inode")
                .ino()
        });
        let (pipe_in, pipe_out) = (inode(&input), inode(&output));
        let links = links();
        let mut command = copy_of_this_test(links.path(), "grep", "/usr/bin/grep", "idle");
        command.stdin(input).stdout(output);
        // SAFETY: dup2 and fcntl only, between fork and exec: the file reaches the stage as
        // fd 57 (dup2 leaves close-on-exec set when `raw` is 57 already).
        unsafe {
            command.pre_exec(move || {
                match libc::dup2(raw, 57) == 57 && libc::fcntl(57, libc::F_SETFD, 0) == 0 {
                    true => Ok(()),
                    false => Err(std::io::Error::last_os_error()),
                }
            })
        };
        let child = started(command.spawn().expect("start a copy of this test"));
        let made = record(child.id() as i32, checker());
        stop(child);
        drop((feed, drain, file));
        let record = made.expect("a record");
        assert_eq!(record.stage, "grep");
        assert_eq!(record.argv[..3], ["/usr/bin/grep", "--ignored", "--exact"]);
        assert_eq!(
            (record.stdin, record.stdout),
            (
                Endpoint::Pipe {
                    inode: pipe_in,
                    writes: false
                },
                Endpoint::Pipe {
                    inode: pipe_out,
                    writes: true
                }
            )
        );
        let path = std::env::current_exe().expect("this test's program");
        assert!(
            record
                .extra
                .contains(&(57, Endpoint::File(path.display().to_string()))),
            "{:?}",
            record.extra
        );
    }

    #[test]
    fn a_caller_that_is_not_a_spy_is_refused() {
        let other = started(
            Command::new("sleep")
                .arg("30")
                .spawn()
                .expect("start sleep"),
        );
        let refused = record(other.id() as i32, checker());
        stop(other);
        let why = refused.expect_err("sleep is not a spy");
        assert!(why.contains("not a stage spy"), "{why}");
        // The checker's own program, but not exec'd as a stage: argv[0] says nothing.
        let links = links();
        let unnamed = started(
            copy_of_this_test(links.path(), "sh", "grep", "idle")
                .spawn()
                .expect("start a copy of this test"),
        );
        let refused = record(unnamed.id() as i32, checker());
        stop(unnamed);
        let why = refused.expect_err("not started as a stage");
        assert!(why.contains("not as a stage"), "{why}");
    }

    #[test]
    fn the_stage_is_the_name_it_was_exec_d_by_not_its_argv_0() {
        let links = links();
        for argv0 in ["Yost", "my-grep", ""] {
            let child = started(
                copy_of_this_test(links.path(), "grep", argv0, "idle")
                    .spawn()
                    .expect("start a copy of this test"),
            );
            let made = record(child.id() as i32, checker());
            stop(child);
            let record = made.expect("a record");
            assert_eq!(record.stage, "grep", "{record:?}");
            assert_eq!(
                record.argv.get(..2),
                Some(&[argv0.to_string(), "--ignored".to_string()][..]),
                "{record:?}"
            );
            std::fs::remove_file(links.path().join("grep")).expect("remove the link");
        }
    }

    #[test]
    fn a_spys_call_is_heard_and_the_same_call_from_another_is_not() {
        let links = links();
        let mut spy = copy_of_this_test(links.path(), "wc", "wc", "call");
        let channel = Supervisor::install(&mut spy);
        let status = spy.status().expect("run a copy of this test");
        let heard = channel.finish().expect("the spy was heard");
        assert!(status.success());
        let stages: Vec<&str> = heard.records.iter().map(|r| r.stage.as_str()).collect();
        assert_eq!(stages, ["wc"], "{:?}", heard.refused);
        assert!(heard.refused.is_empty(), "{:?}", heard.refused);

        let mut stranger = copy_of_this_test(links.path(), "true", "wc", "call");
        let channel = Supervisor::install(&mut stranger);
        let status = stranger.status().expect("run a copy of this test");
        let heard = channel.finish().expect("the channel worked");
        assert!(status.success());
        assert!(heard.records.is_empty(), "{:?}", heard.records);
        assert_eq!(heard.refused.len(), 1, "{:?}", heard.refused);
    }

    #[test]
    fn where_the_kernel_refuses_the_listener_the_run_says_why_it_was_not_heard() {
        // A thread of its own, under a filter with a listener that stays open (as a container
        // runtime's would): the kernel allows one listener per chain, so a run it starts
        // cannot get another. Filters are per thread: the other tests do not see this one.
        let refused = std::thread::spawn(|| {
            let allow = [libc::sock_filter {
                code: (libc::BPF_RET | libc::BPF_K) as u16,
                jt: 0,
                jf: 0,
                k: libc::SECCOMP_RET_ALLOW,
            }];
            // On this thread only, a filter that allows all.
            let listener = super::super::channel::install_with_listener(&allow);
            assert!(listener >= 0, "{}", std::io::Error::last_os_error());
            let links = links();
            let mut spy = copy_of_this_test(links.path(), "cat", "cat", "call");
            let channel = Supervisor::install(&mut spy);
            let status = spy.status().expect("run a copy of this test");
            // SAFETY: the listener this thread made, closed once.
            unsafe { libc::close(listener) };
            assert!(status.success(), "the run goes on, unheard");
            channel.finish()
        })
        .join()
        .expect("the thread with its own filter");
        let why = refused.expect_err("no listener for the run");
        assert!(why.contains("refused a seccomp listener (EBUSY"), "{why}");
    }
}
