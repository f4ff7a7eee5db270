//! The server loop: stdin is read on the calling thread, every tool call
//! runs as a task on smol's executor (its database work on runtime-smol),
//! and every message out goes through one
//! locked stdout. Reading never waits for work, so `tools/list`, a short
//! query and `notifications/cancelled` are handled while a backup runs.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::config::{Config, ConfigError, ServerOptions};
use crate::database::{Pool, Work};
use crate::jsonrpc::{
    self, ErrorAnswer, INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, Id, Incoming,
    METHOD_NOT_FOUND,
};
use crate::log::{self, Level};
use crate::protocol::{self, Era, Shape};
use crate::spool::Spooled;
use crate::tools::{self, TOOLS, Tool};
use crate::transport::{Line, LineReader, MAX_LINE_BYTES, Output};
use crate::work::{self, Body, Outcome, Progress};

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The configuration cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Stdin could not be read.
    #[error("cannot read stdin: {0}")]
    Stdin(io::Error),
}

/// How long, after stdin closes, work in flight gets to stop (a backup
/// removes its temporary files) before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the server on stdin and stdout until stdin closes.
pub fn serve(options: ServerOptions) -> Result<(), ServeError> {
    log::init(std::env::var("LOG_LEVEL").ok().as_deref());
    let cwd =
        std::env::current_dir().map_err(|e| ConfigError::NoWorkingDirectory(e.to_string()))?;
    let config = Config::from_env(options, &|name| std::env::var(name).ok(), cwd)?;
    let server = Arc::new(Server::new(config, Output::new(Box::new(io::stdout()))));
    log::say(Level::Info, "serving MCP on stdio");
    let mut reader = LineReader::new(io::stdin().lock(), MAX_LINE_BYTES);
    let result = loop {
        match reader.next_line() {
            Ok(Some(line)) => server.handle_line(line),
            Ok(None) => break Ok(()),
            Err(e) => break Err(ServeError::Stdin(e)),
        }
    };
    server.shutdown();
    result
}

/// Everything the requests share.
struct Server {
    config: Config,
    pool: Pool,
    out: Output,
    /// Requests being worked on, by id: a cancelled one is removed, and
    /// nothing is sent for a request that is not here.
    inflight: Mutex<HashMap<Id, Arc<Work>>>,
    /// The version `initialize` agreed on (legacy era).
    legacy_version: Mutex<Option<&'static str>>,
    /// Open `subscriptions/listen` streams (2026-07-28), by request id:
    /// ended silently by a cancellation, or with a closing result when the
    /// server shuts down.
    subscriptions: Mutex<HashSet<Id>>,
    /// Backup outputs being written: a second backup to one is refused.
    backup_targets: Mutex<HashSet<PathBuf>>,
    /// Tool tasks running, for the shutdown to wait on.
    workers: Mutex<usize>,
    workers_done: Condvar,
}

impl Server {
    fn new(config: Config, out: Output) -> Server {
        Server {
            pool: Pool::new(config.database_url.clone(), config.max_connections),
            config,
            out,
            inflight: Mutex::new(HashMap::new()),
            legacy_version: Mutex::new(None),
            subscriptions: Mutex::new(HashSet::new()),
            backup_targets: Mutex::new(HashSet::new()),
            workers: Mutex::new(0),
            workers_done: Condvar::new(),
        }
    }

    fn send(&self, message: &Value) {
        if let Err(e) = self.out.send(message) {
            log::say(Level::Warn, &format!("cannot write to stdout: {e}"));
        }
    }

    fn send_error(&self, answer: &ErrorAnswer) {
        self.send(&answer.to_value());
    }

