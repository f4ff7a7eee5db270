//! The four archive formats of pg_dump. A leaf module: errors name a
//! format, and the options that parse one report errors, so the format
//! itself depends on neither.

use std::fmt;

/// The four archive formats of pg_dump, with pg_dump's meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BackupFormat {
    /// A SQL script for psql (`-F p`).
    #[default]
    Plain,
    /// pg_dump's compressed archive for pg_restore (`-F c`).
    Custom,
    /// One file per table in a directory, the only format dumped in
    /// parallel (`-F d`).
    Directory,
    /// A tar archive for pg_restore, never compressed (`-F t`).
    Tar,
}

impl BackupFormat {
    /// Every format, for table-driven code and tests.
    pub const ALL: [BackupFormat; 4] = [
        BackupFormat::Plain,
        BackupFormat::Custom,
        BackupFormat::Directory,
        BackupFormat::Tar,
    ];

    /// The name users type and results show.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupFormat::Plain => "plain",
            BackupFormat::Custom => "custom",
            BackupFormat::Directory => "directory",
            BackupFormat::Tar => "tar",
        }
    }

    /// pg_dump's `--format` letter.
    pub fn pg_dump_letter(self) -> char {
        match self {
            BackupFormat::Plain => 'p',
            BackupFormat::Custom => 'c',
            BackupFormat::Directory => 'd',
            BackupFormat::Tar => 't',
        }
    }

    /// True when the backup is one stream of bytes that can go to a pipe
    /// (`--output -`): every format but directory.
    pub fn can_stream(self) -> bool {
        !self.is_directory()
    }

    /// True when the output is a directory rather than one file.
    pub fn is_directory(self) -> bool {
        self == BackupFormat::Directory
    }
}

impl fmt::Display for BackupFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
