//! Files of several gigabytes, sparse so the test costs little disk: they
//! go both ways intact, and neither side's memory grows with the size.
//! (Alone in its own test binary: it measures the memory of the children.)

mod support;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::Duration;
use support::Served;
use support::testing::{peak_rss_kib, require, rss_kib};

/// Past 4 GiB, so no 32-bit size or offset survives.
const SIZE: u64 = (4 << 30) + 7;

/// Marks at the start, across the 4 GiB boundary and at the end, so the
/// content is not all zeros and misplaced bytes would show.
const MARKS: [(u64, &[u8]); 3] = [(0, b"inicio"), ((4 << 30) - 3, b"meio!!"), (SIZE - 1, b"F")];

fn make_sparse(path: &Path) {
    let mut file = File::create(path).expect("create");
    file.set_len(SIZE).expect("a sparse file");
    for (at, mark) in MARKS {
        file.seek(SeekFrom::Start(at)).expect("seek");
        file.write_all(mark).expect("mark");
    }
}

#[track_caller]
fn check_marks(path: &Path) {
    let mut file = File::open(path).expect("open");
    assert_eq!(
        file.metadata().expect("meta").len(),
        SIZE,
        "{}",
        path.display()
    );
    for (at, mark) in MARKS {
        let mut got = vec![0; mark.len()];
        file.seek(SeekFrom::Start(at)).expect("seek");
        file.read_exact(&mut got).expect("read");
        assert_eq!(got, mark, "at byte {at} of {}", path.display());
    }
}

fn digest_of(path: &Path) -> String {
    use sha2::Digest as _;
    let mut file = File::open(path).expect("open");
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    support::proto::hex(&hasher.finalize())
}

/// Peak resident memory of the children this process has waited for, in
/// KiB (`getrusage`); `None` where there is no such call (Windows).
#[cfg(unix)]
fn children_peak_kib() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes only into `usage`, which is valid memory of
    // the right type.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage failed");
    // SAFETY: getrusage returned 0, so it filled the structure.
    let usage = unsafe { usage.assume_init() };
    Some(u64::try_from(usage.ru_maxrss).unwrap_or(0))
}

#[cfg(not(unix))]
fn children_peak_kib() -> Option<u64> {
    None
}

/// Run the client and wait for it as long as a multi-GB transfer may take.
fn transfer(served: &Served, cwd: &Path, args: &[&str]) -> String {
    let mut client = served.spawn_client(cwd, args);
    let line = client.next_line_within(Duration::from_secs(600));
    let done = client.finish();
    assert!(done.status.success(), "{args:?} failed: {}", done.stderr);
    line.expect("a result line")
}

#[test]
fn several_gigabytes_go_both_ways_in_bounded_memory() {
    let mut served = Served::start(&[]);
    make_sparse(&served.path("grande.bin"));
    let expected = digest_of(&served.path("grande.bin"));
    let server_before = rss_kib(served.server.pid());

    let here = tempfile::tempdir().expect("tempdir");
    let got = transfer(&served, here.path(), &["get", "grande.bin"]);
    assert_eq!(
        got,
        format!("received grande.bin as grande.bin: {SIZE} bytes, sha256 {expected}")
    );
    check_marks(&here.path().join("grande.bin"));

    let sent = transfer(&served, here.path(), &["put", "grande.bin", "copia.bin"]);
    assert_eq!(
        sent,
        format!("stored grande.bin as copia.bin: {SIZE} bytes, sha256 {expected}")
    );
    check_marks(&served.path("copia.bin"));
    served.server.line_containing("stored copia.bin");

    // 8 GiB moved; a side that buffered the file would have grown by GBs.
    let client_peak = children_peak_kib();
    if require(
        "several_gigabytes_go_both_ways_in_bounded_memory (client memory)",
        client_peak.is_some(),
        "it reads the client's peak memory with getrusage, which Windows lacks",
    ) && let Some(kib) = client_peak
    {
        let client_peak_mib = kib / 1024;
        assert!(
            client_peak_mib < 100,
            "the client peaked at {client_peak_mib} MiB"
        );
    }
    let peak = peak_rss_kib(served.server.pid());
    let measured = require(
        "several_gigabytes_go_both_ways_in_bounded_memory (server memory)",
        support::server().is_default() && server_before.is_some() && peak.is_some(),
        "it reads our server's memory in /proc; FILE_TRANSFER_SERVER replaces it, or there is no /proc",
    );
    if let (true, Some(before), Some(peak)) = (measured, server_before, peak) {
        let growth_mib = peak.saturating_sub(before) / 1024;
        assert!(growth_mib < 100, "the server grew by {growth_mib} MiB");
    }
}
