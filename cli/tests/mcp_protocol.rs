//! The MCP server's protocol on the raw wire: both eras, every error code,
//! ids of every kind, notifications, garbage. Most need no database: the
//! server starts and answers with the database down.

#![allow(clippy::unwrap_used)]

mod mcp_common;

use mcp_common::{Server, modern_meta};
use rstest::rstest;
use serde_json::{Value, json};

/// A URL where nothing listens: the protocol must not care.
const NOWHERE: &str = "postgresql://someone:s3cret-pw@127.0.0.1:1/nothing";

fn server() -> Server {
    Server::start(&[], &[("DATABASE_URL", NOWHERE)], &std::env::temp_dir())
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not an error: {answer}"))
}

#[rstest]
#[case("2025-11-25", "2025-11-25")]
#[case("2025-06-18", "2025-06-18")]
#[case("2025-03-26", "2025-03-26")]
#[case("2024-11-05", "2024-11-05")]
#[case("2099-01-01", "2025-11-25")]
fn legacy_initialize_answers_the_clients_version_else_the_newest(
    #[case] asked: &str,
    #[case] agreed: &str,
) {
    let mut s = server();
    let answer = s.initialize(asked);
    let result = &answer["result"];
    assert_eq!(result["protocolVersion"], agreed, "{answer}");
    assert_eq!(result["serverInfo"]["name"], "sequelae");
    assert!(result["capabilities"]["tools"].is_object());
    assert!(
        result.get("resultType").is_none(),
        "legacy results carry no resultType"
    );
    let (pong, _) = s.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
    let (list, _) = s.request("tools/list", json!({}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "sql_exec",
            "sql_file",
            "sql_schema",
            "sql_health",
            "sql_backup"
        ]
    );
    assert!(list["result"].get("ttlMs").is_none());
    // Only what the agreed version defines: annotations since 2025-03-26,
    // titles and output schemas since 2025-06-18.
    let tool = &list["result"]["tools"][0];
    let has = |key: &str| tool.get(key).is_some();
    assert_eq!(has("annotations"), agreed >= "2025-03-26", "{tool}");
    assert_eq!(has("title"), agreed >= "2025-06-18", "{tool}");
    assert_eq!(has("outputSchema"), agreed >= "2025-06-18", "{tool}");
    assert_eq!(
        result["serverInfo"].get("title").is_some(),
        agreed >= "2025-06-18",
        "{answer}"
    );
    assert!(s.close().success());
}

#[test]
fn modern_era_discover_list_and_stamps() {
    let mut s = server();
    let (discover, _) = s.request("server/discover", json!({"_meta": modern_meta()}));
    let result = &discover["result"];
    assert_eq!(result["resultType"], "complete", "{discover}");
    assert_eq!(result["supportedVersions"][0], "2026-07-28");
    assert!(
        result["supportedVersions"]
            .as_array()
            .unwrap()
            .contains(&json!("2024-11-05"))
    );
    assert!(result["capabilities"]["tools"].is_object());
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "sequelae"
    );
    assert!(result["ttlMs"].as_u64().is_some());
    assert_eq!(result["cacheScope"], "public");
    let (list, _) = s.request("tools/list", json!({"_meta": modern_meta()}));
    let result = &list["result"];
    assert_eq!(result["resultType"], "complete");
    assert!(result["ttlMs"].as_u64().is_some());
    assert_eq!(result["cacheScope"], "public");
    for tool in result["tools"].as_array().unwrap() {
        for key in [
            "title",
            "description",
            "inputSchema",
            "outputSchema",
            "annotations",
        ] {
            assert!(tool.get(key).is_some(), "{} lacks {key}", tool["name"]);
        }
        for hint in [
            "readOnlyHint",
            "destructiveHint",
            "idempotentHint",
            "openWorldHint",
        ] {
            assert!(
                tool["annotations"][hint].is_boolean(),
                "{} lacks {hint}",
                tool["name"]
            );
        }
    }
    // The same list, in the same order, every time.
    let (again, _) = s.request("tools/list", json!({"_meta": modern_meta()}));
    assert_eq!(again["result"]["tools"], list["result"]["tools"]);
    // No ping and no logging in this era.
    let (ping, _) = s.request("ping", json!({"_meta": modern_meta()}));
    assert_eq!(error_code(&ping), -32601);
    let (level, _) = s.request(
        "logging/setLevel",
        json!({"level": "debug", "_meta": modern_meta()}),
    );
    assert_eq!(error_code(&level), -32601);
}

