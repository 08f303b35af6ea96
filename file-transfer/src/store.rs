//! The served directory: confinement, atomic replace, kept versions.
//!
//! **Confinement.** Every name is checked by [`crate::names`] (one plain
//! component, so `../` and absolute paths never reach the file system). A
//! name may still be a symbolic link placed in the directory by its owner:
//! it is resolved, and served only if it leads to a regular, non-hidden file
//! inside the root (a link out, and a link to a hidden file, are each
//! refused with their own reason). Uploads never write through a link: a
//! link, a directory or anything but a regular file at the target name is
//! refused.
//!
//! **Atomic replace.** An upload is written to a hidden temporary file in the
//! root (same file system, so `rename` can move it), verified against its
//! SHA-256, synced to disk, and only then renamed over the old file. `rename`
//! replaces a name in one step: a reader opens either the whole old file or
//! the whole new one, never a mix, and a crash at any moment leaves the old
//! file intact. A temporary file of a failed upload is removed at once; one
//! left by a crash of the server is removed when it starts again.
//!
//! **Versions.** Before the rename, the current file becomes `NAME.1` (a hard
//! link, so `NAME` never disappears), `NAME.1` becomes `NAME.2`, and so on up
//! to the configured number; the oldest is dropped. Commits are serialised,
//! so two uploads of the same name at once both land whole, one after the
//! other: the last to finish is `NAME`, the other `NAME.1`.

use crate::auth;
use crate::names::{self, NameError};
use crate::wire::{self, Digest, code};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The prefix of temporary upload files (hidden, so never served).
pub const TEMP_PREFIX: &str = ".ft-upload-";

/// The prefix of kept partial uploads (`put --resume`).
pub const PARTIAL_PREFIX: &str = ".ft-partial-";

/// Partial uploads older than this are removed.
pub const PARTIAL_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Why a request on the directory failed. Each maps to a protocol code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The name is not acceptable.
    #[error(transparent)]
    Name(#[from] NameError),
    /// No such file.
    #[error("no file named {0:?}")]
    NotFound(String),
    /// A link that leads out of the root.
    #[error("{0:?} is a link that leads outside the served directory")]
    Outside(String),
    /// A link to a hidden file (or into a hidden directory) of the root.
    #[error(
        "{0:?} is a link to a hidden name; hidden names are reserved for the server's temporary files and are not served"
    )]
    LinkToHidden(String),
    /// A directory, a device, a socket...
    #[error("{0:?} is not a regular file")]
    NotRegular(String),
    /// Uploads do not replace links.
    #[error("{0:?} is a symbolic link; uploads do not replace links")]
    Link(String),
    /// Over the size limit.
    #[error("a file of {size} bytes is over the server's limit of {limit} bytes")]
    TooLarge {
        /// The announced size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Not enough free space.
    #[error("not enough free space for {size} bytes ({available} bytes free)")]
    NoSpace {
        /// The announced size.
        size: u64,
        /// Free bytes.
        available: u64,
    },
    /// A resumable upload of the same file is in progress.
    #[error("a resumable upload of {0:?} with the same content is already in progress")]
    Busy(String),
    /// Windows refused to replace or remove a file that another program
    /// holds open ([`held_open`]).
    #[error(
        "{0:?} is open in another program (or read-only), and Windows does not replace or \
         remove such a file; close it there and send again: the stored file is unchanged"
    )]
    InUse(String),
    /// A file-system error.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// What the system said.
        source: io::Error,
    },
}

