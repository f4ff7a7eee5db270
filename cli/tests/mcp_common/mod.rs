//! Talking to `sequelae --mcp` over its stdin and stdout, line by line.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a test waits for an answer before failing.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// `_meta` of a 2026-07-28 request.
pub fn modern_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "raw-test", "version": "0"},
    })
}

/// A running server.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: i64,
}

impl Server {
    /// `sequelae --mcp ARGS` in `cwd` with `env` (and no PG* variables
    /// from the caller).
    pub fn start(args: &[&str], env: &[(&str, &str)], cwd: &Path) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sequelae"));
        for (key, _) in std::env::vars() {
            if key.starts_with("PG")
                || key == "DATABASE_URL"
                || key.starts_with("MCP_")
                || key.starts_with("SEQUELAE_")
                || key == "POSTGRES_MAX_CONNECTIONS"
            {
                cmd.env_remove(key);
            }
        }
        cmd.arg("--mcp")
            .args(args)
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Server {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1000,
        }
    }

    /// Writes raw bytes (a line is the caller's to end).
    pub fn write(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Sends one message as a line.
    pub fn send(&mut self, message: &Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.write(line.as_bytes());
    }

    /// The next line from stdout, as JSON (every line must be JSON).
    pub fn recv(&mut self) -> Value {
        let line = self.recv_line();
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"))
    }

    /// The next raw line from stdout.
    pub fn recv_line(&mut self) -> String {
        self.lines
            .recv_timeout(ANSWER_WITHIN)
            .unwrap_or_else(|e| panic!("no message from the server: {e}"))
    }

    /// Nothing arrives within `wait`.
    pub fn expect_silence(&mut self, wait: Duration) {
        match self.lines.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(line) => panic!("unexpected message: {line}"),
            Err(e) => panic!("stdout closed: {e}"),
        }
    }

    /// A fresh numeric id.
    pub fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends a request and returns the response with its id, skipping
    /// notifications (returned in the second value).
    pub fn request(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = self.id();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(&json!(id))
    }

    /// Reads until the response to `id`; the notifications before it
    /// are returned too. Responses to other ids are an error.
    pub fn response(&mut self, id: &Value) -> (Value, Vec<Value>) {
        let mut notes = Vec::new();
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            assert!(Instant::now() < deadline, "no response to {id}");
            let message = self.recv();
            if message.get("id") == Some(id) {
                return (message, notes);
            }
            assert!(
                message.get("id").is_none(),
                "a response to another request: {message}"
            );
            notes.push(message);
        }
    }

    /// `initialize` at `version`, then `notifications/initialized`.
    pub fn initialize(&mut self, version: &str) -> Value {
        let (answer, _) = self.request(
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}),
        );
        self.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        answer
    }

    /// A modern tools/call; returns the result object.
    pub fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let (answer, _) = self.request(
            "tools/call",
            json!({"name": tool, "arguments": arguments, "_meta": modern_meta()}),
        );
        answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("not a result: {answer}"))
    }

    /// Closes stdin, waits for the exit, and returns what the server
    /// wrote from then on (every line, up to the end of its stdout).
    pub fn close_and_drain(mut self) -> (std::process::ExitStatus, Vec<Value>) {
        drop(self.stdin.take());
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(ANSWER_WITHIN) {
                Ok(line) => rest.push(
                    serde_json::from_str(&line)
                        .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}")),
                ),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => panic!("stdout stayed open after stdin closed"),
            }
        }
        (self.close(), rest)
    }

    /// Closes stdin and waits for the exit (bounded).
    pub fn close(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit after stdin closed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JSON document of a tool result (its text content), and whether it
/// is an error.
pub fn document(result: &Value) -> (Value, bool) {
    let text = result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {result}"));
    let doc: Value = serde_json::from_str(text).unwrap();
    let is_error = result["isError"].as_bool().unwrap();
    if !is_error {
        assert_eq!(
            result["structuredContent"], doc,
            "structuredContent equals the text"
        );
    }
    (doc, is_error)
}
