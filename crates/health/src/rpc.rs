//! JSON-RPC 2.0 framing for the `healthcheck` method.

use serde_json::{json, Value};

/// The one method the health endpoint answers.
pub const HEALTHCHECK_METHOD: &str = "healthcheck";

/// The chain id method, answered when the server knows its chain.
pub const CHAIN_ID_METHOD: &str = "eth_chainId";

/// JSON-RPC error codes the health endpoint answers with.
pub mod codes {
    /// The body is not JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// JSON, but not a JSON-RPC 2.0 request object (batches included).
    pub const INVALID_REQUEST: i64 = -32600;
    /// A method other than `healthcheck` and `eth_chainId`.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// `params` is not `[blockNumber]` with a non-negative integer.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The chain source failed or did not answer in time, or signing failed.
    pub const INTERNAL_ERROR: i64 = -32603;
    /// The block is outside `[head − 256, head + 1]`.
    pub const BLOCK_OUT_OF_RANGE: i64 = -32000;
    /// The block is in range but was not seen within the wait bound.
    pub const BLOCK_UNAVAILABLE: i64 = -32001;
    /// Too many calls are being answered at once.
    pub const BUSY: i64 = -32002;
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

/// What a call asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// `healthcheck` with `params: [block]`.
    Healthcheck(u64),
    /// `eth_chainId`, which JSON-RPC clients such as ethers' provider send
    /// before anything else to learn the network.
    ChainId,
}

/// A parsed call: its id (`None` for a notification) and what it asks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub(crate) id: Option<Value>,
    pub(crate) method: Method,
}

/// The most calls one batch may carry. A batch exists only because ethers'
/// provider sends `eth_chainId` and the first `healthcheck` together.
pub const MAX_BATCH: usize = 4;

/// A parsed request body: one call, or a batch of calls (each parsed on its
/// own, so one bad call does not spoil the others).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Body {
    Single(Result<Call, (Value, RpcError)>),
    Batch(Vec<Result<Call, (Value, RpcError)>>),
}

/// Parses a request body: a call object, or a batch of 1 to
/// [`MAX_BATCH`] of them. A body that is neither is one error.
pub(crate) fn parse_body(body: &[u8]) -> Body {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => {
            return Body::Single(Err((
                Value::Null,
                RpcError::new(codes::PARSE_ERROR, "parse error"),
            )))
        }
    };
    match value {
        Value::Array(calls) if calls.is_empty() => Body::Single(Err((
            Value::Null,
            RpcError::new(codes::INVALID_REQUEST, "empty batch"),
        ))),
        Value::Array(calls) if calls.len() > MAX_BATCH => Body::Single(Err((
            Value::Null,
            RpcError::new(
                codes::INVALID_REQUEST,
                format!("a batch carries at most {MAX_BATCH} calls"),
            ),
        ))),
        Value::Array(calls) => Body::Batch(calls.into_iter().map(parse_call).collect()),
        value => Body::Single(parse_call(value)),
    }
}

/// Parses one call. On failure returns the id to answer with (null when it
/// could not be read) and the error.
pub(crate) fn parse_call(value: Value) -> Result<Call, (Value, RpcError)> {
    let Value::Object(mut object) = value else {
        return Err((
            Value::Null,
            RpcError::new(codes::INVALID_REQUEST, "request must be a JSON object"),
        ));
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
    if method == CHAIN_ID_METHOD {
        return Ok(Call {
            id,
            method: Method::ChainId,
        });
    }
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
    Ok(Call {
        id,
        method: Method::Healthcheck(block),
    })
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

    fn one(body: &str) -> Result<Call, (Value, RpcError)> {
        match parse_body(body.as_bytes()) {
            Body::Single(call) => call,
            Body::Batch(_) => panic!("a batch: {body}"),
        }
    }

    fn err(body: &str) -> (Value, i64) {
        let (id, e) = one(body).unwrap_err();
        (id, e.code)
    }

    #[test]
    fn parses_a_call() {
        let call =
            one(r#"{"jsonrpc":"2.0","id":7,"method":"healthcheck","params":[120]}"#).unwrap();
        assert_eq!(
            call,
            Call {
                id: Some(json!(7)),
                method: Method::Healthcheck(120)
            }
        );
        let call = one(r#"{"jsonrpc":"2.0","method":"healthcheck","params":[0]}"#).unwrap();
        assert_eq!(
            call,
            Call {
                id: None,
                method: Method::Healthcheck(0)
            }
        );
        let call = one(r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#).unwrap();
        assert_eq!(
            call,
            Call {
                id: Some(json!(1)),
                method: Method::ChainId
            }
        );
    }

    #[test]
    fn parses_small_batches_call_by_call() {
        let Body::Batch(calls) = parse_body(
            br#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},
                 {"jsonrpc":"2.0","id":2,"method":"healthcheck","params":[5]},
                 {"jsonrpc":"2.0","id":3,"method":"nope"}, 7]"#,
        ) else {
            panic!("not a batch");
        };
        assert_eq!(calls.len(), 4);
        assert_eq!(calls[0].as_ref().unwrap().method, Method::ChainId);
        assert_eq!(calls[1].as_ref().unwrap().method, Method::Healthcheck(5));
        assert_eq!(
            calls[2].as_ref().unwrap_err().1.code,
            codes::METHOD_NOT_FOUND
        );
        assert_eq!(
            calls[3].as_ref().unwrap_err().1.code,
            codes::INVALID_REQUEST
        );
        let five = format!("[{}]", ["{}"; MAX_BATCH + 1].join(","));
        assert_eq!(err(&five), (Value::Null, codes::INVALID_REQUEST));
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