impl StoreError {
    /// The protocol error code.
    pub fn code(&self) -> u16 {
        match self {
            StoreError::Name(
                NameError::Path(_)
                | NameError::Dots(_)
                | NameError::Hidden(_)
                | NameError::Version(..),
            ) => code::FORBIDDEN,
            StoreError::Name(_) => code::BAD_REQUEST,
            StoreError::NotFound(_) => code::NOT_FOUND,
            StoreError::Outside(_)
            | StoreError::LinkToHidden(_)
            | StoreError::NotRegular(_)
            | StoreError::Link(_) => code::FORBIDDEN,
            StoreError::TooLarge { .. } => code::TOO_LARGE,
            StoreError::NoSpace { .. } => code::NO_SPACE,
            StoreError::Busy(_) | StoreError::InUse(_) => code::CONFLICT,
            StoreError::Io { .. } => code::SERVER,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError {
        let context = context.into();
        move |source| StoreError::Io { context, source }
    }

    /// [`StoreError::io`] for a step of replacing `name`: [`InUse`] when
    /// Windows refused because the file is open elsewhere.
    ///
    /// [`InUse`]: StoreError::InUse
    fn replacing(name: &str, context: impl Into<String>) -> impl FnOnce(io::Error) -> StoreError {
        let name = name.to_owned();
        let context = context.into();
        move |source| {
            if cfg!(windows) && held_open(source.raw_os_error()) {
                StoreError::InUse(name)
            } else {
                StoreError::Io { context, source }
            }
        }
    }
}

/// True for the Windows errors that refuse to rename over, or remove, a file
/// another program holds open: `ERROR_ACCESS_DENIED` (5, also a read-only
/// file), `ERROR_SHARING_VIOLATION` (32) and `ERROR_LOCK_VIOLATION` (33).
/// On Unix a rename replaces an open file, and whoever had it open keeps
/// reading the old one, so these never arise from it.
pub fn held_open(os_error: Option<i32>) -> bool {
    matches!(os_error, Some(5 | 32 | 33))
}

/// One file of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Last modification, seconds since the Unix epoch.
    pub modified: u64,
}

/// The identity of one version of a file's content, for the digest cache:
/// a new upload is a new inode, an edit in place changes the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileKey {
    dev: u64,
    ino: u64,
    len: u64,
    modified_ns: i128,
    changed_ns: i128,
}

impl FileKey {
    #[cfg(unix)]
    fn of(meta: &Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            changed_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        }
    }

    #[cfg(not(unix))]
    fn of(meta: &Metadata) -> Self {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i128);
        Self {
            dev: 0,
            ino: 0,
            len: meta.len(),
            modified_ns,
            changed_ns: 0,
        }
    }
}

/// Digests remembered at most; the cache is emptied when it is full.
const DIGEST_CACHE: usize = 4096;

/// The served directory.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    keep_versions: u32,
    max_size: u64,
    commits: Mutex<()>,
    digests: Mutex<HashMap<FileKey, Digest>>,
    partials: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A file opened for a download.
#[derive(Debug)]
pub struct Readable {
    /// The open file (confinement was checked before opening).
    pub file: File,
    /// Its size when opened.
    pub size: u64,
    key: FileKey,
}

/// Where an upload's bytes go until it is committed.
#[derive(Debug)]
pub struct Upload {
    /// The temporary or partial file.
    pub path: PathBuf,
    /// Open for writing, positioned nowhere in particular.
    pub file: File,
    /// Bytes already there (a resumed partial upload), 0 otherwise.
    pub offset: u64,
    /// SHA-256 state after the first `offset` bytes.
    pub hasher: Sha256,
    /// True for a partial upload kept across broken connections.
    pub resumable: bool,
}

