//! The slide's challenge in one command: download, let the user edit, send back.
//!
//! "Editar o arquivo `FT_arquivo_recebido.xlsx` e [...] enviar de volta,
//! sobrescrevendo o `FT_teste.xlsx` antigo, salvando a nova versão", with
//! "um tempo entre enviar/receber para poder editar o arquivo". So:
//!
//! 1. log in and download `FT_teste.xlsx` as `FT_arquivo_recebido.xlsx`;
//! 2. wait while the user edits it: until Enter ([`Wait::Enter`]), for a
//!    number of seconds ([`Wait::Seconds`]), or until the file changes on
//!    disk ([`Wait::Change`]);
//! 3. log in again (the edit may take longer than the server's idle
//!    timeout) and upload it as `FT_teste.xlsx`; the server keeps the old
//!    one as `FT_teste.xlsx.1`.
//!
//! Watching for a change polls the file's size and modification time, and
//! waits until they have stayed the same for one more poll: an editor that
//! saves in several writes (or writes a new file and renames it) is not
//! caught half-way. A save that leaves the content as it was (same digest)
//! does not count as a change.

use crate::client::{Client, ClientError, Progress};
use crate::disk;
use crate::names::MAX_NAME;
use crate::wire::{Digest, hex};
use common::escape::escape;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

/// The file the slide's server sends.
pub const REMOTE: &str = "FT_teste.xlsx";

/// The name the slide gives the received copy.
pub const LOCAL: &str = "FT_arquivo_recebido.xlsx";

/// How often the file is checked for a change.
pub const POLL: Duration = Duration::from_millis(200);

/// How long [`Wait::Change`] waits for the edit by default before giving
/// up: one hour.
pub const MAX_WAIT: Duration = Duration::from_secs(60 * 60);

/// How to wait for the user's edit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wait {
    /// Until the user presses Enter (or standard input ends).
    Enter,
    /// A fixed time.
    Seconds(Duration),
    /// Until the file's content changes on disk.
    Change,
}

impl FromStr for Wait {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enter" => Ok(Wait::Enter),
            "change" => Ok(Wait::Change),
            secs => secs
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .map(Wait::Seconds)
                .ok_or_else(|| format!("{s:?} is not `enter`, `change` or a number of seconds")),
        }
    }
}

/// How to reach and log in to the server.
#[derive(Clone)]
pub struct Login {
    /// `host:port`.
    pub addr: String,
    /// The account.
    pub user: String,
    /// Its password.
    pub password: String,
    /// The longest wait for the server.
    pub timeout: Duration,
    /// Bytes per data frame sent.
    pub chunk: usize,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("addr", &self.addr)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// Connect and log in.
    pub async fn open(&self) -> Result<Client, ClientError> {
        let mut client = Client::connect(&self.addr, self.timeout).await?;
        client.set_chunk(self.chunk);
        client.login(&self.user, &self.password).await?;
        Ok(client)
    }
}

/// What identifies a version of a file on disk without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    len: u64,
    modified: Option<SystemTime>,
    /// The inode: an editor that saves by writing a new file and renaming
    /// it over the old one changes it even within one clock tick.
    inode: u64,
}

/// The current snapshot of `path`, `None` if it does not exist (an editor
/// may remove it for a moment while saving).
pub fn snapshot(path: &Path) -> Option<Snapshot> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Snapshot {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
    })
}

/// Decides, from successive snapshots, when a file has changed and settled.
#[derive(Debug)]
pub struct ChangeWatch {
    baseline: Option<Snapshot>,
    candidate: Option<Snapshot>,
}

impl ChangeWatch {
    /// Watch for a change from `baseline`.
    pub fn new(baseline: Option<Snapshot>) -> Self {
        Self {
            baseline,
            candidate: None,
        }
    }

    /// Feed one snapshot; true when the file differs from the baseline and
    /// is the same as at the previous snapshot (it has settled).
    pub fn observe(&mut self, now: Option<Snapshot>) -> bool {
        match now {
            None => {
                self.candidate = None;
                false
            }
            Some(s) if Some(s) == self.baseline => {
                self.candidate = None;
                false
            }
            Some(s) if self.candidate == Some(s) => true,
            Some(s) => {
                self.candidate = Some(s);
                false
            }
        }
    }

    /// The file was saved without a change of content: watch from here.
    pub fn rebase(&mut self, now: Option<Snapshot>) {
        self.baseline = now;
        self.candidate = None;
    }
}

/// Wait until `path`'s content differs from `original`, the content it had
/// at `baseline`; returns the new digest.
pub async fn wait_for_change(
    path: &Path,
    original: Digest,
    baseline: Option<Snapshot>,
) -> Result<Digest, ClientError> {
    let mut watch = ChangeWatch::new(baseline);
    loop {
        tokio::time::sleep(POLL).await;
        let now = snapshot(path);
        if !watch.observe(now) {
            continue;
        }
        let file = path.to_owned();
        let digest = tokio::task::spawn_blocking(move || {
            let mut f = std::fs::File::open(&file)?;
            disk::hash_file(&mut f, 0).map(|(d, _)| d)
        })
        .await
        .map_err(|e| ClientError::Local {
            context: "a background task failed".into(),
            source: std::io::Error::other(e),
        })?;
        match digest {
            Ok(digest) if digest != original => return Ok(digest),
            Ok(_) => watch.rebase(now),
            // Gone again, or unreadable mid-save: keep watching.
            Err(_) => watch.rebase(None),
        }
    }
}

