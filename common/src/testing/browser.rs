//! A real headless Chromium, driven over WebDriver by fantoccini, for the
//! tests of the exercises that serve a page (feature `browser`).
//!
//! A page is part of the program under test: the only honest test of its
//! JavaScript is a browser that loads it from the real server, clicks, types
//! and reads what a person would see. Two exercises do that, so the setup
//! lives here once:
//!
//! * `chromedriver --port=0` picks a free port and prints it (no fixed
//!   port, no race);
//! * the browser gets a fresh profile in a temporary directory and the flags
//!   that keep it from reaching for the network by itself (updates, sync,
//!   field trials), which a machine without Internet access would refuse,
//!   slowly;
//! * ChromeDriver runs in a process group of its own, so a test that fails
//!   before [`Browser::close`] still stops it and the browser it started.
//!
//! `CHROME` and `CHROMEDRIVER` name other binaries than the ones found on
//! `PATH` (`chromium`, `chromium-browser`, `google-chrome`; `chromedriver`).
//! Tests check [`available`] with [`super::require`] first, so a machine
//! without Chromium says `SKIPPED` (or fails under `REQUIRE_ALL_TESTS=1`).

use super::{Launcher, Program, timeout};
use std::path::{Path, PathBuf};

/// The browser binary, if there is one.
pub fn chrome() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROME") {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| on_path(name))
}

/// The ChromeDriver binary, if there is one.
pub fn chromedriver() -> Option<PathBuf> {
    match std::env::var_os("CHROMEDRIVER") {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => on_path("chromedriver"),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
}

/// True when both Chromium and ChromeDriver are installed.
pub fn available() -> bool {
    chrome().is_some() && chromedriver().is_some()
}

/// What the browser tests print when they cannot run.
pub const MISSING: &str =
    "needs Chromium and ChromeDriver (Debian: apt-get install chromium chromium-driver)";

/// A running headless browser. Call [`Browser::close`] at the end of a test;
/// if the test fails first, dropping it stops ChromeDriver and the browser.
pub struct Browser {
    /// The WebDriver session.
    pub client: fantoccini::Client,
    driver: Program,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start ChromeDriver on a free port and open a headless browser session.
    pub async fn start() -> Browser {
        Self::launch(None).await
    }

    /// Like [`Browser::start`], saving downloads in `dir` without asking.
    pub async fn start_with_downloads(dir: &Path) -> Browser {
        Self::launch(Some(dir)).await
    }

    async fn launch(downloads: Option<&Path>) -> Browser {
        let chrome = chrome().expect("Chromium is installed (check `available()` first)");
        let driver_path = chromedriver().expect("ChromeDriver is installed");
        // Its own process group, so that the browser it starts can be stopped
        // with it even when the test fails before `close`.
        let mut driver = Launcher::fixed(&driver_path).spawn_with(&["--port=0"], |cmd| {
            #[cfg(unix)]
            {
                use std::os::unix::process::CommandExt as _;
                cmd.process_group(0);
            }
            #[cfg(not(unix))]
            let _ = cmd;
        });
        let started = driver.line_containing("was started successfully on port ");
        let port: u16 = started
            .rsplit(' ')
            .next()
            .map(|p| p.trim_end_matches('.'))
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in ChromeDriver's line {started:?}"));
        let profile = tempfile::tempdir().expect("a temporary browser profile");
        let args = [
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=900,1100".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = serde_json::json!({ "binary": chrome, "args": args });
        if let Some(dir) = downloads {
            options["prefs"] = serde_json::json!({
                "download.default_directory": dir.display().to_string(),
                "download.prompt_for_download": false,
            });
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let client = tokio::time::timeout(timeout(), async {
            fantoccini::ClientBuilder::rustls()
                .expect("a rustls HTTP connector")
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
        })
        .await
        .expect("the browser started in time")
        .unwrap_or_else(|e| panic!("cannot open a browser session: {e}"));
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// End the session (the browser quits) and stop ChromeDriver.
    pub async fn close(self) {
        let _ = tokio::time::timeout(timeout(), self.client.clone().close()).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that failed before `close`: stop the whole process group
        // (ChromeDriver and the browser it started), by its id.
        #[cfg(unix)]
        {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.driver.pid())])
                .stderr(std::process::Stdio::null())
                .status();
        }
        // Windows has no process groups to stop: ChromeDriver stops when
        // `driver` is dropped after this, and a browser it started may
        // outlive a test that failed.
        #[cfg(not(unix))]
        let _ = self.driver.pid();
    }
}
