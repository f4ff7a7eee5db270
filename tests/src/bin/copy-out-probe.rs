//! Runs one `COPY ... TO STDOUT` into a byte counter and reports the rows,
//! bytes and this process's peak resident memory (VmHWM), so that tests
//! and benchmarks measure memory instead of guessing it.
//!
//! Usage: `copy-out-probe [--smol] CONNINFO SQL` (`--smol`: through
//! runtime-smol's client, under smol's executor); prints
//! `rows=N bytes=N peak_kib=N`.

use std::io::{self, Write};
use std::process::ExitCode;

use sequelae_std::{Client, settings_from_env};

/// Counts bytes and drops them.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let smol = args.first().is_some_and(|a| a == "--smol");
    if smol {
        args.remove(0);
    }
    let [conninfo, sql] = args.as_slice() else {
        eprintln!("usage: copy-out-probe [--smol] CONNINFO SQL");
        return ExitCode::from(2);
    };
    let blocking = || -> Result<(u64, u64), sequelae_std::Error> {
        let mut client = Client::connect(&settings_from_env(Some(conninfo))?)?;
        let mut counter = Counter(0);
        let outcome = client.copy_out(sql, &mut counter)?;
        client.close()?;
        Ok((outcome.rows, counter.0))
    };
    let on_smol = || -> Result<(u64, u64), sequelae_smol::Error> {
        smol::block_on(async {
            let settings = sequelae_smol::settings_from_env(Some(conninfo)).await?;
            let mut client = sequelae_smol::Client::connect(&settings).await?;
            let mut counter = futures_lite::io::AssertAsync::new(Counter(0));
            let outcome = client.copy_out(sql, &mut counter).await?;
            client.close().await?;
            Ok((outcome.rows, counter.into_inner().0))
        })
    };
    let outcome = if smol { on_smol() } else { blocking() };
    match outcome {
        Ok((rows, bytes)) => {
            println!(
                "rows={rows} bytes={bytes} peak_kib={}",
                sequelae_tests::peak_rss_kib().unwrap_or(0)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("copy-out-probe: {e}");
            ExitCode::FAILURE
        }
    }
}