#[test]
fn read_only_mode_says_so_in_the_annotations() {
    let mut s = Server::start(
        &["--read-only"],
        &[("DATABASE_URL", NOWHERE)],
        &std::env::temp_dir(),
    );
    let (list, _) = s.request("tools/list", json!({"_meta": modern_meta()}));
    let exec = &list["result"]["tools"][0];
    assert_eq!(exec["annotations"]["readOnlyHint"], true);
    assert_eq!(exec["annotations"]["destructiveHint"], false);
    let backup = &list["result"]["tools"][4];
    assert_eq!(backup["name"], "sql_backup", "backup stays available");
}

#[rstest]
#[case::not_json("{\"jsonrpc\":\"2.0\",", -32700, Value::Null)]
#[case::batch("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", -32600, Value::Null)]
#[case::string("\"hello\"", -32600, Value::Null)]
#[case::no_jsonrpc("{\"id\":1,\"method\":\"ping\"}", -32600, json!(1))]
#[case::null_id("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", -32600, Value::Null)]
#[case::bool_id("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}", -32600, Value::Null)]
#[case::no_method("{\"jsonrpc\":\"2.0\",\"id\":5}", -32600, json!(5))]
#[case::object_id("{\"jsonrpc\":\"2.0\",\"id\":{\"a\":1},\"method\":\"ping\"}", -32600, Value::Null)]
#[case::array_id("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}", -32600, Value::Null)]
#[case::fraction_id("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", -32600, Value::Null)]
// Valid JSON (RFC 8259 sets no range), but no id a request may have.
#[case::huge_id("{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"ping\"}", -32600, Value::Null)]
// Valid JSON with a number beyond f64 in params: the id is readable.
#[case::huge_number_in_params(
    "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"sql_exec\",\"arguments\":{\"query\":\"SELECT 1\",\"maxRows\":1e400}}}",
    -32602,
    json!(9)
)]
fn malformed_lines_get_their_code_with_the_id_when_readable(
    #[case] line: &str,
    #[case] code: i64,
    #[case] id: Value,
) {
    let mut s = server();
    s.write(format!("{line}\n").as_bytes());
    let answer = s.recv();
    assert_eq!(error_code(&answer), code, "{answer}");
    assert_eq!(answer["id"], id);
    assert_eq!(answer["jsonrpc"], "2.0");
    // And the server goes on.
    let (pong, _) = s.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
}

#[test]
fn every_request_error_code_with_the_id_echoed() {
    let mut s = server();
    let ask = |s: &mut Server, method: &str, params: Value| {
        let (answer, _) = s.request(method, params);
        error_code(&answer)
    };
    assert_eq!(
        ask(&mut s, "resources/list", json!({"_meta": modern_meta()})),
        -32601
    );
    assert_eq!(
        ask(&mut s, "no/such/method", json!({})),
        -32601,
        "unknown methods at once, even without _meta"
    );
    // Missing the required _meta keys.
    assert_eq!(ask(&mut s, "tools/list", json!({})), -32602);
    assert_eq!(ask(&mut s, "server/discover", json!({})), -32602);
    let no_caps = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}});
    assert_eq!(ask(&mut s, "tools/list", no_caps), -32602);
    // An unknown version: -32022 with what is supported and what was asked.
    let old = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": "1900-01-01",
        "io.modelcontextprotocol/clientCapabilities": {}}});
    let (answer, _) = s.request("server/discover", old);
    assert_eq!(error_code(&answer), -32022);
    assert_eq!(answer["error"]["data"]["requested"], "1900-01-01");
    assert!(
        answer["error"]["data"]["supported"]
            .as_array()
            .unwrap()
            .contains(&json!("2026-07-28"))
    );
    // CallToolRequest schema: unknown tool, no name, arguments not an object.
    let meta = modern_meta();
    assert_eq!(
        ask(
            &mut s,
            "tools/call",
            json!({"name": "drop_everything", "_meta": meta})
        ),
        -32602
    );
    assert_eq!(ask(&mut s, "tools/call", json!({"_meta": meta})), -32602);
    assert_eq!(
        ask(
            &mut s,
            "tools/call",
            json!({"name": "sql_exec", "arguments": [1], "_meta": meta})
        ),
        -32602
    );
    assert_eq!(
        ask(
            &mut s,
            "tools/list",
            json!({"cursor": "nope", "_meta": meta})
        ),
        -32602
    );
    // initialize without its required fields.
    assert_eq!(
        ask(&mut s, "initialize", json!({"capabilities": {}})),
        -32602
    );
}

