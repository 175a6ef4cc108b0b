//! `liveliness score` and `liveliness status`: read-only views of the registry, all read at
//! one block so that the numbers agree with each other.

use crate::{
    chain::{contract_error, to_u64, Chain, Contracts},
    cli::{ScoreArgs, StatusArgs},
    output,
};
use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
};
use eyre::Result;
use futures::{stream, StreamExt, TryStreamExt};
use liveliness_chain::bindings::{AttestationCenter, LivelinessRegistry};
use serde::Serialize;

/// How many operators are read concurrently.
const CONCURRENCY: usize = 16;

/// One operator's reputation, as `score --json` prints it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatorScore {
    /// The operator address.
    pub address: Address,
    /// Whether it is registered in the LivelinessRegistry.
    pub registered: bool,
    /// Its id in the AttestationCenter (`None`: not an operator there).
    pub operator_id: Option<u64>,
    /// Its voting power in the AttestationCenter.
    pub voting_power: u128,
    /// `getLivelinessScore`: blocks served (registered and active) minus
    /// penalty points, floored at 0; 0 when not registered.
    pub score: u64,
    /// Lifetime number of penalties.
    pub penalties: u64,
    /// Lifetime penalty points.
    pub penalty_points: u64,
    /// Blocks served: registered and active, over all registrations.
    pub served_blocks: u64,
    /// Block of the current registration (`None`: not registered).
    pub registered_at_block: Option<u64>,
    /// Registered health endpoint (`None`: not registered).
    pub endpoint: Option<String>,
}

/// The registry's governance parameters.
pub use liveliness_chain::RegistryParams as Params;

/// Parameters that take effect at a later block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingParams {
    /// The whole set that applies from `effective_from_block`.
    pub params: Params,
    /// The block from which they apply.
    pub effective_from_block: u64,
}

/// What `status --json` prints.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Chain id.
    pub chain_id: u64,
    /// The block everything was read at (the head when the command ran).
    pub block: u64,
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The LivelinessRegistry.
    pub registry: Address,
    /// Registry parameters in force.
    pub params: Params,
    /// A scheduled change of the parameters, while it is still ahead.
    pub pending_params: Option<PendingParams>,
    /// Operators active in the AttestationCenter.
    pub active_operators: u64,
    /// Total voting power in the AttestationCenter.
    pub total_voting_power: u128,
    /// Every registered operator, in the registry's list order.
    pub operators: Vec<OperatorScore>,
}

/// Reads one operator's reputation at block `at`.
async fn operator_score(
    chain: &Chain,
    contracts: Contracts,
    address: Address,
    at: BlockId,
) -> Result<OperatorScore> {
    let registry = LivelinessRegistry::new(contracts.registry, &chain.provider);
    let ac = AttestationCenter::new(contracts.attestation_center, &chain.provider);
    let err =
        |what: &'static str| move |e| contract_error(&format!("reading {what} of {address}"), e);
    let (registration, penalties, served, score, id) = futures::try_join!(
        async {
            registry
                .registrations(address)
                .block(at)
                .call()
                .await
                .map_err(err("the registration"))
        },
        async {
            registry
                .penaltyRecordOf(address)
                .block(at)
                .call()
                .await
                .map_err(err("the penalty record"))
        },
        async {
            registry
                .servedBlocks(address)
                .block(at)
                .call()
                .await
                .map_err(err("the blocks served"))
        },
        async {
            registry
                .getLivelinessScore(address)
                .block(at)
                .call()
                .await
                .map_err(err("the score"))
        },
        async {
            ac.operatorsIdsByAddress(address)
                .block(at)
                .call()
                .await
                .map_err(err("the operator id"))
        },
    )?;
    let id = to_u64(id, "operator id")?;
    let voting_power = if id == 0 {
        0
    } else {
        ac.getOperator(U256::from(id))
            .block(at)
            .call()
            .await
            .map_err(err("the voting power"))?
            .votingPower
            .to::<u128>()
    };
    let record = registration.record;
    let registered = record.registeredAtBlock != 0;
    Ok(OperatorScore {
        address,
        registered,
        operator_id: (id != 0).then_some(id),
        voting_power,
        score: to_u64(score, "score")?,
        penalties: u64::from(penalties.count),
        penalty_points: penalties.points,
        served_blocks: to_u64(served, "blocks served")?,
        registered_at_block: registered.then_some(record.registeredAtBlock),
        endpoint: registered.then_some(registration.endpoint),
    })
}

