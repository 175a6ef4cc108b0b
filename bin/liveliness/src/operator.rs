//! `liveliness operator …`: registration, endpoint changes, leaving and governance.

use crate::{
    chain::{self, chain_error, contract_error, load_ecdsa, password, send_tx, Chain, Contracts},
    cli::{EndpointArgs, OperatorArgs, OperatorCommand, SetPowerArgs},
};
use alloy::primitives::{Address, U256};
use eyre::{bail, Result, WrapErr};
use liveliness_chain::bindings::{AttestationCenter, LivelinessRegistry};

/// Runs an `operator` subcommand.
pub async fn run(command: OperatorCommand) -> Result<()> {
    match command {
        OperatorCommand::Register(args) => register(args).await,
        OperatorCommand::ChangeEndpoint(args) => change_endpoint(args).await,
        OperatorCommand::Leave(args) => leave(args).await,
        OperatorCommand::Rejoin(args) => rejoin(args).await,
        OperatorCommand::Unregister(args) => unregister(args).await,
        OperatorCommand::SetPower(args) => set_power(args).await,
    }
}

/// Connects with the operator's ECDSA key and resolves the contracts.
async fn connect(args: &OperatorArgs) -> Result<(Chain, Contracts, String)> {
    let password = password(&args.keys.password)?;
    let signer = load_ecdsa(&args.keys.ecdsa_path()?, &password)?;
    let chain = Chain::with_signer(&args.rpc.rpc_url, signer).await?;
    let contracts = chain.contracts(&args.contracts).await?;
    Ok((chain, contracts, password))
}

/// Asks the registry's pure `checkEndpoint` whether it would accept `endpoint`.
async fn check_endpoint(chain: &Chain, registry: Address, endpoint: &str) -> Result<()> {
    LivelinessRegistry::new(registry, &chain.provider)
        .checkEndpoint(endpoint.to_owned())
        .call()
        .await
        .map_err(|e| contract_error(&format!("the registry refuses endpoint {endpoint:?}"), e))?;
    Ok(())
}

/// The operator id of `address` in the AttestationCenter (0: none).
async fn operator_id(chain: &Chain, ac: Address, address: Address) -> Result<u64> {
    let id = AttestationCenter::new(ac, &chain.provider)
        .operatorsIdsByAddress(address)
        .call()
        .await
        .map_err(|e| contract_error("reading the operator id", e))?;
    chain::to_u64(id, "operator id")
}

/// The voting power of operator `id` now.
async fn voting_power(chain: &Chain, ac: Address, id: u64) -> Result<u128> {
    let op = AttestationCenter::new(ac, &chain.provider)
        .getOperator(U256::from(id))
        .call()
        .await
        .map_err(|e| contract_error("reading the operator", e))?;
    Ok(op.votingPower.to::<u128>())
}

async fn is_registered(chain: &Chain, registry: Address, address: Address) -> Result<bool> {
    LivelinessRegistry::new(registry, &chain.provider)
        .isRegistered(address)
        .call()
        .await
        .map_err(|e| contract_error("reading the registration", e))
}