#[test]
fn arguments_that_break_the_input_schema_are_a_tool_error_naming_the_argument() {
    let mut s = server();
    for (arguments, named) in [
        (json!({}), "query"),
        (json!({"query": 1}), "query"),
        (json!({"query": "SELECT 1", "maxRows": -4}), "maxRows"),
        (json!({"query": "SELECT 1", "colour": "red"}), "colour"),
    ] {
        let result = s.call("sql_exec", arguments.clone());
        assert_eq!(result["isError"], true, "{arguments}: {result}");
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("\\\"{named}\\\"")),
            "{arguments}: {text}"
        );
        assert_eq!(result["resultType"], "complete");
    }
}

#[rstest]
#[case::zero(json!(0))]
#[case::negative(json!(-7))]
#[case::max_u64(json!(u64::MAX))]
#[case::min_i64(json!(i64::MIN))]
#[case::empty_string(json!(""))]
#[case::text(json!("req-1"))]
#[case::unicode(json!("zürich \u{1F418} \"quoted\" \\ back"))]
#[case::numeric_string(json!("0"))]
fn ids_are_echoed_exactly(#[case] id: Value) {
    let mut s = server();
    s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "server/discover", "params": {"_meta": modern_meta()}}));
    let line = s.recv_line();
    let answer: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(answer["id"], id, "{line}");
    assert!(
        line.contains(&format!("\"id\":{id}")),
        "raw text keeps the id: {line}"
    );
    // The same id on an error.
    s.send(&json!({"jsonrpc": "2.0", "id": id, "method": "nope"}));
    let answer = s.recv();
    assert_eq!(answer["id"], id);
    assert_eq!(error_code(&answer), -32601);
}

#[test]
fn notifications_are_never_answered() {
    let mut s = server();
    for note in [
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 99}}),
        json!({"jsonrpc": "2.0", "method": "notifications/unknown", "params": {"x": 1}}),
        json!({"jsonrpc": "2.0", "method": "tools/list"}),
        json!({"jsonrpc": "2.0", "id": 3, "result": {}}),
    ] {
        s.send(&note);
    }
    // The first message out is the answer to this ping.
    s.send(&json!({"jsonrpc": "2.0", "id": "after", "method": "ping"}));
    let answer = s.recv();
    assert_eq!(answer["id"], "after", "{answer}");
}

#[test]
fn a_line_over_the_limit_is_refused_and_the_server_goes_on() {
    let mut s = server();
    let mut line = br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":""#.to_vec();
    line.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    line.extend(b"\"}}\n");
    s.write(&line);
    let answer = s.recv();
    assert_eq!(error_code(&answer), -32600, "{answer}");
    assert_eq!(answer["id"], Value::Null);
    let (pong, _) = s.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
}

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn garbage_line(rng: &mut XorShift) -> Vec<u8> {
    const PIECES: [&str; 16] = [
        "{",
        "}",
        "[",
        "]",
        "\"jsonrpc\"",
        ":",
        "\"2.0\"",
        ",",
        "\"id\"",
        "\"method\"",
        "null",
        "\"tools/call\"",
        "1e999",
        "\"\\u0000\"",
        "\"params\"",
        "-0",
    ];
    match rng.below(4) {
        // Random bytes (no newline), invalid UTF-8 included.
        0 => (0..rng.below(200))
            .map(|_| {
                loop {
                    let b = rng.below(256) as u8;
                    if b != b'\n' {
                        break b;
                    }
                }
            })
            .collect(),
        // Shuffled JSON tokens.
        1 => (0..rng.below(30))
            .map(|_| PIECES[rng.below(16) as usize])
            .collect::<String>()
            .into_bytes(),
        // A valid request cut short.
        2 => {
            let full = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"sql_exec","arguments":{"query":"SELECT 1"}}}"#;
            full[..rng.below(full.len() as u64) as usize].to_vec()
        }
        // Deep nesting.
        _ => {
            let depth = rng.below(5000) as usize;
            let mut v = "[".repeat(depth).into_bytes();
            v.extend("]".repeat(depth).bytes());
            v
        }
    }
}

