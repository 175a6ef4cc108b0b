//! Sending transactions.
//!
//! A node sends certificates and evidence from one account, often several
//! at once. Nonces come from the RPC's pending transaction count at each
//! send (the provider must use alloy's `SimpleNonceManager`): a locally
//! cached nonce advances even when a send fails (for example when gas
//! estimation reverts because another node's transaction landed first), and
//! every later transaction would then wait forever behind the gap. Sends in
//! one process therefore go one at a time, so that two of them never read the
//! same count, and a receipt is awaited for a bounded time.

use crate::{
    error::{Error, Result},
    revert,
};
use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::Ethereum,
    providers::{PendingTransactionBuilder, Provider},
    rpc::types::TransactionReceipt,
};
use std::time::Duration;
use tokio::sync::Mutex;

/// How long a sent transaction's receipt is awaited before the attempt
/// counts as failed (the caller retries, checking the chain first).
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// Held while one transaction is filled and broadcast.
static SEND_LOCK: Mutex<()> = Mutex::const_new(());

/// Fills and broadcasts `call`, one send at a time in this process.
pub(crate) async fn send<P: Provider, D: CallDecoder>(
    call: &CallBuilder<P, D>,
) -> Result<PendingTransactionBuilder<Ethereum>> {
    let _one_at_a_time = SEND_LOCK.lock().await;
    call.send().await.map_err(revert::map)
}

/// Waits (at most [`RECEIPT_TIMEOUT`]) for the receipt of a sent
/// transaction; a reverted one is [`Error::TxReverted`].
pub(crate) async fn confirm(
    pending: PendingTransactionBuilder<Ethereum>,
) -> Result<TransactionReceipt> {
    let receipt = pending
        .with_timeout(Some(RECEIPT_TIMEOUT))
        .get_receipt()
        .await?;
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(Error::TxReverted(receipt.transaction_hash))
    }
}