/// The exercise's settings.
#[derive(Debug, Clone)]
pub struct Exercise {
    /// The server's file (`FT_teste.xlsx`).
    pub remote: String,
    /// The local copy (`FT_arquivo_recebido.xlsx`).
    pub local: PathBuf,
    /// How to wait for the edit.
    pub wait: Wait,
    /// With [`Wait::Change`], how long to wait before giving up (nothing is
    /// sent then).
    pub max_wait: Duration,
}

/// Run the exercise. `say` gets the results (stdout), `prompt` the
/// instructions to the user (stderr); `enter` completes when the user
/// presses Enter (used with [`Wait::Enter`]).
pub async fn run(
    login: &Login,
    exercise: &Exercise,
    progress: &dyn Progress,
    say: impl Fn(&str),
    prompt: impl Fn(&str),
    enter: impl Future<Output = ()>,
) -> Result<(), ClientError> {
    let local = &exercise.local;
    let shown = local.display();
    let received = {
        let mut client = login.open().await?;
        client.get(&exercise.remote, local, false, progress).await?
    };
    // Before telling the user to edit: an edit right after the message must
    // count as a change.
    let baseline = snapshot(local);
    say(&format!(
        "received {} as {shown}: {} bytes, sha256 {}",
        exercise.remote,
        received.size,
        hex(&received.digest)
    ));
    match exercise.wait {
        Wait::Enter => {
            prompt(&format!(
                "edit {shown} now, then press Enter to send it back"
            ));
            enter.await;
        }
        Wait::Seconds(d) => {
            prompt(&format!(
                "edit {shown} now; it is sent back in {} s",
                d.as_secs_f64()
            ));
            tokio::time::sleep(d).await;
        }
        Wait::Change => {
            prompt(&format!(
                "edit {shown} now; it is sent back as soon as it is saved"
            ));
            let change = wait_for_change(local, received.digest, baseline);
            let digest = tokio::time::timeout(exercise.max_wait, change)
                .await
                .map_err(|_| ClientError::NotChanged {
                    path: shown.to_string(),
                    waited: exercise.max_wait,
                })??;
            say(&format!("{shown} changed: sha256 {}", hex(&digest)));
        }
    }
    let mut client = login.open().await?;
    let sent = client.put(local, &exercise.remote, false, progress).await?;
    if sent.digest == received.digest {
        prompt("note: the file was sent back unchanged");
    }
    let kept = sent
        .previous
        .map(|p| format!("; previous version kept as {}", escape(&p, MAX_NAME)))
        .unwrap_or_default();
    say(&format!(
        "stored {shown} as {}: {} bytes, sha256 {}{kept}",
        exercise.remote,
        sent.size,
        hex(&sent.digest)
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(len: u64, secs: u64) -> Option<Snapshot> {
        Some(Snapshot {
            len,
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
            inode: 1,
        })
    }

    #[test]
    fn wait_parses_enter_change_and_seconds() {
        assert_eq!("enter".parse(), Ok(Wait::Enter));
        assert_eq!("change".parse(), Ok(Wait::Change));
        assert_eq!(
            "1.5".parse(),
            Ok(Wait::Seconds(Duration::from_millis(1500)))
        );
        assert!("-1".parse::<Wait>().is_err());
        assert!("soon".parse::<Wait>().is_err());
    }

    #[test]
    fn an_unchanged_file_never_fires() {
        let mut watch = ChangeWatch::new(snap(10, 1));
        for _ in 0..5 {
            assert!(!watch.observe(snap(10, 1)));
        }
    }

    #[test]
    fn a_change_fires_once_it_has_settled() {
        let mut watch = ChangeWatch::new(snap(10, 1));
        assert!(!watch.observe(snap(12, 2)), "still being written?");
        assert!(!watch.observe(snap(20, 3)), "it grew: not settled");
        assert!(watch.observe(snap(20, 3)));
    }

    #[test]
    fn a_file_missing_mid_save_resets_the_wait() {
        let mut watch = ChangeWatch::new(snap(10, 1));
        assert!(!watch.observe(snap(20, 3)));
        assert!(!watch.observe(None));
        assert!(!watch.observe(snap(20, 3)));
        assert!(watch.observe(snap(20, 3)));
    }

    #[test]
    fn after_a_rebase_the_same_snapshot_is_no_change() {
        let mut watch = ChangeWatch::new(snap(10, 1));
        watch.observe(snap(10, 2));
        assert!(watch.observe(snap(10, 2)));
        watch.rebase(snap(10, 2));
        assert!(!watch.observe(snap(10, 2)));
        assert!(!watch.observe(snap(10, 2)));
    }
}