async fn register(args: EndpointArgs) -> Result<()> {
    let (chain, contracts, password) = connect(&args.operator).await?;
    let me = chain.sender()?;
    check_endpoint(&chain, contracts.registry, &args.endpoint).await?;
    if is_registered(&chain, contracts.registry, me).await? {
        bail!(
            "{me} is already registered in the LivelinessRegistry; use `liveliness operator \
             change-endpoint` to change its endpoint"
        );
    }

    let ac = contracts.attestation_center;
    let mut id = operator_id(&chain, ac, me).await?;
    if id == 0 {
        let bls_path = args.operator.keys.bls_path()?;
        let keys = liveliness_keys::load_bls(&bls_path, &password)
            .wrap_err_with(|| format!("cannot load the BLS keystore {}", bls_path.display()))?;
        tracing::info!(operator = %me, "registering the BLS key in the AttestationCenter");
        id = liveliness_chain::register_operator(&chain.provider, ac, me, &keys)
            .await
            .map_err(|e| chain_error("registering the BLS key in the AttestationCenter", e))?;
        println!("registered {me} in the AttestationCenter as operator id {id}");
    } else {
        println!("{me} is operator id {id} in the AttestationCenter");
    }

    if voting_power(&chain, ac, id).await? == 0 {
        bail!(
            "operator {me} (id {id}) has no voting power yet, so the registry cannot accept it. \
             Governance (the contracts' owner) must set it, e.g. `liveliness operator set-power \
             --id {id} --power <P>` signed by the owner key; then run `liveliness operator \
             register` again"
        );
    }

    let registry = LivelinessRegistry::new(contracts.registry, &chain.provider);
    let receipt = send_tx!(
        "registering in the LivelinessRegistry",
        me,
        registry.register(args.endpoint.clone())
    );
    println!(
        "registered {me} in the LivelinessRegistry at block {} with endpoint {} (tx {})",
        receipt.block_number.unwrap_or_default(),
        args.endpoint,
        receipt.transaction_hash
    );
    Ok(())
}

async fn change_endpoint(args: EndpointArgs) -> Result<()> {
    let (chain, contracts, _) = connect(&args.operator).await?;
    let me = chain.sender()?;
    check_endpoint(&chain, contracts.registry, &args.endpoint).await?;
    if !is_registered(&chain, contracts.registry, me).await? {
        bail!(
            "{me} is not registered in the LivelinessRegistry; use `liveliness operator register`"
        );
    }
    let registry = LivelinessRegistry::new(contracts.registry, &chain.provider);
    let receipt = send_tx!(
        "changing the endpoint",
        me,
        registry.changeEndpoint(args.endpoint.clone())
    );
    println!(
        "endpoint of {me} is now {} (tx {})",
        args.endpoint, receipt.transaction_hash
    );
    Ok(())
}

async fn leave(args: OperatorArgs) -> Result<()> {
    let (chain, contracts, _) = connect(&args).await?;
    let me = chain.sender()?;
    let ac = AttestationCenter::new(contracts.attestation_center, &chain.provider);
    let receipt = send_tx!("leaving the AVS", me, ac.leave());
    println!(
        "{me} left the AVS: its voting power is 0 (tx {}); `liveliness operator unregister` \
         now removes it from the registry, and governance cannot give it power again until it \
         runs `liveliness operator rejoin`",
        receipt.transaction_hash
    );
    Ok(())
}

async fn rejoin(args: OperatorArgs) -> Result<()> {
    let (chain, contracts, _) = connect(&args).await?;
    let me = chain.sender()?;
    let ac = AttestationCenter::new(contracts.attestation_center, &chain.provider);
    let receipt = send_tx!("rejoining the AVS", me, ac.rejoin());
    println!(
        "{me} consents to serve again (tx {}); it stays inactive until governance sets its \
         voting power",
        receipt.transaction_hash
    );
    Ok(())
}

async fn unregister(args: OperatorArgs) -> Result<()> {
    let (chain, contracts, _) = connect(&args).await?;
    let me = chain.sender()?;
    let registry = LivelinessRegistry::new(contracts.registry, &chain.provider);
    let receipt = send_tx!(
        "unregistering from the LivelinessRegistry",
        me,
        registry.unregister()
    );
    println!(
        "unregistered {me} from the LivelinessRegistry (tx {})",
        receipt.transaction_hash
    );
    Ok(())
}

async fn set_power(args: SetPowerArgs) -> Result<()> {
    let signer = chain::signer(&args.signer)?;
    let chain = Chain::with_signer(&args.rpc.rpc_url, signer).await?;
    let contracts = chain.contracts(&args.contracts).await?;
    let tx = liveliness_chain::set_voting_powers(
        &chain.provider,
        contracts.attestation_center,
        &[args.id],
        &[args.power],
    )
    .await
    .map_err(|e| {
        chain_error(
            &format!("setting the voting power of operator {}", args.id),
            e,
        )
    })?;
    println!(
        "voting power of operator {} is now {} (tx {tx})",
        args.id, args.power
    );
    Ok(())
}
