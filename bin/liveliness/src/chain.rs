//! Shared chain plumbing: providers (read-only or with a wallet), signers from keystores or
//! the environment, contract addresses from flags or a deployment file, and errors that
//! name the contract's custom error behind a revert.

use crate::cli::{ContractArgs, OperatorKeyArgs, PasswordArgs, SignerArgs};
use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use eyre::{bail, eyre, Result, WrapErr};
use liveliness_chain::{bindings::LivelinessRegistry, Deployment};
use liveliness_keys::KeyFiles;
use std::path::{Path, PathBuf};

/// Environment variable read for the keystore password when no password file is given.
pub const PASSWORD_ENV: &str = "LIVELINESS_KEYSTORE_PASSWORD";

/// A connection to the chain: an alloy provider, with a wallet when transactions are sent.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The provider (erased; fills nonce, gas and signature when it has a wallet).
    pub provider: DynProvider,
    /// The chain id the RPC reported when connecting.
    pub chain_id: u64,
    /// The account transactions go out from, when the provider has a wallet.
    pub sender: Option<Address>,
    url: String,
}

impl Chain {
    /// A provider without a wallet, for views.
    pub async fn read_only(url: &str) -> Result<Self> {
        let provider = ProviderBuilder::new()
            .connect_http(parse_url(url)?)
            .erased();
        Self::finish(provider, None, url).await
    }

    /// A provider whose wallet signs with `signer`.
    pub async fn with_signer(url: &str, signer: PrivateKeySigner) -> Result<Self> {
        let sender = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(parse_url(url)?)
            .erased();
        Self::finish(provider, Some(sender), url).await
    }

    async fn finish(provider: DynProvider, sender: Option<Address>, url: &str) -> Result<Self> {
        let chain_id = provider
            .get_chain_id()
            .await
            .wrap_err_with(|| format!("cannot reach the chain at {url}"))?;
        Ok(Self {
            provider,
            chain_id,
            sender,
            url: url.to_owned(),
        })
    }

    /// The sending account; an error for a read-only connection.
    pub fn sender(&self) -> Result<Address> {
        self.sender
            .ok_or_else(|| eyre!("internal: this connection has no signing key"))
    }

    /// The current block number.
    pub async fn block_number(&self) -> Result<u64> {
        self.provider
            .get_block_number()
            .await
            .wrap_err_with(|| format!("cannot read the block number from {}", self.url))
    }

    /// Resolves the contract addresses: explicit flags first, then the deployment file, and
    /// the AttestationCenter last of all from the registry itself.
    pub async fn contracts(&self, args: &ContractArgs) -> Result<Contracts> {
        let file = args
            .deployment
            .as_deref()
            .map(read_deployment)
            .transpose()?;
        if let Some(d) = &file {
            if d.chain_id != self.chain_id {
                bail!(
                    "the deployment file is for chain {} but {} is chain {}",
                    d.chain_id,
                    self.url,
                    self.chain_id
                );
            }
        }
        let registry = args.registry.or(file.map(|d| d.registry)).ok_or_else(|| {
            eyre!("no registry address: pass --registry <ADDRESS> or --deployment <FILE>")
        })?;
        let code = self
            .provider
            .get_code_at(registry)
            .await
            .wrap_err("cannot read the registry's code")?;
        if code.is_empty() {
            bail!(
                "no contract at registry address {registry} on chain {}",
                self.chain_id
            );
        }
        let attestation_center = match args
            .attestation_center
            .or(file.map(|d| d.attestation_center))
        {
            Some(a) => a,
            None => LivelinessRegistry::new(registry, &self.provider)
                .attestationCenter()
                .call()
                .await
                .map_err(|e| contract_error("reading the registry's AttestationCenter", e))?,
        };
        Ok(Contracts {
            attestation_center,
            registry,
        })
    }
}