impl Store {
    /// Open the directory `root` (it must exist), and remove temporary files
    /// left by a crash and partial uploads older than [`PARTIAL_TTL`].
    pub fn open(root: &Path, keep_versions: u32, max_size: u64) -> Result<Self, StoreError> {
        let root = fs::canonicalize(root).map_err(StoreError::io(format!(
            "cannot open the directory {}",
            root.display()
        )))?;
        if !root.is_dir() {
            return Err(StoreError::Io {
                context: format!("{} is not a directory", root.display()),
                source: io::Error::from(io::ErrorKind::NotADirectory),
            });
        }
        let store = Self {
            root,
            // More would make version names longer than uploads leave room for.
            keep_versions: keep_versions.min(names::MAX_KEPT_VERSIONS),
            max_size,
            commits: Mutex::new(()),
            digests: Mutex::new(HashMap::new()),
            partials: Mutex::new(HashMap::new()),
        };
        store.remove_leftovers(true)?;
        Ok(store)
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// How many previous versions are kept.
    pub fn keep_versions(&self) -> u32 {
        self.keep_versions
    }

    fn remove_leftovers(&self, temp_files_too: bool) -> Result<(), StoreError> {
        let listing =
            fs::read_dir(&self.root).map_err(StoreError::io("cannot list the directory"))?;
        let now = SystemTime::now();
        for entry in listing.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let stale = if name.starts_with(TEMP_PREFIX) {
                temp_files_too
            } else if name.starts_with(PARTIAL_PREFIX) {
                entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| now.duration_since(t).ok())
                    .is_some_and(|age| age > PARTIAL_TTL)
            } else {
                false
            };
            if stale {
                match fs::remove_file(entry.path()) {
                    Ok(()) => tracing::info!(file = name, "removed a leftover upload file"),
                    Err(e) => {
                        tracing::warn!(file = name, error = %e, "cannot remove a leftover file")
                    }
                }
            }
        }
        Ok(())
    }

    /// Resolve `name` for reading: a regular file inside the root.
    fn resolve(&self, name: &str) -> Result<PathBuf, StoreError> {
        names::check(name)?;
        let path = self.root.join(name);
        let real = match fs::canonicalize(&path) {
            Ok(real) => real,
            // A missing file, or a link to nowhere.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound(name.to_owned()));
            }
            Err(e) => return Err(StoreError::io(format!("cannot open {name:?}"))(e)),
        };
        let Ok(inside) = real.strip_prefix(&self.root) else {
            return Err(StoreError::Outside(name.to_owned()));
        };
        if inside.as_os_str().is_empty() {
            // A link to the root itself.
            return Err(StoreError::NotRegular(name.to_owned()));
        }
        // A link to a hidden file (a temporary upload) is not served either.
        let hidden = inside
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if hidden {
            return Err(StoreError::LinkToHidden(name.to_owned()));
        }
        Ok(real)
    }

    /// Open `name` for a download. Blocking.
    pub fn open_for_reading(&self, name: &str) -> Result<Readable, StoreError> {
        let real = self.resolve(name)?;
        let mut options = OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            // `real` has no links left in it; if one appeared since (a race
            // with someone editing the directory), refuse to follow it.
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        let file = options
            .open(&real)
            .map_err(StoreError::io(format!("cannot open {name:?}")))?;
        let meta = file
            .metadata()
            .map_err(StoreError::io(format!("cannot read {name:?}")))?;
        if !meta.is_file() {
            return Err(StoreError::NotRegular(name.to_owned()));
        }
        Ok(Readable {
            file,
            size: meta.len(),
            key: FileKey::of(&meta),
        })
    }

    /// The digest of an open file, if it was computed before.
    pub fn cached_digest(&self, readable: &Readable) -> Option<Digest> {
        self.digests.lock().ok()?.get(&readable.key).copied()
    }

    /// Remember the digest of an open file.
    pub fn remember_digest(&self, readable: &Readable, digest: Digest) {
        self.remember(readable.key, digest);
    }

    fn remember(&self, key: FileKey, digest: Digest) {
        if let Ok(mut digests) = self.digests.lock() {
            if digests.len() >= DIGEST_CACHE {
                digests.clear();
            }
            digests.insert(key, digest);
        }
    }

    /// The regular files in the root, sorted by name. Hidden files are left
    /// out, and so are links that lead outside. Blocking.
    pub fn list(&self) -> Result<Vec<Entry>, StoreError> {
        let listing =
            fs::read_dir(&self.root).map_err(StoreError::io("cannot list the directory"))?;
        let mut entries = Vec::new();
        for entry in listing.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(real) = self.resolve(&name) else {
                continue;
            };
            let Ok(meta) = fs::metadata(&real) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let modified = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            entries.push(Entry {
                name,
                size: meta.len(),
                modified,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    /// Check that an upload of `size` bytes as `name` may start.
    fn check_upload(&self, name: &str, size: u64) -> Result<(), StoreError> {
        names::check_upload(name)?;
        if size > self.max_size {
            return Err(StoreError::TooLarge {
                size,
                limit: self.max_size,
            });
        }
        self.check_target(name)?;
        Ok(())
    }

    /// The target name must be free or a regular file (never a link).
    fn check_target(&self, name: &str) -> Result<bool, StoreError> {
        match fs::symlink_metadata(self.root.join(name)) {
            Ok(meta) if meta.is_file() => Ok(true),
            Ok(meta) if meta.file_type().is_symlink() => Err(StoreError::Link(name.to_owned())),
            Ok(_) => Err(StoreError::NotRegular(name.to_owned())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(format!("cannot check {name:?}"))(e)),
        }
    }

    fn check_space(&self, needed: u64) -> Result<(), StoreError> {
        if let Some(available) = available_space(&self.root)
            && needed > available
        {
            return Err(StoreError::NoSpace {
                size: needed,
                available,
            });
        }
        Ok(())
    }

    /// Start an upload: a fresh temporary file. Blocking.
    pub fn begin_upload(&self, name: &str, size: u64) -> Result<Upload, StoreError> {
        self.check_upload(name, size)?;
        self.check_space(size)?;
        let (path, file) = loop {
            let random = auth::random::<8>()
                .map_err(|e| StoreError::io("cannot name a temporary file")(io::Error::other(e)))?;
            let path = self
                .root
                .join(format!("{TEMP_PREFIX}{}.tmp", wire::hex(&random)));
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => break (path, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(StoreError::io("cannot create a temporary file")(e)),
            }
        };
        Ok(Upload {
            path,
            file,
            offset: 0,
            hasher: Sha256::new(),
            resumable: false,
        })
    }

    /// The lock of one resumable upload (same user, name and size).
    /// Taken before [`Store::begin_resumable`] and held until the upload
    /// ends, so a retry waits until the broken attempt has been cleaned up.
    pub fn partial_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut partials) = self.partials.lock() else {
            return Arc::new(tokio::sync::Mutex::new(()));
        };
        // Forget the locks nobody holds or waits for.
        partials.retain(|_, lock| Arc::strong_count(lock) > 1);
        Arc::clone(partials.entry(key.to_owned()).or_default())
    }

    /// The name of the partial upload file for one resumable upload.
    ///
    /// The digest is not part of it: an upload announces it only after the
    /// data (TRAILER). A retry with other content of the same size resumes
    /// onto bytes that are not its own; the trailer then does not match,
    /// the upload is refused (422) and the partial removed, so the next
    /// attempt starts from byte 0.
    pub fn partial_key(user: &str, name: &str, size: u64) -> String {
        let mut h = Sha256::new();
        h.update(user.as_bytes());
        h.update([0]);
        h.update(name.as_bytes());
        h.update([0]);
        h.update(size.to_be_bytes());
        let id: Digest = h.finalize().into();
        format!("{PARTIAL_PREFIX}{}", wire::hex(&id[..16]))
    }

    /// Start or continue a resumable upload: the partial file named by
    /// `key` keeps what arrived even if the connection breaks. The caller
    /// holds [`Store::partial_lock`]. Blocking.
    pub fn begin_resumable(&self, name: &str, size: u64, key: &str) -> Result<Upload, StoreError> {
        self.check_upload(name, size)?;
        // Partial uploads nobody came back for do not pile up.
        self.remove_leftovers(false)?;
        let path = self.root.join(key);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(StoreError::io("cannot open the partial upload"))?;
        let have = file
            .metadata()
            .map_err(StoreError::io("cannot read the partial upload"))?
            .len();
        // More than the whole file cannot be a prefix of it: start over.
        let offset = if have > size { 0 } else { have };
        self.check_space(size - offset)?;
        let hasher = crate::disk::hash_prefix(&mut file, offset)
            .map_err(StoreError::io("cannot read the partial upload"))?;
        Ok(Upload {
            path,
            file,
            offset,
            hasher,
            resumable: true,
        })
    }

    /// Replace `name` with the verified, synced file at `upload`, keeping
    /// the previous version. Returns the previous version's new name.
    /// Blocking.
    pub fn commit(
        &self,
        upload: &Path,
        name: &str,
        digest: Digest,
    ) -> Result<Option<String>, StoreError> {
        let _serial = self
            .commits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let target = self.root.join(name);
        let existed = self.check_target(name)?;
        let mut previous = None;
        if existed && self.keep_versions > 0 {
            let version = |n: u32| self.root.join(names::version_name(name, n));
            ignore_missing(fs::remove_file(version(self.keep_versions))).map_err(
                StoreError::replacing(name, "cannot drop the oldest version"),
            )?;
            for n in (1..self.keep_versions).rev() {
                ignore_missing(fs::rename(version(n), version(n + 1))).map_err(
                    StoreError::replacing(name, "cannot shift the kept versions"),
                )?;
            }
            // A hard link keeps `name` in place until the rename replaces it.
            if fs::hard_link(&target, version(1)).is_err() {
                fs::copy(&target, version(1))
                    .map_err(StoreError::io("cannot keep the previous version"))?;
            }
            previous = Some(names::version_name(name, 1));
        }
        // On Windows this fails while another program (Excel, say) has the
        // file open: the answer says so, and the old file stays.
        fs::rename(upload, &target).map_err(StoreError::replacing(
            name,
            format!("cannot put {name:?} in place"),
        ))?;
        sync_dir(&self.root).map_err(StoreError::io("cannot sync the directory"))?;
        if let Ok(meta) = fs::metadata(&target) {
            self.remember(FileKey::of(&meta), digest);
        }
        Ok(previous)
    }

    /// Remove an upload's temporary file (after a failure).
    pub fn discard(&self, upload: &Path) {
        if let Err(e) = ignore_missing(fs::remove_file(upload)) {
            tracing::warn!(file = %upload.display(), error = %e, "cannot remove a temporary file");
        }
    }
}

fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Make a rename in `dir` durable: sync the directory itself.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Free bytes for an unprivileged user on the file system of `path`.
#[cfg(unix)]
pub fn available_space(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to
    // writable memory of the right type; statvfs writes only into it.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the structure.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::useless_conversion)] // the field types differ between platforms
    Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

/// Free bytes: unknown on this platform.
#[cfg(not(unix))]
pub fn available_space(_path: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_refusals_of_an_open_file_are_told_apart() {
        assert!(held_open(Some(32)), "sharing violation");
        assert!(held_open(Some(5)), "access denied");
        assert!(!held_open(Some(2)), "not found");
        assert!(!held_open(None));
        assert!(
            StoreError::InUse("FT_teste.xlsx".into())
                .to_string()
                .contains("close it there and send again")
        );
    }

    use super::*;

    fn store(keep: u32) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), keep, u64::MAX).expect("open");
        (dir, store)
    }

    fn upload(store: &Store, name: &str, content: &[u8]) -> Option<String> {
        let up = store
            .begin_upload(name, content.len() as u64)
            .expect("begin");
        fs::write(&up.path, content).expect("write");
        let digest: Digest = Sha256::digest(content).into();
        store.commit(&up.path, name, digest).expect("commit")
    }

    #[test]
    fn versions_shift_and_the_oldest_is_dropped() {
        let (dir, store) = store(2);
        assert_eq!(upload(&store, "f", b"v1"), None);
        assert_eq!(upload(&store, "f", b"v2").as_deref(), Some("f.1"));
        upload(&store, "f", b"v3");
        upload(&store, "f", b"v4");
        let read = |n: &str| fs::read(dir.path().join(n)).expect(n);
        assert_eq!(read("f"), b"v4");
        assert_eq!(read("f.1"), b"v3");
        assert_eq!(read("f.2"), b"v2");
        assert!(!dir.path().join("f.3").exists());
    }

    #[test]
    fn no_versions_when_none_are_kept() {
        let (dir, store) = store(0);
        upload(&store, "f", b"v1");
        assert_eq!(upload(&store, "f", b"v2"), None);
        assert!(!dir.path().join("f.1").exists());
    }

    #[test]
    fn listing_hides_temporary_files_and_shows_versions() {
        let (_dir, store) = store(3);
        upload(&store, "b", b"2");
        upload(&store, "b", b"22");
        let pending = store.begin_upload("a", 1).expect("begin");
        let names: Vec<_> = store
            .list()
            .expect("list")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["b", "b.1"]);
        store.discard(&pending.path);
        assert!(!pending.path.exists());
    }

    #[test]
    fn leftover_temporary_files_are_removed_on_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stale = dir.path().join(format!("{TEMP_PREFIX}dead.tmp"));
        fs::write(&stale, b"half").expect("write");
        let recent_partial = dir.path().join(format!("{PARTIAL_PREFIX}0011"));
        fs::write(&recent_partial, b"kept").expect("write");
        Store::open(dir.path(), 1, u64::MAX).expect("open");
        assert!(!stale.exists());
        assert!(recent_partial.exists());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_only_inside_the_root() {
        let outside = tempfile::tempdir().expect("tempdir");
        fs::write(outside.path().join("secret"), b"s").expect("write");
        let (dir, store) = store(1);
        fs::write(dir.path().join("real"), b"r").expect("write");
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("out"))
            .expect("symlink");
        std::os::unix::fs::symlink("real", dir.path().join("in")).expect("symlink");
        assert!(matches!(
            store.open_for_reading("out"),
            Err(StoreError::Outside(_))
        ));
        assert_eq!(store.open_for_reading("in").expect("inside").size, 1);
        assert!(matches!(
            store.begin_upload("out", 1),
            Err(StoreError::Link(_))
        ));
        let names: Vec<_> = store
            .list()
            .expect("list")
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["in", "real"]);
    }

    #[test]
    fn sizes_over_the_limit_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), 1, 1000).expect("open");
        assert!(matches!(
            store.begin_upload("f", 1 << 63),
            Err(StoreError::TooLarge { .. })
        ));
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn a_partial_upload_resumes_from_its_length() {
        let (_dir, store) = store(1);
        let key = Store::partial_key("aluno", "f", 6);
        let up = store.begin_resumable("f", 6, &key).expect("begin");
        assert_eq!(up.offset, 0);
        fs::write(&up.path, b"abc").expect("write");
        let again = store.begin_resumable("f", 6, &key).expect("again");
        assert_eq!(again.offset, 3);
        let expected: Digest = Sha256::digest(b"abc").into();
        assert_eq!(Into::<Digest>::into(again.hasher.finalize()), expected);
    }
}