#[test]
fn ten_thousand_garbage_lines_then_the_server_still_answers() {
    let mut s = server();
    let mut rng = XorShift(0x5eed_cafe_f00d_d00d);
    let mut batch = Vec::new();
    let mut expected = 0;
    for _ in 0..10_000 {
        let line = garbage_line(&mut rng);
        if !line.iter().all(u8::is_ascii_whitespace) {
            expected += 1;
        }
        batch.extend(line);
        batch.push(b'\n');
    }
    s.write(&batch);
    for _ in 0..expected {
        let answer = s.recv();
        let code = error_code(&answer);
        assert!([-32700, -32600].contains(&code), "{answer}");
    }
    let (pong, _) = s.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
    let (list, _) = s.request("tools/list", json!({"_meta": modern_meta()}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 5);
    assert!(s.close().success());
}

#[test]
fn with_the_database_down_tools_list_works_and_a_call_names_host_and_port_not_the_password() {
    let mut s = server();
    let (list, _) = s.request("tools/list", json!({"_meta": modern_meta()}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 5);
    for tool in ["sql_exec", "sql_health", "sql_schema"] {
        let arguments = if tool == "sql_exec" {
            json!({"query": "SELECT 1"})
        } else {
            json!({})
        };
        let result = s.call(tool, arguments);
        assert_eq!(result["isError"], true, "{result}");
        let text = result["content"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("127.0.0.1") && text.contains("port 1"),
            "{tool}: {text}"
        );
        assert!(
            !text.contains("s3cret"),
            "{tool} shows the password: {text}"
        );
    }
}

#[test]
fn stdin_closing_ends_the_server_cleanly() {
    let s = server();
    assert!(s.close().success());
}

#[test]
fn a_rate_limited_call_says_when_to_retry() {
    let mut s = Server::start(
        &[],
        &[
            ("DATABASE_URL", NOWHERE),
            (
                "MCP_RATE_LIMIT_TOOLS",
                r#"{"sql_health":{"maxRequests":1,"windowMs":600000}}"#,
            ),
        ],
        &std::env::temp_dir(),
    );
    let first = s.call("sql_health", json!({}));
    assert!(
        !first["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Rate limit")
    );
    let second = s.call("sql_health", json!({}));
    assert_eq!(second["isError"], true);
    let text = second["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("Rate limit") && text.contains("Retry in"),
        "{text}"
    );
    assert!(second["_meta"]["retryAfterMs"].as_u64().unwrap() > 0);
    // Other tools are not limited.
    let other = s.call("sql_schema", json!({}));
    assert!(
        !other["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Rate limit")
    );
}

#[test]
fn a_bad_rate_limit_setting_stops_the_server_with_a_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sequelae"))
        .arg("--mcp")
        .env("MCP_RATE_LIMIT_TOOLS", "not json")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing but protocol on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MCP_RATE_LIMIT_TOOLS"), "{stderr}");
}

#[test]
fn the_mcp_command_is_the_same_server() {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sequelae"));
    let out = cmd
        .args(["mcp"])
        .env("DATABASE_URL", NOWHERE)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let mut child = out;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text, "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{}}\n");
}

/// A legacy version in `_meta` is one this server speaks (through
/// `initialize`): never -32022, whose `supported` list names it. After
/// `initialize` the request is served; before it, the answer says to
/// begin with `initialize`.
#[test]
fn a_legacy_version_stamped_in_meta_is_not_called_unsupported() {
    let mut s = server();
    let stamped = json!({"_meta": {
        "io.modelcontextprotocol/protocolVersion": "2025-11-25",
        "io.modelcontextprotocol/clientCapabilities": {}}});
    let (before, _) = s.request("tools/list", stamped.clone());
    assert_eq!(error_code(&before), -32602, "{before}");
    assert!(
        before["error"]["message"]
            .as_str()
            .unwrap()
            .contains("initialize"),
        "{before}"
    );
    s.initialize("2025-11-25");
    let (after, _) = s.request("tools/list", stamped);
    assert_eq!(
        after["result"]["tools"].as_array().map(Vec::len),
        Some(5),
        "{after}"
    );
    assert!(after["result"].get("resultType").is_none(), "{after}");
}

/// `_meta.progressToken` must be a string or an integer: anything else
/// breaks the CallToolRequest schema, a protocol error (-32602).
#[rstest]
#[case::object(json!({"a": 1}))]
#[case::array(json!([1]))]
#[case::boolean(json!(true))]
#[case::null(Value::Null)]
#[case::fraction(json!(1.5))]
fn a_progress_token_of_the_wrong_type_is_invalid_params(#[case] token: Value) {
    let mut s = server();
    let mut meta = modern_meta();
    meta["progressToken"] = token.clone();
    let (answer, _) = s.request(
        "tools/call",
        json!({"name": "sql_health", "arguments": {}, "_meta": meta}),
    );
    assert_eq!(error_code(&answer), -32602, "{token}: {answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("progressToken"),
        "{answer}"
    );
}

