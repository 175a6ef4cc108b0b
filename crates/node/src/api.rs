//! `/metrics` (Prometheus) and the JSON read API: status, operators with
//! scores, recent tasks, documents by CID.

use crate::reader::Reader;
use alloy::primitives::{Address, B256, U256};
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use liveliness_chain::bindings::{AttestationCenter, LivelinessRegistry};
use liveliness_primitives::{EpochBlock, EpochNumber, Round};
use liveliness_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use std::sync::{Arc, RwLock};

/// What the node is doing, for `/api/status`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Status {
    /// The node's operator address.
    pub operator: Address,
    /// Last head seen.
    pub head: u64,
    /// Reorgs this node has seen since it started: its head went back, or a
    /// held epoch block's hash changed. Block hashes read before one are not
    /// reused after it (the health endpoint's cache).
    pub reorgs: u64,
    /// Epochs held in memory.
    pub epochs: Vec<EpochStatus>,
}

/// One epoch in [`Status`].
#[derive(Clone, Debug, Serialize)]
pub struct EpochStatus {
    /// Epoch block.
    pub epoch_block: EpochBlock,
    /// Epoch number.
    pub epoch: EpochNumber,
    /// Round 0's performer.
    pub performer: Option<Address>,
    /// Sampled operators.
    pub sample: Vec<Address>,
    /// Tasks seen.
    pub tasks: usize,
    /// The certified task, if any.
    pub certified: Option<B256>,
}

#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) store: Arc<Store>,
    pub(crate) reader: Arc<Reader>,
    pub(crate) status: Arc<RwLock<Status>>,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) p2p: liveliness_p2p::P2pHandle,
}

pub(crate) fn router(state: ApiState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/api/status", get(status))
        .route("/api/operators", get(operators))
        .route("/api/tasks", get(tasks))
        .route("/api/documents/{cid}", get(document))
        .route("/api/equivocations", get(equivocations))
        .route("/api/peers", get(peers))
        .with_state(state)
}

async fn metrics(State(s): State<ApiState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
        .into_response()
}

async fn status(State(s): State<ApiState>) -> Json<Status> {
    Json(s.status.read().expect("not poisoned").clone())
}

/// The gossip layer's verified peer bindings (§9.2), for `/api/peers`.
#[derive(Serialize)]
struct PeerRow {
    peer_id: String,
    operator: Address,
}

async fn peers(State(s): State<ApiState>) -> Response {
    match s.p2p.bound_peers().await {
        Ok(bound) => {
            let mut rows: Vec<PeerRow> = bound
                .into_iter()
                .map(|(peer, operator)| PeerRow {
                    peer_id: peer.to_string(),
                    operator,
                })
                .collect();
            rows.sort_by(|a, b| (a.operator, &a.peer_id).cmp(&(b.operator, &b.peer_id)));
            Json(rows).into_response()
        }
        Err(e) => internal(e),
    }
}

#[derive(Serialize)]
struct OperatorRow {
    operator: Address,
    operator_id: String,
    voting_power: String,
    endpoint: String,
    penalties: String,
    score: String,
}

fn internal(e: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_GATEWAY,
        Json(serde_json::json!({ "error": crate::redact::redact_urls(&e.to_string()) })),
    )
        .into_response()
}

