//! JSON-RPC 2.0 as MCP uses it: what a line of input is, and the error
//! answers.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

/// Invalid JSON.
pub(crate) const PARSE_ERROR: i64 = -32700;
/// Valid JSON that is not a request or notification.
pub(crate) const INVALID_REQUEST: i64 = -32600;
/// No such method.
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
/// The method's parameters are wrong.
pub(crate) const INVALID_PARAMS: i64 = -32602;
/// The server failed.
pub(crate) const INTERNAL_ERROR: i64 = -32603;
/// The request's protocol version is not one the server speaks.
pub(crate) const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// A request id: a string or an integer, echoed as it came.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Id {
    Text(String),
    Signed(i64),
    Unsigned(u64),
}

impl Id {
    /// The id of a request, if `value` is a valid one. MCP forbids null;
    /// JSON-RPC's fractional numbers are refused too (MCP ids are strings
    /// or integers).
    pub(crate) fn from_value(value: &Value) -> Option<Id> {
        match value {
            Value::String(s) => Some(Id::Text(s.clone())),
            Value::Number(n) => n
                .as_i64()
                .map(Id::Signed)
                .or_else(|| n.as_u64().map(Id::Unsigned)),
            _ => None,
        }
    }

    pub(crate) fn to_value(&self) -> Value {
        match self {
            Id::Text(s) => Value::String(s.clone()),
            Id::Signed(n) => Value::from(*n),
            Id::Unsigned(n) => Value::from(*n),
        }
    }
}

/// What a line of input holds.
#[derive(Debug, PartialEq)]
pub(crate) enum Incoming {
    /// A request: to be answered exactly once (unless cancelled).
    Request {
        id: Id,
        method: String,
        params: Map<String, Value>,
    },
    /// A notification: never answered.
    Notification {
        method: String,
        params: Map<String, Value>,
    },
    /// A response from the client. The server sends no requests, so there
    /// is nothing to match it with: it is dropped.
    Response,
    /// Not a message we can act on: answer with this error (id null when
    /// the id could not be read).
    Invalid(ErrorAnswer),
    /// A notification that cannot be read: not answered (notifications
    /// never are), only logged with this reason.
    Dropped(&'static str),
}

/// An error to answer with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorAnswer {
    pub(crate) id: Option<Id>,
    pub(crate) code: i64,
    pub(crate) message: String,
    pub(crate) data: Option<Value>,
}

impl ErrorAnswer {
    pub(crate) fn new(id: Option<Id>, code: i64, message: impl Into<String>) -> ErrorAnswer {
        ErrorAnswer {
            id,
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The response object.
    pub(crate) fn to_value(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({
            "jsonrpc": "2.0",
            "id": self.id.as_ref().map_or(Value::Null, Id::to_value),
            "error": error,
        })
    }
}

/// A successful response.
pub(crate) fn result(id: &Id, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id.to_value(), "result": result})
}

/// Reads one line.
pub(crate) fn classify(line: &[u8]) -> Incoming {
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => return unparsed(line, &e),
    };
    let Value::Object(mut message) = value else {
        let what = if value.is_array() {
            "a batch (array); MCP takes one message per line, batches are not supported"
        } else {
            "not a JSON object"
        };
        return Incoming::Invalid(ErrorAnswer::new(
            None,
            INVALID_REQUEST,
            format!("Invalid Request: the message is {what}"),
        ));
    };
    let id_value = message.remove("id");
    let id = id_value.as_ref().and_then(Id::from_value);
    let invalid = |id: Option<Id>, why: &str| {
        Incoming::Invalid(ErrorAnswer::new(
            id,
            INVALID_REQUEST,
            format!("Invalid Request: {why}"),
        ))
    };
    if message.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return invalid(id, "\"jsonrpc\" must be \"2.0\"");
    }
    let method = match message.remove("method") {
        Some(Value::String(method)) => method,
        Some(_) => return invalid(id, "\"method\" must be a string"),
        None if id_value.is_some()
            && (message.contains_key("result") || message.contains_key("error")) =>
        {
            return Incoming::Response;
        }
        None => return invalid(id, "no \"method\""),
    };
    let params = match message.remove("params") {
        None => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => {
            return Incoming::Invalid(ErrorAnswer::new(
                id,
                if id_value.is_some() {
                    INVALID_PARAMS
                } else {
                    INVALID_REQUEST
                },
                "Invalid params: \"params\" must be an object",
            ));
        }
    };
    match (id_value, id) {
        (None, _) => Incoming::Notification { method, params },
        (Some(_), Some(id)) => Incoming::Request { id, method, params },
        (Some(_), None) => invalid(None, "\"id\" must be a string or an integer (not null)"),
    }
}