/// JSON Schema 2020-12 counts 5.0 as an integer: an argument the input
/// schema accepts is not refused by the server's own check.
#[test]
fn an_integral_number_written_with_a_fraction_is_an_integer() {
    let mut s = server();
    let result = s.call(
        "sql_exec",
        json!({"query": "SELECT 1", "maxRows": 5.0, "timeout": 1000.0}),
    );
    let text = result["content"][0]["text"].as_str().unwrap();
    assert!(!text.contains("Invalid arguments"), "{text}");
    assert!(text.contains("port 1"), "got to connecting: {text}");
}

/// 2026-07-28 makes subscribe-and-notify a message pattern every
/// implementation supports: `subscriptions/listen` is acknowledged first
/// (with the subset of notifications honoured: none, the tools never
/// change), stays open without holding anything up, ends silently when
/// cancelled, and is closed with a result carrying its subscription id
/// when the server shuts down.
#[test]
fn subscriptions_listen_is_acknowledged_kept_open_and_closed_gracefully() {
    let mut s = server();
    let listen = |s: &mut Server, id: i64| {
        s.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "subscriptions/listen",
            "params": {"notifications": {"toolsListChanged": true, "promptsListChanged": true},
                       "_meta": modern_meta()}}),
        );
        let ack = s.recv();
        assert_eq!(
            ack["method"], "notifications/subscriptions/acknowledged",
            "{ack}"
        );
        assert!(ack.get("id").is_none(), "{ack}");
        assert_eq!(
            ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
            json!(id)
        );
        assert_eq!(ack["params"]["notifications"], json!({}), "{ack}");
    };
    listen(&mut s, 7);
    listen(&mut s, 8);
    // The open streams hold nothing up.
    let (list, notes) = s.request("tools/list", json!({"_meta": modern_meta()}));
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(5));
    assert!(notes.is_empty(), "{notes:?}");
    // A filter is required.
    let (bad, _) = s.request("subscriptions/listen", json!({"_meta": modern_meta()}));
    assert_eq!(error_code(&bad), -32602, "{bad}");
    // Cancelled: nothing more for 8, ever.
    s.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": {"requestId": 8}}),
    );
    let (status, rest) = s.close_and_drain();
    assert!(status.success());
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert_eq!(rest[0]["id"], json!(7), "{rest:?}");
    assert_eq!(rest[0]["result"]["resultType"], "complete");
    assert_eq!(
        rest[0]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        json!(7)
    );
}

/// The legacy era has no `subscriptions/listen`.
#[test]
fn subscriptions_listen_is_not_a_legacy_method() {
    let mut s = server();
    s.initialize("2025-11-25");
    let (answer, _) = s.request(
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true}}),
    );
    assert_eq!(error_code(&answer), -32601, "{answer}");
}

/// A notification with a number beyond f64 is valid JSON: never answered.
#[test]
fn a_notification_with_a_huge_number_is_not_answered() {
    let mut s = server();
    s.write(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1e400}}\n");
    let (pong, notes) = s.request("ping", json!({}));
    assert_eq!(pong["result"], json!({}));
    assert!(notes.is_empty(), "{notes:?}");
}

/// Per-request `_meta` fields and CallToolRequest fields of the wrong
/// shape break the request schema: -32602, naming the field.
#[rstest]
#[case::log_level("tools/list", json!({}), "io.modelcontextprotocol/logLevel", json!("loud"), "logLevel")]
#[case::client_info("tools/list", json!({}), "io.modelcontextprotocol/clientInfo", json!({"name": 1}), "clientInfo")]
#[case::request_state("tools/call", json!({"name": "sql_health", "requestState": 5}), "", Value::Null, "requestState")]
#[case::input_responses("tools/call", json!({"name": "sql_health", "inputResponses": []}), "", Value::Null, "inputResponses")]
fn request_fields_of_the_wrong_shape_are_invalid_params(
    #[case] method: &str,
    #[case] mut params: Value,
    #[case] meta_key: &str,
    #[case] meta_value: Value,
    #[case] named: &str,
) {
    let mut s = server();
    let mut meta = modern_meta();
    if !meta_key.is_empty() {
        meta[meta_key] = meta_value;
    }
    params["_meta"] = meta;
    let (answer, _) = s.request(method, params);
    assert_eq!(error_code(&answer), -32602, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains(named),
        "{answer}"
    );
}
