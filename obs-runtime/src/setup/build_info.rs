//! What the running build is: the `obs_build_info{version, commit, rust_version}` gauge (always
//! 1), so that a change in a dashboard can be tied to a deploy, and the resource's
//! `service.version` and `vcs.ref.head.revision`.

use std::sync::OnceLock;

/// The version, commit and compiler of the program. [`build_info!`](crate::build_info) reads
/// them where the program is compiled:
///
/// ```
/// let info = obs_runtime::build_info!();
/// assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
/// assert!(info.rust_version.starts_with("1."));
/// let telemetry = obs_runtime::TelemetryBuilder::new("checkout").build_info(info);
/// # drop(telemetry);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildInfo {
    /// The program's version (`service.version`).
    pub version: String,
    /// The commit it was built from, if the build environment said
    /// (`vcs.ref.head.revision`).
    pub commit: Option<String>,
    /// The compiler's version.
    pub rust_version: String,
}

impl BuildInfo {
    /// A version, without a commit, built by the compiler obs was built by.
    pub fn new(version: impl Into<String>) -> BuildInfo {
        BuildInfo { version: version.into(), commit: None, rust_version: RUST_VERSION.into() }
    }

    /// The commit it was built from.
    pub fn commit(mut self, commit: impl Into<String>) -> BuildInfo {
        self.commit = Some(commit.into());
        self
    }

    #[doc(hidden)]
    pub fn __from_build(version: &str, commits: &[Option<&str>]) -> BuildInfo {
        let commit = commits.iter().flatten().find(|c| !c.trim().is_empty());
        BuildInfo { commit: commit.map(|c| c.trim().to_owned()), ..BuildInfo::new(version) }
    }
}

/// The [`BuildInfo`] of the crate it is written in: its `CARGO_PKG_VERSION`, and the commit
/// from the first of `OBS_GIT_COMMIT`, `GIT_COMMIT`, `VERGEN_GIT_SHA`, `GITHUB_SHA` and
/// `CI_COMMIT_SHA` set at compile time.
#[macro_export]
macro_rules! build_info {
    () => {
        $crate::BuildInfo::__from_build(
            ::core::env!("CARGO_PKG_VERSION"),
            &[
                ::core::option_env!("OBS_GIT_COMMIT"),
                ::core::option_env!("GIT_COMMIT"),
                ::core::option_env!("VERGEN_GIT_SHA"),
                ::core::option_env!("GITHUB_SHA"),
                ::core::option_env!("CI_COMMIT_SHA"),
            ],
        )
    };
}

/// The compiler that built obs (see `build.rs`).
const RUST_VERSION: &str = env!("OBS_RUSTC_VERSION");

/// The labels of the gauge, set once at set-up.
static LABELS: OnceLock<[(&'static str, String); 3]> = OnceLock::new();

/// Sets what the gauge says: `version` from the configuration's `service.version`.
pub(super) fn install(version: Option<&str>, build: Option<&BuildInfo>) {
    let unknown = || "unknown".to_owned();
    let _ = LABELS.set([
        ("version", version.map_or_else(unknown, str::to_owned)),
        ("commit", build.and_then(|b| b.commit.clone()).unwrap_or_else(unknown)),
        ("rust_version", build.map_or_else(|| RUST_VERSION.to_owned(), |b| b.rust_version.clone())),
    ]);
}

/// Publishes `obs_build_info`.
pub(super) fn publish_metrics() {
    if let Some(labels) = LABELS.get() {
        ::metrics::gauge!(crate::names::OBS_BUILD_INFO, labels).set(1.0);
    }
}

/// Describes `obs_build_info`.
pub(super) fn describe_metrics() {
    ::metrics::describe_gauge!(
        crate::names::OBS_BUILD_INFO,
        "The program's version, commit and compiler, as labels (always 1)"
    );
}