/// A line `serde_json` could not turn into a value. Most are not JSON
/// (-32700); but JSON sets no range on numbers, so a line holding one
/// beyond f64 (`1e400`) is valid JSON: it is answered as what it is, with
/// its id when that can be read.
fn unparsed(line: &[u8], error: &serde_json::Error) -> Incoming {
    use serde_json::value::RawValue;
    let parse_error = || {
        Incoming::Invalid(ErrorAnswer::new(
            None,
            PARSE_ERROR,
            format!("Parse error: the line is not JSON ({error})"),
        ))
    };
    // Syntax alone: raw values skip over numbers without converting them.
    if serde_json::from_slice::<Box<RawValue>>(line).is_err() {
        return parse_error();
    }
    let Ok(fields) = serde_json::from_slice::<HashMap<String, Box<RawValue>>>(line) else {
        // Valid JSON, not an object (an array of such numbers): as for
        // any value that is not an object.
        return Incoming::Invalid(ErrorAnswer::new(
            None,
            INVALID_REQUEST,
            "Invalid Request: the message is not a JSON object",
        ));
    };
    if !fields.contains_key("method")
        && (fields.contains_key("result") || fields.contains_key("error"))
    {
        return Incoming::Response;
    }
    let Some(raw_id) = fields.get("id") else {
        return Incoming::Dropped("a notification with a number out of range");
    };
    let id = serde_json::from_str::<Value>(raw_id.get())
        .ok()
        .as_ref()
        .and_then(Id::from_value);
    match id {
        None => Incoming::Invalid(ErrorAnswer::new(
            None,
            INVALID_REQUEST,
            "Invalid Request: \"id\" must be a string or an integer (not null)",
        )),
        Some(id) => Incoming::Invalid(ErrorAnswer::new(
            Some(id),
            INVALID_PARAMS,
            "Invalid params: a number in the message is out of range (beyond ±1.7e308); \
             send a smaller one",
        )),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case::not_json(b"{", PARSE_ERROR)]
    #[case::batch(br#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, INVALID_REQUEST)]
    #[case::number(b"42", INVALID_REQUEST)]
    #[case::no_version(br#"{"id":1,"method":"ping"}"#, INVALID_REQUEST)]
    #[case::old_version(br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, INVALID_REQUEST)]
    #[case::method_number(br#"{"jsonrpc":"2.0","id":1,"method":7}"#, INVALID_REQUEST)]
    #[case::null_id(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, INVALID_REQUEST)]
    #[case::float_id(br#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, INVALID_REQUEST)]
    #[case::array_params(
        br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[]}"#,
        INVALID_PARAMS
    )]
    fn invalid_lines_get_their_code(#[case] line: &[u8], #[case] code: i64) {
        match classify(line) {
            Incoming::Invalid(answer) => assert_eq!(answer.code, code, "{answer:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[rstest]
    #[case::zero(br#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#, Id::Signed(0))]
    #[case::negative(br#"{"jsonrpc":"2.0","id":-3,"method":"ping"}"#, Id::Signed(-3))]
    #[case::huge(
        br#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"ping"}"#,
        Id::Unsigned(u64::MAX)
    )]
    #[case::empty_string(
        br#"{"jsonrpc":"2.0","id":"","method":"ping"}"#,
        Id::Text(String::new())
    )]
    fn ids_of_every_kind_are_requests(#[case] line: &[u8], #[case] id: Id) {
        match classify(line) {
            Incoming::Request { id: got, .. } => assert_eq!(got, id),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_beyond_f64_are_json_not_parse_errors() {
        match classify(br#"{"jsonrpc":"2.0","id":"a","method":"x","params":{"n":1e400}}"#) {
            Incoming::Invalid(answer) => {
                assert_eq!(
                    (answer.code, answer.id),
                    (INVALID_PARAMS, Some(Id::Text("a".into())))
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","method":"x","params":{"n":-1e400}}"#),
            Incoming::Dropped(_)
        ));
        assert_eq!(
            classify(br#"{"jsonrpc":"2.0","id":1,"result":{"n":1e400}}"#),
            Incoming::Response
        );
        match classify(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"n":1e400"#) {
            Incoming::Invalid(answer) => assert_eq!(answer.code, PARSE_ERROR),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_message_without_id_is_a_notification_and_a_result_is_a_response() {
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Incoming::Notification { .. }
        ));
        assert_eq!(
            classify(br#"{"jsonrpc":"2.0","id":4,"result":{}}"#),
            Incoming::Response
        );
    }
}
