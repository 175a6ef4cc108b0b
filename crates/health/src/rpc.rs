//! JSON-RPC 2.0 framing for the `healthcheck` method.

use serde_json::{json, Value};

/// The one method the health endpoint answers.
pub const HEALTHCHECK_METHOD: &str = "healthcheck";

/// JSON-RPC error codes the health endpoint answers with.
pub mod codes {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// JSON, but not a JSON-RPC 2.0 request object (batches included).
    pub const INVALID_REQUEST: i64 = -32600;
    /// A method other than `healthcheck`.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// `params` is not `[blockNumber]` with a non-negative integer.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The chain source failed or did not answer in time, or signing failed.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The block is outside `[head − 256, head + 1]`.
    pub const BLOCK_OUT_OF_RANGE: i64 = -32000;
    /// The block is in range but was not seen within the wait bound.
    pub const BLOCK_UNAVAILABLE: i64 = -32001;
}

/// A JSON-RPC error object plus the id to answer with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RpcError {
    pub(crate) code: i64,
    pub(crate) message: String,
}

impl RpcError {
    pub(crate) fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// A parsed call: its id (`None` for a notification) and block number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) id: Option<Value>,
    pub(crate) block: u64,
}

/// Parses a request body. On failure returns the id to answer with (null
/// when it could not be read) and the error.
pub(crate) fn parse_call(body: &[u8]) -> Result<Call, (Value, RpcError)> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        (
            Value::Null,
            RpcError::new(codes::PARSE_ERROR, "parse error"),
        )
    })?;
    let Value::Object(mut object) = value else {
        let message = if value.is_array() {
            "batch requests are not supported"
        } else {
            "request must be a JSON object"
        };
        return Err((Value::Null, RpcError::new(codes::INVALID_REQUEST, message)));
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::Null | Value::Number(_) | Value::String(_))) => Some(id),
        Some(_) => {
            return Err((
                Value::Null,
                RpcError::new(
                    codes::INVALID_REQUEST,
                    "id must be a string, a number or null",
                ),
            ))
        }
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    let invalid = |message: &str| {
        (
            answer_id.clone(),
            RpcError::new(codes::INVALID_REQUEST, message),
        )
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid("jsonrpc must be \"2.0\""));
    }
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        return Err(invalid("method must be a string"));
    };
    if method != HEALTHCHECK_METHOD {
        return Err((
            answer_id,
            RpcError::new(codes::METHOD_NOT_FOUND, "method not found"),
        ));
    }
    let block = match object.get("params") {
        Some(Value::Array(params)) => match params.as_slice() {
            [Value::Number(n)] => n.as_u64(),
            _ => None,
        },
        _ => None,
    };
    let Some(block) = block else {
        return Err((
            answer_id,
            RpcError::new(
                codes::INVALID_PARAMS,
                "params must be [blockNumber] with blockNumber a non-negative integer",
            ),
        ));
    };
    Ok(Call { id, block })
}

/// A success response.
pub(crate) fn result_response(id: Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

/// An error response.
pub(crate) fn error_response(id: Value, error: &RpcError) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": error.code, "message": error.message },
    })
}

/// The request body a checker sends for `block`.
pub(crate) fn healthcheck_request(block: u64) -> Value {
    json!({ "jsonrpc": "2.0", "id": 1, "method": HEALTHCHECK_METHOD, "params": [block] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> (Value, i64) {
        let (id, e) = parse_call(body.as_bytes()).unwrap_err();
        (id, e.code)
    }

    #[test]
    fn parses_a_call() {
        let call = parse_call(br#"{"jsonrpc":"2.0","id":7,"method":"healthcheck","params":[120]}"#)
            .unwrap();
        assert_eq!(
            call,
            Call {
                id: Some(json!(7)),
                block: 120
            }
        );
        let call = parse_call(br#"{"jsonrpc":"2.0","method":"healthcheck","params":[0]}"#).unwrap();
        assert_eq!(call, Call { id: None, block: 0 });
    }

    #[test]
    fn errors_have_their_codes() {
        assert_eq!(err("{"), (Value::Null, codes::PARSE_ERROR));
        assert_eq!(err("[]"), (Value::Null, codes::INVALID_REQUEST));
        assert_eq!(err("3"), (Value::Null, codes::INVALID_REQUEST));
        assert_eq!(
            err(r#"{"jsonrpc":"2.0","id":[1],"method":"healthcheck","params":[1]}"#),
            (Value::Null, codes::INVALID_REQUEST)
        );
        assert_eq!(
            err(r#"{"jsonrpc":"1.0","id":"a","method":"healthcheck","params":[1]}"#),
            (json!("a"), codes::INVALID_REQUEST)
        );
        assert_eq!(
            err(r#"{"jsonrpc":"2.0","id":2,"method":"eth_call","params":[1]}"#),
            (json!(2), codes::METHOD_NOT_FOUND)
        );
        for params in [
            "[]",
            "[1,2]",
            "[\"0x10\"]",
            "[-1]",
            "[1.5]",
            "1",
            "{\"b\":1}",
            "null",
        ] {
            let body =
                format!(r#"{{"jsonrpc":"2.0","id":3,"method":"healthcheck","params":{params}}}"#);
            assert_eq!(err(&body), (json!(3), codes::INVALID_PARAMS), "{params}");
        }
    }
}
