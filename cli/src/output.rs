//! Writing results to stdout without ever panicking on it: a reader that
//! went away (`| head`) ends the command quietly, any other write error
//! (disk full) is reported, and a closed stdout is refused up front.

use std::io::{self, Write};

use crate::exit::Failure;

/// The exit code of a program whose reader left (128 + SIGPIPE), as the
/// shell reports one killed by SIGPIPE.
pub(crate) const READER_GONE: u8 = 141;

/// What an error writing stdout means for the command.
pub(crate) fn failure(e: &io::Error) -> Failure {
    if e.kind() == io::ErrorKind::BrokenPipe {
        // Whoever read our output left (`| head`): stop quietly, as a
        // program killed by SIGPIPE would.
        Failure::Reported(READER_GONE)
    } else {
        Failure::Usage(format!("cannot write output: {e}"))
    }
}

/// Writes `text` to stdout and flushes it.
pub(crate) fn print(text: &str) -> Result<(), Failure> {
    write(text.as_bytes())
}

/// Writes `bytes` to stdout and flushes it.
pub(crate) fn write(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| failure(&e))
}

/// Refuses to run with stdout closed (`>&-`): the results would vanish
/// while the command reported success.
pub(crate) fn check_stdout_open() -> Result<(), Failure> {
    if stdout_was_closed() {
        return Err(Failure::Usage(
            "stdout is closed (>&-), so the results would be lost; \
             redirect it to a file, or to /dev/null to discard them"
                .into(),
        ));
    }
    Ok(())
}

/// True when the process started with stdout closed (`>&-`). The Rust
/// runtime reopens a closed stdout on /dev/null for reading and writing,
/// which a shell's `>/dev/null` never does (it opens for writing only);
/// that is how it is told apart, on Linux. Elsewhere: never true.
pub(crate) fn stdout_was_closed() -> bool {
    let Ok(target) = std::fs::read_link("/proc/self/fd/1") else {
        return false;
    };
    if target != std::path::Path::new("/dev/null") {
        return false;
    }
    let Ok(info) = std::fs::read_to_string("/proc/self/fdinfo/1") else {
        return false;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .is_some_and(|flags| flags & 0o3 == 0o2)
}

/// A line for people on stderr; a stderr that cannot take it is ignored
/// (there is nowhere left to say so).
pub(crate) fn note(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}
