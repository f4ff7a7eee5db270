//! Rate limiting of tool calls, with the original server's variables:
//! MCP_RATE_LIMIT_MAX_REQUESTS calls per MCP_RATE_LIMIT_WINDOW_MS for
//! every tool together, and MCP_RATE_LIMIT_TOOLS for limits per tool.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// At most `max_requests` calls in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub(crate) max_requests: usize,
    pub(crate) window: Duration,
}

/// The limits and the calls that count against them.
#[derive(Debug)]
pub(crate) struct RateLimits {
    global: Option<Limit>,
    per_tool: Vec<(String, Limit)>,
    calls: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Clone for RateLimits {
    fn clone(&self) -> Self {
        RateLimits::new(self.global, self.per_tool.clone())
    }
}

/// A refused call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) limit: Limit,
    /// Which limit: a tool's name, or `None` for all tools together.
    pub(crate) tool: Option<String>,
    pub(crate) retry_after: Duration,
}

impl Refusal {
    pub(crate) fn message(&self) -> String {
        let scope = match &self.tool {
            Some(tool) => format!("for {tool}"),
            None => "for all tools together".to_string(),
        };
        format!(
            "Rate limit reached {scope}: at most {} calls every {} ms. Retry in {} ms.",
            self.limit.max_requests,
            self.limit.window.as_millis(),
            self.retry_after.as_millis().max(1)
        )
    }
}

impl RateLimits {
    pub(crate) fn new(global: Option<Limit>, per_tool: Vec<(String, Limit)>) -> RateLimits {
        RateLimits {
            global,
            per_tool,
            calls: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a call of `tool` at `now`, or refuses it (a refused call
    /// does not count).
    pub(crate) fn admit(&self, tool: &str, now: Instant) -> Result<(), Refusal> {
        let mut calls = self
            .calls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut checks: Vec<(String, Limit, Option<String>)> = Vec::new();
        if let Some(limit) = self.global {
            checks.push((String::new(), limit, None));
        }
        if let Some((_, limit)) = self.per_tool.iter().find(|(name, _)| name == tool) {
            checks.push((format!("tool:{tool}"), *limit, Some(tool.to_string())));
        }
        for (key, limit, name) in &checks {
            let log = calls.entry(key.clone()).or_default();
            while log
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= limit.window)
            {
                log.pop_front();
            }
            if log.len() >= limit.max_requests {
                let oldest = log.front().copied().unwrap_or(now);
                return Err(Refusal {
                    limit: *limit,
                    tool: name.clone(),
                    retry_after: (oldest + limit.window).saturating_duration_since(now),
                });
            }
        }
        for (key, _, _) in checks {
            calls.entry(key).or_default().push_back(now);
        }
        Ok(())
    }
}

/// MCP_RATE_LIMIT_TOOLS: `{"sql_exec": {"maxRequests": 10, "windowMs":
/// 60000}, "sql_backup": 2}` (a bare number is the count, with the common
/// window).
pub(crate) fn parse_tool_limits(
    text: &str,
    window: Duration,
) -> Result<Vec<(String, Limit)>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(tools) = value else {
        return Err("not a JSON object".into());
    };
    let count = |v: &Value, what: &str| -> Result<u64, String> {
        v.as_u64()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{what} must be a whole number, 1 or more"))
    };
    let mut limits = Vec::new();
    for (tool, spec) in tools {
        let limit = match &spec {
            Value::Number(_) => Limit {
                max_requests: count(&spec, &tool)? as usize,
                window,
            },
            Value::Object(fields) => {
                let max = fields
                    .get("maxRequests")
                    .ok_or_else(|| format!("{tool} has no maxRequests"))?;
                Limit {
                    max_requests: count(max, &format!("{tool}.maxRequests"))? as usize,
                    window: match fields.get("windowMs") {
                        None => window,
                        Some(w) => Duration::from_millis(count(w, &format!("{tool}.windowMs"))?),
                    },
                }
            }
            _ => return Err(format!("{tool} must be a number or an object")),
        };
        limits.push((tool, limit));
    }
    Ok(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tool_limit_refuses_past_its_count_and_says_when_to_retry() {
        let window = Duration::from_millis(1000);
        let limits = RateLimits::new(
            None,
            parse_tool_limits(r#"{"sql_exec":{"maxRequests":2,"windowMs":1000}}"#, window)
                .expect("parses"),
        );
        let t0 = Instant::now();
        assert!(limits.admit("sql_exec", t0).is_ok());
        assert!(
            limits
                .admit("sql_exec", t0 + Duration::from_millis(100))
                .is_ok()
        );
        let refusal = limits
            .admit("sql_exec", t0 + Duration::from_millis(400))
            .expect_err("third call refused");
        assert_eq!(refusal.retry_after, Duration::from_millis(600));
        assert!(
            refusal.message().contains("Retry in 600 ms"),
            "{}",
            refusal.message()
        );
        assert!(
            limits.admit("sql_schema", t0).is_ok(),
            "other tools are free"
        );
        assert!(
            limits
                .admit("sql_exec", t0 + Duration::from_millis(1000))
                .is_ok()
        );
    }

    #[test]
    fn the_global_limit_counts_every_tool() {
        let limits = RateLimits::new(
            Some(Limit {
                max_requests: 1,
                window: Duration::from_secs(1),
            }),
            Vec::new(),
        );
        let t0 = Instant::now();
        assert!(limits.admit("sql_exec", t0).is_ok());
        assert!(limits.admit("sql_health", t0).is_err());
    }

    #[test]
    fn bad_tool_limits_are_refused_with_a_reason() {
        let w = Duration::from_secs(1);
        assert!(parse_tool_limits("[1]", w).is_err());
        assert!(parse_tool_limits(r#"{"sql_exec":0}"#, w).is_err());
        assert!(parse_tool_limits(r#"{"sql_exec":{"windowMs":5}}"#, w).is_err());
        assert_eq!(
            parse_tool_limits(r#"{"sql_backup":3}"#, w).expect("parses"),
            vec![(
                "sql_backup".to_string(),
                Limit {
                    max_requests: 3,
                    window: w
                }
            )]
        );
    }
}