async fn operators(State(s): State<ApiState>) -> Response {
    let p = s.reader.provider().clone();
    let registry = LivelinessRegistry::new(s.reader.registry, &p);
    let ac = AttestationCenter::new(s.reader.attestation_center, &p);
    let count = match registry.registeredOperatorsCount().call().await {
        Ok(c) => c,
        Err(e) => return internal(e),
    };
    let list = match registry
        .getRegisteredOperators(U256::ZERO, count.min(U256::from(1000)))
        .call()
        .await
    {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let mut rows = Vec::with_capacity(list.operators.len());
    for (op, endpoint) in list.operators.into_iter().zip(list.endpoints) {
        let id = ac
            .operatorsIdsByAddress(op)
            .call()
            .await
            .unwrap_or_default();
        let power = if id.is_zero() {
            U256::ZERO
        } else {
            ac.getOperator(id)
                .call()
                .await
                .map(|o| U256::from(o.votingPower))
                .unwrap_or_default()
        };
        let penalties = registry.penalties(op).call().await.unwrap_or_default();
        let score = registry
            .getLivelinessScore(op)
            .call()
            .await
            .unwrap_or_default();
        rows.push(OperatorRow {
            operator: op,
            operator_id: id.to_string(),
            voting_power: power.to_string(),
            endpoint,
            penalties: penalties.to_string(),
            score: score.to_string(),
        });
    }
    Json(rows).into_response()
}

#[derive(Serialize)]
struct TaskRow {
    task_hash: B256,
    epoch_block: EpochBlock,
    round: Round,
    performer: Address,
    proof_of_task: Option<String>,
}

async fn tasks(State(s): State<ApiState>) -> Response {
    match s.store.recent_tasks(100) {
        Ok(tasks) => Json(
            tasks
                .into_iter()
                .map(|t| TaskRow {
                    proof_of_task: match crate::wire::Message::decode(&t.bytes) {
                        Ok(crate::wire::Message::Task(m)) => m.document.cid().ok(),
                        _ => None,
                    },
                    task_hash: t.task_hash,
                    epoch_block: t.epoch_block,
                    round: t.round,
                    performer: t.performer,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EquivocationRow {
    /// `task` (a performer signed two tasks for a round) or `vote` (an
    /// operator signed both outcomes of a task).
    kind: &'static str,
    epoch_block: EpochBlock,
    round: Round,
    /// The equivocating performer (`task` rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    performer: Option<Address>,
    /// The two tasks' hashes, first seen first (`task` rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    task_hashes: Option<[B256; 2]>,
    /// The equivocating operator's id (`vote` rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    operator_id: Option<u64>,
    /// The task both votes are on (`vote` rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    task_hash: Option<B256>,
    /// What became of this node's proof on chain (`vote` rows): `landed`,
    /// `duplicate` (proven by another node), `reverted`, `gave_up`, or
    /// `pending`.
    #[serde(skip_serializing_if = "Option::is_none")]
    submission: Option<&'static str>,
    /// `task` rows: both signed task messages (§9.5); `vote` rows: the task
    /// message, the approve vote and the reject vote; each prefixed with its
    /// length as a big-endian u32: enough for anyone to check the signatures.
    evidence: alloy::primitives::Bytes,
}

/// Most rows of each kind served.
const MAX_EQUIVOCATION_ROWS: usize = 1000;

/// Evidence of equivocation this node holds: task equivocations, then vote
/// equivocations, each kind the oldest epoch first (at most 1,000 of each).
async fn equivocations(State(s): State<ApiState>) -> Response {
    use crate::evidence::{
        EvidenceOutcome, TaskEquivocation, VoteEquivocation, TASK_EQUIVOCATION_PREFIX,
        VOTE_EQUIVOCATION_PREFIX,
    };
    let (tasks, votes) = match s
        .store
        .meta_with_prefix(TASK_EQUIVOCATION_PREFIX, MAX_EQUIVOCATION_ROWS)
        .and_then(|t| {
            Ok((
                t,
                s.store
                    .meta_with_prefix(VOTE_EQUIVOCATION_PREFIX, MAX_EQUIVOCATION_ROWS)?,
            ))
        }) {
        Ok(stored) => stored,
        Err(e) => return internal(e),
    };
    let submission = |key: String| -> Result<&'static str, liveliness_store::Error> {
        Ok(match s.store.meta(&key)? {
            Some(label) => EvidenceOutcome::from_label(&label).map_or("unknown", |o| o.label()),
            None => "pending",
        })
    };
    let mut rows: Vec<EquivocationRow> = Vec::new();
    for (_, bytes) in tasks {
        let Some(e) = TaskEquivocation::decode(&bytes) else {
            continue;
        };
        let Some(task_hashes) = e.task_hashes() else {
            continue;
        };
        let submission = match submission(e.submitted_key()) {
            Ok(label) => label,
            Err(e) => return internal(e),
        };
        rows.push(EquivocationRow {
            kind: "task",
            epoch_block: e.first.document.epoch_block,
            round: e.first.document.round,
            performer: Some(e.first.document.performer),
            task_hashes: Some(task_hashes),
            operator_id: None,
            task_hash: None,
            submission: Some(submission),
            evidence: bytes.into(),
        });
    }
    for (_, bytes) in votes {
        let Some(e) = VoteEquivocation::decode(&bytes) else {
            continue;
        };
        let submission = match submission(e.submitted_key()) {
            Ok(label) => label,
            Err(e) => return internal(e),
        };
        rows.push(EquivocationRow {
            kind: "vote",
            epoch_block: e.epoch_block(),
            round: e.task.document.round,
            performer: None,
            task_hashes: None,
            operator_id: Some(e.operator_id()),
            task_hash: Some(e.task_hash()),
            submission: Some(submission),
            evidence: bytes.into(),
        });
    }
    Json(rows).into_response()
}

async fn document(State(s): State<ApiState>, Path(cid): Path<String>) -> Response {
    if cid.len() > 128 || !cid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return (StatusCode::BAD_REQUEST, "malformed CID").into_response();
    }
    match s.store.document(&cid) {
        Ok(Some(bytes)) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "unknown document").into_response(),
        Err(e) => internal(e),
    }
}
