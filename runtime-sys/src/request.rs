//! What one backup needs from its surroundings, the same for both
//! runtimes: passed in so that tests (and servers) can give any
//! environment, directory and time.

use std::path::PathBuf;
use std::time::SystemTime;

use sequelae_core::backup::{BackupJob, BackupOptions};
use sequelae_core::config::{ConnectSettings, Environment};

use crate::environment::process_environment;

/// Everything one backup needs from its surroundings.
#[derive(Debug, Clone)]
pub struct BackupRequest {
    /// What to back up, how, where.
    pub options: BackupOptions,
    /// Where the database is.
    pub settings: ConnectSettings,
    /// The environment: `PATH` (to find pg_dump), `SEQUELAE_PG_DUMP`,
    /// `TMPDIR`, `LC_ALL`. pg_dump itself inherits the process
    /// environment, changed as the plan says.
    pub env: Environment,
    /// Relative output paths and default names are taken from here.
    pub cwd: PathBuf,
    /// The time default names are made from.
    pub started_at: SystemTime,
}

impl BackupRequest {
    /// A request in this process's environment, working directory and
    /// time (blocking: it reads the environment and the working
    /// directory).
    ///
    /// # Errors
    ///
    /// When the working directory cannot be read.
    pub fn from_process(
        options: BackupOptions,
        settings: ConnectSettings,
    ) -> std::io::Result<BackupRequest> {
        Ok(BackupRequest {
            options,
            settings,
            env: process_environment(),
            cwd: std::env::current_dir()?,
            started_at: SystemTime::now(),
        })
    }

    /// The backup driver's job for this request, run by this process.
    pub fn job(&self) -> BackupJob {
        BackupJob {
            options: self.options.clone(),
            settings: self.settings.clone(),
            env: self.env.clone(),
            cwd: self.cwd.clone(),
            started_at: self.started_at,
            pid: std::process::id(),
        }
    }
}