    fn handle_line(self: &Arc<Self>, line: Line) {
        let text = match line {
            Line::TooLong => {
                return self.send_error(&ErrorAnswer::new(
                    None,
                    INVALID_REQUEST,
                    format!(
                        "Invalid Request: the message is longer than {MAX_LINE_BYTES} bytes and was skipped"
                    ),
                ));
            }
            Line::Text(text) => text,
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match jsonrpc::classify(&text) {
            Incoming::Invalid(answer) => self.send_error(&answer),
            Incoming::Dropped(why) => log::say(Level::Info, &format!("ignored {why}")),
            Incoming::Response => log::say(
                Level::Debug,
                "ignored a response: this server sends no requests",
            ),
            Incoming::Notification { method, params } => self.notification(&method, &params),
            Incoming::Request { id, method, params } => self.request(id, &method, params),
        }
    }

    fn notification(&self, method: &str, params: &Map<String, Value>) {
        match method {
            "notifications/cancelled" => {
                let Some(id) = params.get("requestId").and_then(Id::from_value) else {
                    log::say(
                        Level::Info,
                        "ignored notifications/cancelled without a valid requestId",
                    );
                    return;
                };
                let work = self.lock_inflight().remove(&id);
                match work {
                    Some(work) => {
                        let reason = params
                            .get("reason")
                            .and_then(Value::as_str)
                            .unwrap_or("no reason given");
                        log::say(
                            Level::Info,
                            &format!("request {} cancelled: {reason}", id.to_value()),
                        );
                        work.cancel();
                    }
                    None if self.lock_subscriptions().remove(&id) => log::say(
                        Level::Debug,
                        &format!("subscription {} ended by the client", id.to_value()),
                    ),
                    None => log::say(
                        Level::Debug,
                        "ignored a cancellation of a request not in flight",
                    ),
                }
            }
            "notifications/initialized" => log::say(Level::Debug, "client initialized"),
            other => log::say(Level::Debug, &format!("ignored notification {other}")),
        }
    }

    fn lock_inflight(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Arc<Work>>> {
        self.inflight.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What a request of `era` may be answered with (a legacy session:
    /// what its negotiated version defines).
    fn shape(&self, era: Era) -> Shape {
        let legacy = *self
            .legacy_version
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Shape::of(era, legacy)
    }

    fn lock_subscriptions(&self) -> std::sync::MutexGuard<'_, HashSet<Id>> {
        self.subscriptions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn request(self: &Arc<Self>, id: Id, method: &str, params: Map<String, Value>) {
        const KNOWN: [&str; 6] = [
            "initialize",
            "server/discover",
            "ping",
            "tools/list",
            "tools/call",
            "subscriptions/listen",
        ];
        if !KNOWN.contains(&method) {
            return self.send_error(&ErrorAnswer::new(
                Some(id),
                METHOD_NOT_FOUND,
                format!("Method not found: {method}"),
            ));
        }
        if method == "initialize" {
            return self.initialize(&id, &params);
        }
        let era = match protocol::modern_meta(&id, &params) {
            Err(answer) => return self.send_error(&answer),
            Ok(Some(())) => Era::Modern,
            Ok(None) => Era::Legacy,
        };
        let legacy_ready = self
            .legacy_version
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        match (method, era) {
            ("ping", Era::Modern) => {
                return self.send_error(&ErrorAnswer::new(
                    Some(id),
                    METHOD_NOT_FOUND,
                    "Method not found: ping is not part of protocol version 2026-07-28",
                ));
            }
            // A legacy client may ping before initializing.
            ("ping", Era::Legacy) => return self.send(&jsonrpc::result(&id, json!({}))),
            (_, Era::Legacy) if !legacy_ready => {
                return self.send_error(&ErrorAnswer::new(
                    Some(id),
                    INVALID_PARAMS,
                    format!(
                        "Invalid params: a request must carry _meta \"{}\" and \"{}\" \
                         (protocol version 2026-07-28), or the session must begin with initialize",
                        protocol::PROTOCOL_VERSION_KEY,
                        protocol::CLIENT_CAPABILITIES_KEY
                    ),
                ));
            }
            ("subscriptions/listen", Era::Legacy) => {
                return self.send_error(&ErrorAnswer::new(
                    Some(id),
                    METHOD_NOT_FOUND,
                    "Method not found: subscriptions/listen is a 2026-07-28 request and must \
                     carry _meta",
                ));
            }
            _ => {}
        }
        match method {
            "server/discover" => {
                if era == Era::Legacy {
                    return self.send_error(&ErrorAnswer::new(
                        Some(id),
                        INVALID_PARAMS,
                        "Invalid params: server/discover is a 2026-07-28 request and must carry _meta",
                    ));
                }
                let result = json!({
                    "supportedVersions": protocol::all_versions(),
                    "capabilities": protocol::capabilities(),
                    "instructions": protocol::INSTRUCTIONS,
                    "ttlMs": protocol::LIST_TTL_MS,
                    "cacheScope": "public",
                });
                self.send(&jsonrpc::result(&id, protocol::complete(result, era)));
            }
            "tools/list" => self.tools_list(&id, &params, era),
            "subscriptions/listen" => self.listen(id, &params),
            _ => self.tools_call(id, params, era),
        }
    }

    /// `subscriptions/listen`: acknowledged at once with the notifications
    /// honoured, none (the tools never change, and there are no prompts or
    /// resources), then kept open until cancelled or the server stops.
    fn listen(&self, id: Id, params: &Map<String, Value>) {
        if !params.get("notifications").is_some_and(Value::is_object) {
            return self.send_error(&ErrorAnswer::new(
                Some(id),
                INVALID_PARAMS,
                "Invalid params: subscriptions/listen needs \"notifications\" (an object: \
                 the filter of notifications wanted)",
            ));
        }
        let taken = self.lock_inflight().contains_key(&id);
        if taken || !self.lock_subscriptions().insert(id.clone()) {
            return self.send_error(&ErrorAnswer::new(
                Some(id),
                INVALID_REQUEST,
                "Invalid Request: a request with this id is still in flight; use a new id",
            ));
        }
        self.send(&json!({
            "jsonrpc": "2.0",
            "method": "notifications/subscriptions/acknowledged",
            "params": {
                "_meta": {protocol::SUBSCRIPTION_ID_KEY: id.to_value()},
                "notifications": {},
            },
        }));
    }

    fn initialize(&self, id: &Id, params: &Map<String, Value>) {
        let version = match params.get("protocolVersion") {
            Some(Value::String(v)) => v.as_str(),
            _ => {
                return self.send_error(&ErrorAnswer::new(
                    Some(id.clone()),
                    INVALID_PARAMS,
                    "Invalid params: initialize needs \"protocolVersion\" (a string)",
                ));
            }
        };
        for (key, what) in [("capabilities", "an object"), ("clientInfo", "an object")] {
            if !params.get(key).is_some_and(Value::is_object) {
                return self.send_error(&ErrorAnswer::new(
                    Some(id.clone()),
                    INVALID_PARAMS,
                    format!("Invalid params: initialize needs \"{key}\" ({what})"),
                ));
            }
        }
        let agreed = protocol::negotiate(version);
        *self
            .legacy_version
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(agreed);
        log::say(
            Level::Info,
            &format!("initialized with protocol version {agreed}"),
        );
        self.send(&jsonrpc::result(
            id,
            json!({
                "protocolVersion": agreed,
                "capabilities": protocol::capabilities(),
                "serverInfo": protocol::server_info_for(Shape::of(Era::Legacy, Some(agreed))),
                "instructions": protocol::INSTRUCTIONS,
            }),
        ));
    }

    fn tools_list(&self, id: &Id, params: &Map<String, Value>, era: Era) {
        match params.get("cursor") {
            None | Some(Value::Null) => {}
            Some(_) => {
                return self.send_error(&ErrorAnswer::new(
                    Some(id.clone()),
                    INVALID_PARAMS,
                    "Invalid params: unknown cursor (the tool list has one page)",
                ));
            }
        }
        let tools: Vec<Value> = TOOLS
            .iter()
            .map(|t| t.definition(self.config.read_only, self.shape(era)))
            .collect();
        let mut result = json!({"tools": tools});
        if era == Era::Modern {
            result["ttlMs"] = json!(protocol::LIST_TTL_MS);
            result["cacheScope"] = json!("public");
        }
        self.send(&jsonrpc::result(id, protocol::complete(result, era)));
    }

    fn tools_call(self: &Arc<Self>, id: Id, params: Map<String, Value>, era: Era) {
        let invalid = |message: String| {
            ErrorAnswer::new(
                Some(id.clone()),
                INVALID_PARAMS,
                format!("Invalid params: {message}"),
            )
        };
        let name = match params.get("name") {
            Some(Value::String(name)) => name.clone(),
            _ => return self.send_error(&invalid("tools/call needs \"name\" (a string)".into())),
        };
        let mut arguments = match params.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(arguments)) => arguments.clone(),
            Some(_) => return self.send_error(&invalid("\"arguments\" must be an object".into())),
        };
        // Multi round-trip fields: never asked for by this server, but
        // when sent they must have their schema's shape.
        if params.get("requestState").is_some_and(|v| !v.is_string()) {
            return self.send_error(&invalid("\"requestState\" must be a string".into()));
        }
        if params.get("inputResponses").is_some_and(|v| !v.is_object()) {
            return self.send_error(&invalid("\"inputResponses\" must be an object".into()));
        }
        let Some(tool) = tools::find(&name) else {
            let names: Vec<&str> = TOOLS.iter().map(|t| t.name).collect();
            return self.send_error(&invalid(format!(
                "unknown tool \"{name}\"; the tools are {}",
                names.join(", ")
            )));
        };
        // A token is a string or an integer; anything else breaks the
        // CallToolRequest schema, which is a protocol error.
        let progress_token = params.get("_meta").and_then(|m| m.get("progressToken"));
        if progress_token.is_some_and(|t| !(t.is_string() || t.is_i64() || t.is_u64())) {
            return self.send_error(&invalid(
                "_meta \"progressToken\" must be a string or an integer".into(),
            ));
        }
        let progress_token = progress_token.cloned();
        if let Err(refusal) = self.config.rate_limits.admit(&name, Instant::now()) {
            let document = json!({"success": false, "error": refusal.message()});
            let mut result = tool_result(&document, true, Shape::FULL);
            result["_meta"] = json!({"retryAfterMs": refusal.retry_after.as_millis() as u64});
            return self.send(&jsonrpc::result(&id, protocol::complete(result, era)));
        }
        if let Err(message) = tool.check(&mut arguments) {
            let document = json!({"success": false, "error": format!("Invalid arguments for {name}: {message}")});
            return self.send(&jsonrpc::result(
                &id,
                protocol::complete(tool_result(&document, true, Shape::FULL), era),
            ));
        }
        let work = Arc::new(Work::default());
        {
            let mut inflight = self.lock_inflight();
            if inflight.contains_key(&id) {
                drop(inflight);
                return self.send_error(&ErrorAnswer::new(
                    Some(id),
                    INVALID_REQUEST,
                    "Invalid Request: a request with this id is still in flight; use a new id",
                ));
            }
            inflight.insert(id.clone(), Arc::clone(&work));
        }
        *self.workers.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        let server = Arc::clone(self);
        let call = Call {
            id: id.clone(),
            era,
            shape: self.shape(era),
            tool,
            arguments,
            progress_token,
            work,
        };
        smol::spawn(async move {
            server.run(call).await;
            server.worker_done();
        })
        .detach();
    }

    fn worker_done(&self) {
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        *workers -= 1;
        self.workers_done.notify_all();
    }

    /// Runs one tool call and answers it, unless it was cancelled.
    async fn run(&self, call: Call) {
        let Call {
            id,
            era,
            shape,
            tool,
            arguments,
            progress_token,
            work,
        } = call;
        let config = &self.config;
        let outcome = guarded(async {
            match tool.name {
                "sql_exec" => work::sql_exec(config, &self.pool, &work, &arguments).await,
                "sql_file" => work::sql_file(config, &self.pool, &work, &arguments).await,
                "sql_schema" => work::sql_schema(&self.pool, &work, &arguments).await,
                "sql_health" => work::sql_health(&self.pool, &work, &arguments).await,
                _ => {
                    self.backup(&id, &work, &arguments, progress_token.as_ref(), shape)
                        .await
                }
            }
        })
        .await;
        let mut inflight = self.lock_inflight();
        let Ok(Outcome { body, failed }) = outcome else {
            if inflight.get(&id).is_some_and(|w| Arc::ptr_eq(w, &work)) {
                inflight.remove(&id);
                self.send_error(&ErrorAnswer::new(
                    Some(id),
                    INTERNAL_ERROR,
                    format!(
                        "Internal error: {} failed unexpectedly; the server goes on",
                        tool.name
                    ),
                ));
            }
            return;
        };
        match inflight.get(&id) {
            Some(current) if Arc::ptr_eq(current, &work) => {
                inflight.remove(&id);
                // Sent under the lock: a cancellation cannot slip between
                // the check and the answer.
                match body {
                    Body::Document(document) => self.send(&jsonrpc::result(
                        &id,
                        protocol::complete(tool_result(&document, failed, shape), era),
                    )),
                    Body::Spooled(mut spooled) => {
                        let sent = self.out.send_with(|out| {
                            write_spooled(out, &id, era, &mut spooled, failed, shape)
                        });
                        if let Err(e) = sent {
                            log::say(Level::Warn, &format!("cannot write to stdout: {e}"));
                        }
                    }
                }
            }
            _ => log::say(
                Level::Debug,
                &format!("request {} was cancelled: no answer sent", id.to_value()),
            ),
        }
    }

    async fn backup(
        &self,
        id: &Id,
        work: &Arc<Work>,
        arguments: &Map<String, Value>,
        progress_token: Option<&Value>,
        shape: Shape,
    ) -> Outcome {
        let given = arguments.get("outputPath").and_then(Value::as_str);
        let backup_dir = self.config.backup_dir.clone();
        let given_owned = given.map(str::to_string);
        let resolved = smol::unblock(move || {
            crate::sandbox::backup_output(&backup_dir, given_owned.as_deref())
        })
        .await;
        let (folder, target) = match resolved {
            Ok(resolved) => resolved,
            Err(refused) => return Outcome::failure(refused.to_string()),
        };
        // One backup per output at a time: the second is refused, never
        // interleaved with the first.
        let claimed = match &target {
            Some(path) => {
                let mut targets = self
                    .backup_targets
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if !targets.insert(path.clone()) {
                    return Outcome::failure(format!(
                        "a backup to {} is already running; wait for it to finish or choose \
                         another outputPath",
                        path.display()
                    ));
                }
                Some(path.clone())
            }
            None => None,
        };
        let options = work::backup_options(arguments, target);
        let mut progress = |p: Progress| {
            let Some(token) = progress_token else {
                return;
            };
            let mut params = json!({
                "progressToken": token,
                "progress": p.progress,
            });
            // The message came with 2025-03-26.
            if shape.annotations {
                params["message"] = json!(p.message);
            }
            if let Some(total) = p.total {
                params["total"] = json!(total);
            }
            let inflight = self.lock_inflight();
            // Never a message for a request that was cancelled.
            if inflight.get(id).is_some_and(|w| Arc::ptr_eq(w, work)) {
                self.send(&json!({
                    "jsonrpc": "2.0",
                    "method": "notifications/progress",
                    "params": params,
                }));
            }
        };
        let outcome = work::sql_backup(&self.config, &folder, options, work, &mut progress).await;
        if let Some(path) = claimed {
            self.backup_targets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&path);
        }
        outcome
    }

    /// Stdin closed: open subscriptions get their closing result, every
    /// request in flight is cancelled (no answers),
    /// and the work gets a grace period to stop and clean up.
    fn shutdown(&self) {
        let subscriptions: Vec<Id> = self.lock_subscriptions().drain().collect();
        for id in subscriptions {
            let closing = json!({"_meta": {protocol::SUBSCRIPTION_ID_KEY: id.to_value()}});
            self.send(&jsonrpc::result(
                &id,
                protocol::complete(closing, Era::Modern),
            ));
        }
        let works: Vec<Arc<Work>> = self.lock_inflight().drain().map(|(_, w)| w).collect();
        for work in &works {
            work.cancel();
        }
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        while *workers > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                log::say(Level::Warn, "work still running at exit was abandoned");
                break;
            }
            workers = self
                .workers_done
                .wait_timeout(workers, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        drop(workers);
        smol::block_on(self.pool.close_idle());
    }
}

/// Runs a tool's work; a panic (a bug) becomes an error answer instead
/// of a request that is never answered.
async fn guarded(work: impl std::future::Future<Output = Outcome>) -> Result<Outcome, ()> {
    use smol::future::FutureExt;
    std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|_| {
            log::say(
                Level::Error,
                "a tool panicked; answering with an internal error",
            );
        })
}