/// The two contract addresses.
#[derive(Debug, Clone, Copy)]
pub struct Contracts {
    /// The AttestationCenter.
    pub attestation_center: Address,
    /// The LivelinessRegistry.
    pub registry: Address,
}

fn parse_url(url: &str) -> Result<Url> {
    let parsed: Url = url
        .parse()
        .wrap_err_with(|| format!("invalid RPC URL {url:?}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("invalid RPC URL {url:?}: only http:// and https:// are supported");
    }
    Ok(parsed)
}

/// Reads a deployment JSON file written by `liveliness deploy --out`.
pub fn read_deployment(path: &Path) -> Result<Deployment> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("cannot read deployment file {}", path.display()))?;
    serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not a deployment file", path.display()))
}

// ---------------------------------------------------------------------------------------------
// Keys and passwords
// ---------------------------------------------------------------------------------------------

/// The keystore password: the first line of `--password-file` (which must be private to its
/// owner, [`liveliness_keys::read_password_file`]), else `LIVELINESS_KEYSTORE_PASSWORD`.
pub fn password(args: &PasswordArgs) -> Result<String> {
    if let Some(path) = &args.password_file {
        return Ok(liveliness_keys::read_password_file(path)?);
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => bail!(
            "no keystore password: pass --password-file <FILE> or set the environment variable \
             {PASSWORD_ENV}"
        ),
    }
}

/// A private key read from the environment variable `var` (hex, optional 0x).
pub fn signer_from_env(var: &str) -> Result<PrivateKeySigner> {
    let value = std::env::var(var)
        .map_err(|_| eyre!("the environment variable {var} (from --private-key-env) is not set"))?;
    value.trim().parse::<PrivateKeySigner>().map_err(|_| {
        eyre!("the environment variable {var} does not hold a hex secp256k1 private key")
    })
}

/// Decrypts an ECDSA keystore.
pub fn load_ecdsa(path: &Path, password: &str) -> Result<PrivateKeySigner> {
    liveliness_keys::load_ecdsa(path, password)
        .wrap_err_with(|| format!("cannot load the ECDSA keystore {}", path.display()))
}

/// The signer of a deployer or governance command.
pub fn signer(args: &SignerArgs) -> Result<PrivateKeySigner> {
    if let Some(var) = &args.private_key_env {
        return signer_from_env(var);
    }
    let Some(path) = &args.ecdsa_keystore else {
        bail!("no signing key: pass --ecdsa-keystore <FILE> (with a password) or --private-key-env <VAR>");
    };
    load_ecdsa(path, &password(&args.password)?)
}

impl OperatorKeyArgs {
    /// The operator's ECDSA keystore path.
    pub fn ecdsa_path(&self) -> Result<PathBuf> {
        self.ecdsa_keystore
            .clone()
            .or_else(|| {
                self.key_dir
                    .as_ref()
                    .map(|d| KeyFiles::in_dir(d).ecdsa_path)
            })
            .ok_or_else(|| {
                eyre!("no operator key: pass --ecdsa-keystore <FILE> or --key-dir <DIR>")
            })
    }