/// `liveliness score <ADDRESS>`.
pub async fn score(args: ScoreArgs) -> Result<()> {
    let chain = Chain::read_only(&args.rpc.rpc_url).await?;
    let contracts = chain.contracts(&args.contracts).await?;
    let block = chain.block_number().await?;
    let s = operator_score(&chain, contracts, args.address, BlockId::number(block)).await?;
    if args.json {
        let mut value = serde_json::to_value(&s)?;
        value["block"] = block.into();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let none = || "-".to_owned();
    let registered = if s.registered {
        "yes".to_owned()
    } else {
        "no (not registered in the LivelinessRegistry)".to_owned()
    };
    let rows = vec![
        ("address".to_owned(), s.address.to_string()),
        ("registered".to_owned(), registered),
        ("score".to_owned(), s.score.to_string()),
        ("penalties".to_owned(), s.penalties.to_string()),
        ("penalty points".to_owned(), s.penalty_points.to_string()),
        ("blocks served".to_owned(), s.served_blocks.to_string()),
        (
            "registered at block".to_owned(),
            s.registered_at_block.map_or_else(none, |b| b.to_string()),
        ),
        (
            "endpoint".to_owned(),
            s.endpoint.clone().unwrap_or_else(none),
        ),
        (
            "operator id".to_owned(),
            s.operator_id.map_or_else(none, |i| i.to_string()),
        ),
        ("voting power".to_owned(), s.voting_power.to_string()),
        ("at block".to_owned(), block.to_string()),
    ];
    print!("{}", output::key_values(&rows));
    Ok(())
}

/// `liveliness status`.
pub async fn status(args: StatusArgs) -> Result<()> {
    let chain = Chain::read_only(&args.rpc.rpc_url).await?;
    let contracts = chain.contracts(&args.contracts).await?;
    let block = chain.block_number().await?;
    let at = BlockId::number(block);
    let registry = LivelinessRegistry::new(contracts.registry, &chain.provider);
    let ac = AttestationCenter::new(contracts.attestation_center, &chain.provider);

    let p = registry
        .params()
        .block(at)
        .call()
        .await
        .map_err(|e| contract_error("reading the registry parameters", e))?;
    let params = Params::from(p);
    let pending = registry
        .pendingParams()
        .block(at)
        .call()
        .await
        .map_err(|e| contract_error("reading the pending registry parameters", e))?;
    let pending_params = if pending.effectiveFromBlock.is_zero() {
        None
    } else {
        Some(PendingParams {
            params: Params::from(pending.pending),
            effective_from_block: to_u64(pending.effectiveFromBlock, "effective block")?,
        })
    };
    let active = ac
        .numOfActiveOperators()
        .block(at)
        .call()
        .await
        .map_err(|e| contract_error("reading the number of active operators", e))?;
    let total_power = ac
        .totalVotingPower()
        .block(at)
        .call()
        .await
        .map_err(|e| contract_error("reading the total voting power", e))?;
    let count = registry
        .registeredOperatorsCount()
        .block(at)
        .call()
        .await
        .map_err(|e| contract_error("reading the number of registered operators", e))?;
    let count = to_u64(count, "registered operator count")?;

    let mut addresses = Vec::new();
    let mut offset = 0u64;
    while offset < count {
        let page = registry
            .getRegisteredOperators(U256::from(offset), U256::from(args.page_size))
            .block(at)
            .call()
            .await
            .map_err(|e| contract_error("reading the registered operators", e))?;
        if page.operators.is_empty() {
            break;
        }
        offset += page.operators.len() as u64;
        addresses.extend(page.operators);
    }
    let chain_ref = &chain;
    let operators: Vec<OperatorScore> = stream::iter(addresses)
        .map(|a| operator_score(chain_ref, contracts, a, at))
        .buffered(CONCURRENCY)
        .try_collect()
        .await?;

    let status = Status {
        chain_id: chain.chain_id,
        block,
        attestation_center: contracts.attestation_center,
        registry: contracts.registry,
        params,
        pending_params,
        active_operators: to_u64(active, "active operator count")?,
        total_voting_power: total_power.to::<u128>(),
        operators,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render_status(&status));
    }
    Ok(())
}

fn params_text(p: &Params) -> String {
    format!(
        "C={} epochLength={} sampleSize={} performerTimeoutBlocks={} \
         taskValidityBlocks={} confirmationDepth={} healthTimeoutMs={}",
        p.c,
        p.epoch_length,
        p.sample_size,
        p.performer_timeout_blocks,
        p.task_validity_blocks,
        p.confirmation_depth,
        p.health_timeout_ms
    )
}

fn render_status(s: &Status) -> String {
    let pending = s.pending_params.as_ref().map_or_else(
        || "none".to_owned(),
        |q| {
            format!(
                "{} from block {}",
                params_text(&q.params),
                q.effective_from_block
            )
        },
    );
    let mut out = output::key_values(&[
        ("chain id".to_owned(), s.chain_id.to_string()),
        ("block".to_owned(), s.block.to_string()),
        (
            "attestation center".to_owned(),
            s.attestation_center.to_string(),
        ),
        ("registry".to_owned(), s.registry.to_string()),
        ("params".to_owned(), params_text(&s.params)),
        ("pending params".to_owned(), pending),
        (
            "active operators".to_owned(),
            format!(
                "{} (total voting power {})",
                s.active_operators, s.total_voting_power
            ),
        ),
        (
            "registered operators".to_owned(),
            s.operators.len().to_string(),
        ),
    ]);
    out.push('\n');
    if s.operators.is_empty() {
        out.push_str("no operators are registered\n");
        return out;
    }
    let rows: Vec<Vec<String>> = s
        .operators
        .iter()
        .map(|o| {
            vec![
                o.operator_id
                    .map_or_else(|| "-".to_owned(), |i| i.to_string()),
                o.address.to_string(),
                o.voting_power.to_string(),
                o.score.to_string(),
                o.penalties.to_string(),
                o.registered_at_block
                    .map_or_else(|| "-".to_owned(), |b| b.to_string()),
                o.endpoint.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&output::table(
        &[
            "ID",
            "ADDRESS",
            "POWER",
            "SCORE",
            "PENALTIES",
            "REGISTERED AT",
            "ENDPOINT",
        ],
        &rows,
    ));
    out
}