/// One tool call on its way to its task.
struct Call {
    id: Id,
    era: Era,
    shape: Shape,
    tool: &'static Tool,
    arguments: Map<String, Value>,
    progress_token: Option<Value>,
    work: Arc<Work>,
}

/// A `CallToolResult` for a document built here: the document as
/// structured content and as text; a failure is `isError` with the
/// document as text only (it does not follow the output schema, which
/// describes success), and so is any result for a session whose version
/// predates structured content.
fn tool_result(document: &Value, failed: bool, shape: Shape) -> Value {
    let text = document.to_string();
    if failed || !shape.structured {
        json!({"content": [{"type": "text", "text": text}], "isError": failed})
    } else {
        json!({
            "content": [{"type": "text", "text": text}],
            "structuredContent": document,
            "isError": failed,
        })
    }
}

/// The same `CallToolResult` for a spooled document, written straight
/// from the spool into the response line.
fn write_spooled(
    out: &mut dyn io::Write,
    id: &Id,
    era: Era,
    spooled: &mut Spooled,
    failed: bool,
    shape: Shape,
) -> io::Result<()> {
    write!(
        out,
        "{{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":{{",
        id.to_value()
    )?;
    if era == Era::Modern {
        write!(
            out,
            "\"_meta\":{},\"resultType\":\"complete\",",
            json!({protocol::SERVER_INFO_KEY: protocol::server_info()})
        )?;
    }
    out.write_all(b"\"content\":[{\"type\":\"text\",\"text\":\"")?;
    spooled.write_text(out)?;
    out.write_all(b"\"}],")?;
    if !failed && shape.structured {
        out.write_all(b"\"structuredContent\":")?;
        spooled.write_json(out)?;
        out.write_all(b",")?;
    }
    write!(out, "\"isError\":{failed}}}}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_tool_becomes_an_internal_error_not_a_lost_request() {
        assert!(smol::block_on(guarded(async { panic!("a bug") })).is_err());
        assert!(smol::block_on(guarded(async { Outcome::failure("fine") })).is_ok());
    }
}