    /// The operator's BLS keystore path.
    pub fn bls_path(&self) -> Result<PathBuf> {
        self.bls_keystore
            .clone()
            .or_else(|| self.key_dir.as_ref().map(|d| KeyFiles::in_dir(d).bls_path))
            .ok_or_else(|| eyre!("no BLS key: pass --bls-keystore <FILE> or --key-dir <DIR>"))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A plain-words explanation of a custom error the contracts revert with, when one helps.
pub fn revert_hint(name: &str) -> Option<&'static str> {
    Some(match name {
        "EndpointBadScheme" => {
            "the endpoint must start with http:// (plain HTTP; https:// and other schemes are \
             refused)"
        }
        "EndpointMissingHost" => "the endpoint has no host after the scheme",
        "EndpointInvalidCharacter" => {
            "the endpoint may contain only printable ASCII characters, no spaces"
        }
        "EndpointHasUserinfo" => "the endpoint must not contain '@' (no user info)",
        "EndpointTooLong" => "the endpoint is longer than 256 bytes",
        "NotAnOperator" => "the address is not an operator of the AttestationCenter",
        "OperatorNotActive" => {
            "the operator has no voting power; governance must set it with \
             `liveliness operator set-power`"
        }
        "AlreadyRegistered" => "the operator is already registered",
        "NotRegistered" => "the operator is not registered in the LivelinessRegistry",
        "StillActive" => {
            "the operator is still active in the AVS; leave it first with \
             `liveliness operator leave`"
        }
        "Unauthorized" => "only the contracts' governance owner may do this",
        "KeyAlreadyRegistered" => "this BLS key is already registered by another operator",
        "UnknownOperator" => "there is no operator with this id",
        "InvalidParameter" => "a registry parameter is out of its allowed range",
        "OperatorHasLeft" => {
            "the operator left the AVS; it must consent with `liveliness operator rejoin` before \
             governance can give it voting power"
        }
        "OperatorHasNotLeft" => "the operator has not left the AVS; there is nothing to rejoin",
        "EpochOutsidePenaltyWindow" => {
            "the task penalizes an operator for an epoch more than 31 epochs before the current \
             one; such a penalty can no longer be told apart from one already counted"
        }
        _ => return None,
    })
}

fn reverted(what: &str, name: &str, detail: &str) -> eyre::Report {
    // The decoder renders `Name(Name { args })`; keep `Name { args }`, or nothing when the
    // error has no arguments.
    let inner = detail
        .strip_prefix(name)
        .and_then(|d| d.strip_prefix('('))
        .and_then(|d| d.strip_suffix(')'))
        .unwrap_or(detail);
    let args = if inner == name {
        String::new()
    } else {
        format!(" [{inner}]")
    };
    match revert_hint(name) {
        Some(hint) => eyre!("{what}: the contract reverted with {name}: {hint}{args}"),
        None => eyre!("{what}: the contract reverted with {name}{args}"),
    }
}

/// An error of a contract call or transaction, naming the custom error of a revert.
pub fn contract_error(what: &str, err: alloy::contract::Error) -> eyre::Report {
    if let Some(data) = err.as_revert_data() {
        if let Some((name, detail)) = liveliness_chain::revert::decode(&data) {
            return reverted(what, &name, &detail);
        }
    }
    eyre::Report::new(err).wrap_err(what.to_owned())
}

/// An error of `liveliness_chain`, naming the custom error of a revert.
pub fn chain_error(what: &str, err: liveliness_chain::Error) -> eyre::Report {
    match &err {
        liveliness_chain::Error::Reverted { name, detail, .. } => reverted(what, name, detail),
        _ => eyre::Report::new(err).wrap_err(what.to_owned()),
    }
}

/// Simulates a contract call from the sender (so a revert comes back named), sends it and
/// waits for a successful receipt. `$what` describes the action for error messages.
macro_rules! send_tx {
    ($what:expr, $from:expr, $call:expr) => {{
        let what: &str = $what;
        let call = $call.from($from);
        call.call()
            .await
            .map_err(|e| $crate::chain::contract_error(what, e))?;
        let pending = call
            .send()
            .await
            .map_err(|e| $crate::chain::contract_error(what, e))?;
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|e| eyre::Report::new(e).wrap_err(format!("{what}: waiting for the receipt")))?;
        if !receipt.status() {
            eyre::bail!("{what}: transaction {} reverted", receipt.transaction_hash);
        }
        tracing::info!(tx = %receipt.transaction_hash, block = ?receipt.block_number, "{what}: done");
        receipt
    }};
}
pub(crate) use send_tx;

/// A `uint256` that must fit `u64` (block numbers, counts, scores).
pub fn to_u64(value: U256, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| eyre!("{what} {value} does not fit 64 bits"))
}
