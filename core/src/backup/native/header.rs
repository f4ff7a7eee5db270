//! The top of the dump file: who wrote it, from what, and the session
//! settings a restore needs (pg_dump's SET block).

use super::model::UnsupportedObject;

/// `180001` as `18.1`.
pub(crate) fn version_text(server_version_num: u32) -> String {
    format!(
        "{}.{}",
        server_version_num / 10_000,
        server_version_num % 10_000
    )
}

/// The header, ending with a blank line.
pub(crate) fn header(
    server_version_num: u32,
    snapshot_time: Option<&str>,
    unsupported: &[UnsupportedObject],
) -> String {
    let mut text = format!(
        "--\n-- PostgreSQL database dump\n--\n\n\
         -- Written by sequelae {} (native method)\n\
         -- Dumped from database version {}\n",
        env!("CARGO_PKG_VERSION"),
        version_text(server_version_num),
    );
    if let Some(time) = snapshot_time {
        text.push_str(&format!("-- Snapshot taken at {}\n", one_line(time)));
    }
    if !unsupported.is_empty() {
        text.push_str("--\n-- NOT DUMPED (the native method cannot write these yet):\n");
        for object in unsupported {
            text.push_str(&format!(
                "--   {} {}\n",
                one_line(&object.kind),
                one_line(&object.name)
            ));
        }
    }
    text.push_str(
        "\nSET statement_timeout = 0;\n\
         SET lock_timeout = 0;\n\
         SET idle_in_transaction_session_timeout = 0;\n",
    );
    if server_version_num >= 170_000 {
        text.push_str("SET transaction_timeout = 0;\n");
    }
    text.push_str(
        "SET client_encoding = 'UTF8';\n\
         SET standard_conforming_strings = on;\n\
         SELECT pg_catalog.set_config('search_path', '', false);\n\
         SET check_function_bodies = false;\n\
         SET xmloption = content;\n\
         SET client_min_messages = warning;\n\
         SET row_security = off;\n",
    );
    // Objects said without a tablespace or access method get the
    // server's defaults, not whatever the restoring session has set.
    text.push_str(
        "\nSET default_tablespace = '';\n\
         SET default_table_access_method = heap;\n",
    );
    text
}

/// A name inside a `--` comment: a newline in it would end the comment.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
