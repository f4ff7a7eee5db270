//! What a runtime adds to a failure it reports, so that every runtime
//! words the same failure the same way.

use std::io::ErrorKind;

/// libpq's hint for a socket that could not be opened to `endpoint` (as
/// libpq describes it: `server on socket "..."` or `server at "..."`), for
/// the most common mistake: no server listening there. Empty when there
/// is nothing to add.
pub fn socket_hint(kind: ErrorKind, endpoint: &str) -> &'static str {
    match kind {
        ErrorKind::ConnectionRefused | ErrorKind::NotFound
            if endpoint.starts_with("server on socket") =>
        {
            "\n\tIs the server running locally and accepting connections on that socket?"
        }
        ErrorKind::ConnectionRefused => {
            "\n\tIs the server running on that host and accepting TCP/IP connections?"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const SOCKET: &str = "server on socket \"/tmp/.s.PGSQL.5432\"";
    const TCP: &str = "server at \"db\" (10.0.0.1), port 5432";

    #[rstest]
    #[case::refused_socket(ErrorKind::ConnectionRefused, SOCKET, "locally")]
    #[case::missing_socket(ErrorKind::NotFound, SOCKET, "locally")]
    #[case::refused_tcp(ErrorKind::ConnectionRefused, TCP, "TCP/IP")]
    fn a_missing_server_gets_libpqs_hint(
        #[case] kind: ErrorKind,
        #[case] endpoint: &str,
        #[case] words: &str,
    ) {
        let hint = socket_hint(kind, endpoint);
        assert!(hint.starts_with("\n\tIs the server running"), "{hint}");
        assert!(hint.contains(words), "{hint}");
    }

    #[rstest]
    #[case::unknown_host(ErrorKind::NotFound, TCP)]
    #[case::timeout(ErrorKind::TimedOut, TCP)]
    #[case::denied(ErrorKind::PermissionDenied, SOCKET)]
    fn other_failures_get_none(#[case] kind: ErrorKind, #[case] endpoint: &str) {
        assert_eq!(socket_hint(kind, endpoint), "");
    }
}
