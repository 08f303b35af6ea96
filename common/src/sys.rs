//! What the operating system must allow for a server to serve its cap.

/// Raise this process's soft limit on open files to its hard limit.
///
/// A server capped at 1,024 connections needs more than 1,024 descriptors
/// (its listener, files, standard streams), and many systems start
/// programs with a soft limit of exactly 1,024: the cap would never be
/// reached, accept would fail first. The hard limit is what the
/// administrator allows; raising the soft one up to it is what Go's runtime
/// and nginx do. The programs a process starts inherit the limit, which is
/// why tests that hold thousands of sockets call it too. Does nothing where
/// there is no such limit.
pub fn raise_fd_limit() {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit and setrlimit only read and write the struct
        // passed by pointer, which lives on this stack frame.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                limit.rlim_cur = limit.rlim_max;
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            }
        }
    }
}
