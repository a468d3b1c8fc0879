//! The jail's seccomp filter, for every run whether traced or not: the calls a run has no use
//! for and that would reach past its wall or past the X-ray are refused, and a call of another
//! architecture (a 32-bit `int 0x80`, an x32 call) kills the run, since no filter or tracer
//! keyed to the native calls can tell what it does.

use crate::sandbox::syscalls::AUDIT_ARCH;

/// The call numbers above this are x32 calls on x86_64 (`__X32_SYSCALL_BIT`).
#[cfg(target_arch = "x86_64")]
const X32_BIT: u32 = 0x4000_0000;

/// The calls refused with EPERM, and why a run has no use for them.
fn refused() -> Vec<libc::c_long> {
    vec![
        // Reads and writes through a ring move data outside system calls: the X-ray would
        // not see them.
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        // A file in memory could be executed: another program than the one built.
        libc::SYS_memfd_create,
        // Watches on folders outside the run would tell it what the checker does.
        libc::SYS_inotify_init1,
        libc::SYS_inotify_add_watch,
        libc::SYS_fanotify_init,
        libc::SYS_fanotify_mark,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_inotify_init,
    ]
}

/// The filter as classic BPF, made before the fork (the child may not allocate).
pub fn program() -> Vec<libc::sock_filter> {
    const NR: u32 = 0;
    const ARCH: u32 = 4;
    let load = |offset: u32| stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset);
    let kill = libc::SECCOMP_RET_KILL_PROCESS;
    let refuse = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
    let refused = refused();
    let mut ops = vec![
        load(ARCH),
        // Another architecture: kill (the next instruction); the native one: go on.
        jump_if_equal(AUDIT_ARCH, 1, 0),
        ret(kill),
        load(NR),
    ];
    #[cfg(target_arch = "x86_64")]
    ops.extend([
        // An x32 call: kill.
        jump_if_set(X32_BIT, 0, 1),
        ret(kill),
    ]);
    let last = refused.len();
    for (i, nr) in refused.iter().enumerate() {
        // To the `refuse` return after the list, or on to the next number.
        let to_refuse = (last - i) as u8;
        ops.push(jump_if_equal(*nr as u32, to_refuse, 0));
    }
    ops.push(ret(libc::SECCOMP_RET_ALLOW));
    ops.push(ret(refuse));
    ops
}

fn stmt(code: u32, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump_if_equal(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

#[cfg(target_arch = "x86_64")]
fn jump_if_set(k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16,
        jt,
        jf,
        k,
    }
}

fn ret(value: u32) -> libc::sock_filter {
    stmt(libc::BPF_RET | libc::BPF_K, value)
}

/// Installs `program` on the calling thread (and so on everything it starts): between fork
/// and exec, on memory made before the fork. Sets no_new_privs first, as seccomp requires.
pub fn install(program: &[libc::sock_filter]) -> bool {
    let fprog = libc::sock_fprog {
        len: program.len() as u16,
        filter: program.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl and seccomp on a filter that lives until exec.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0,
                &fprog as *const libc::sock_fprog,
            ) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the filter over one call, as the kernel would: what it returns.
    fn verdict(program: &[libc::sock_filter], arch: u32, nr: u32) -> u32 {
        let mut acc = 0u32;
        let mut pc = 0usize;
        loop {
            let op = program[pc];
            let code = op.code as u32;
            match code & 0x07 {
                0x00 => {
                    acc = match op.k {
                        0 => nr,
                        4 => arch,
                        other => panic!("an unknown offset {other}"),
                    };
                    pc += 1;
                }
                0x05 => {
                    let taken = match code & 0xf0 {
                        0x10 => acc == op.k,
                        0x40 => acc & op.k != 0,
                        other => panic!("an unknown jump {other:#x}"),
                    };
                    pc += 1 + if taken { op.jt } else { op.jf } as usize;
                }
                0x06 => return op.k,
                other => panic!("an unknown class {other:#x}"),
            }
        }
    }

    #[test]
    fn refused_calls_fail_other_architectures_die_the_rest_goes() {
        let program = program();
        let allow = libc::SECCOMP_RET_ALLOW;
        let refuse = libc::SECCOMP_RET_ERRNO | libc::EPERM as u32;
        let kill = libc::SECCOMP_RET_KILL_PROCESS;
        for nr in [
            libc::SYS_read,
            libc::SYS_write,
            libc::SYS_pipe2,
            libc::SYS_clone,
        ] {
            assert_eq!(verdict(&program, AUDIT_ARCH, nr as u32), allow, "{nr}");
        }
        for nr in refused() {
            assert_eq!(verdict(&program, AUDIT_ARCH, nr as u32), refuse, "{nr}");
        }
        // i386's write (4), through int 0x80.
        assert_eq!(verdict(&program, 0x4000_0003, 4), kill);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            verdict(&program, AUDIT_ARCH, X32_BIT | libc::SYS_write as u32),
            kill
        );
    }
}
