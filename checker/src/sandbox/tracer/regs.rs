//! Changes to the registers of a task stopped at a system call: the byte count the injector
//! cuts, and the calls a mishap replaces (tracer/mishap.rs). Each returns false where the
//! registers cannot be changed (another architecture, or the task is gone).

/// Sets argument `index` (0-5) of the call `tid` is stopped at.
pub fn set_arg(tid: i32, index: usize, value: u64) -> bool {
    edit(tid, |regs| {
        #[cfg(target_arch = "x86_64")]
        match index {
            0 => regs.rdi = value,
            1 => regs.rsi = value,
            2 => regs.rdx = value,
            3 => regs.r10 = value,
            4 => regs.r8 = value,
            _ => regs.r9 = value,
        }
        #[cfg(target_arch = "aarch64")]
        {
            regs.regs[index.min(5)] = value;
        }
    })
}

/// At a call's entry: the kernel skips it and it returns `-errno`. At its exit: it returns
/// `-errno` after all.
pub fn fail(tid: i32, errno: i32) -> bool {
    set_number(tid, -1) && set_return(tid, -i64::from(errno))
}

/// At a call's entry: the call becomes `nr` with first argument `arg0`.
pub fn replace(tid: i32, nr: i64, arg0: u64) -> bool {
    set_number(tid, nr) && set_arg(tid, 0, arg0)
}

/// The value the call returns, at its exit (or at the entry of a call the kernel skips).
pub fn set_return(tid: i32, value: i64) -> bool {
    edit(tid, |regs| {
        #[cfg(target_arch = "x86_64")]
        {
            regs.rax = value as u64;
        }
        #[cfg(target_arch = "aarch64")]
        {
            regs.regs[0] = value as u64;
        }
    })
}

/// The number of the call to run (-1: none).
fn set_number(tid: i32, nr: i64) -> bool {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        edit(tid, |regs| regs.orig_rax = nr as u64)
    }
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    {
        // aarch64 keeps the number outside the general registers.
        const NT_ARM_SYSTEM_CALL: usize = 0x404;
        let mut number = nr as i32;
        let mut iov = libc::iovec {
            iov_base: (&mut number as *mut i32).cast(),
            iov_len: std::mem::size_of::<i32>(),
        };
        // SAFETY: the kernel reads at most iov_len bytes of `number` for a stopped tracee.
        unsafe {
            libc::ptrace(
                libc::PTRACE_SETREGSET,
                tid,
                NT_ARM_SYSTEM_CALL as *mut libc::c_void,
                &mut iov,
            ) == 0
        }
    }
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    {
        let _ = (tid, nr);
        false
    }
}

/// Reads the general registers of stopped task `tid`, lets `change` change them, and writes
/// them back.
#[allow(unused_variables, unused_mut)]
fn edit(tid: i32, change: impl FnOnce(&mut Regs)) -> bool {
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        // SAFETY: user_regs_struct is plain data; zeroed is a valid value.
        let mut regs: Regs = unsafe { std::mem::zeroed() };
        let regset = |op: libc::c_uint, regs: &mut Regs| {
            let mut iov = libc::iovec {
                iov_base: (regs as *mut Regs).cast(),
                iov_len: std::mem::size_of::<Regs>(),
            };
            let set = libc::NT_PRSTATUS as usize as *mut libc::c_void;
            // SAFETY: the kernel reads or fills at most iov_len bytes of `regs` of a tracee
            // stopped at a system call.
            unsafe { libc::ptrace(op, tid, set, &mut iov) == 0 }
        };
        if !regset(libc::PTRACE_GETREGSET, &mut regs) {
            return false;
        }
        change(&mut regs);
        regset(libc::PTRACE_SETREGSET, &mut regs)
    }
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    {
        false
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
type Regs = libc::user_regs_struct;
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
type Regs = ();
