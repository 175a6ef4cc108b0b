//! A deployed network on a fresh anvil with `n` registered operators.

use alloy::{
    network::EthereumWallet,
    node_bindings::AnvilInstance,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::{local::PrivateKeySigner, SignerSync},
};
use futures::future::try_join_all;
use liveliness_bls::{KeyPair, PublicKeyG2, Signature};
use liveliness_chain::{
    bindings::LivelinessRegistry, deploy, register_operator, set_voting_powers,
    test_utils::spawn_anvil, Certificate, DeployConfig, Deployment,
};
use liveliness_primitives::{cid_v1_raw, EpochBlock, Round, TaskData, TaskInfo};
use rand::{rngs::StdRng, SeedableRng};

pub struct Operator {
    pub id: u64,
    pub signer: PrivateKeySigner,
    pub keys: KeyPair,
}

impl Operator {
    pub fn address(&self) -> Address {
        self.signer.address()
    }
}

pub struct Net {
    anvil: AnvilInstance,
    pub provider: DynProvider,
    pub deployment: Deployment,
    pub operators: Vec<Operator>,
}

pub const EPOCH_LENGTH: u64 = 10;

impl Net {
    /// Deploys, registers `n` operators (ids 1..=n, voting power 1 each) in
    /// the AttestationCenter and the registry, and mines past the next epoch
    /// block so that every operator is active there.
    pub async fn start(n: usize) -> Self {
        let anvil = spawn_anvil(u32::try_from(n).unwrap() + 1);
        let keys = anvil.keys();
        let owner = PrivateKeySigner::from(keys[0].clone());
        let mut wallet = EthereumWallet::from(owner.clone());
        let signers: Vec<PrivateKeySigner> = keys[1..=n]
            .iter()
            .map(|k| PrivateKeySigner::from(k.clone()))
            .collect();
        for s in &signers {
            wallet.register_signer(s.clone());
        }
        let provider = ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(anvil.endpoint_url())
            .erased();
        let deployment = deploy(&provider, &DeployConfig::new(256)).await.unwrap();
        let ac = deployment.attestation_center;

        let mut rng = StdRng::seed_from_u64(n as u64);
        let pairs: Vec<(PrivateKeySigner, KeyPair)> = signers
            .into_iter()
            .map(|s| (s, KeyPair::random(&mut rng)))
            .collect();
        let ids = try_join_all(
            pairs
                .iter()
                .map(|(s, k)| register_operator(&provider, ac, s.address(), k)),
        )
        .await
        .unwrap();
        set_voting_powers(&provider, ac, &ids, &vec![1; n])
            .await
            .unwrap();
        let registry = LivelinessRegistry::new(deployment.registry, &provider);
        try_join_all(pairs.iter().enumerate().map(|(i, (s, _))| {
            let call = registry
                .register(format!("http://operator-{i}.example:8080/"))
                .from(s.address());
            async move { call.send().await.unwrap().get_receipt().await }
        }))
        .await
        .unwrap();

        let mut operators: Vec<Operator> = ids
            .into_iter()
            .zip(pairs)
            .map(|(id, (signer, keys))| Operator { id, signer, keys })
            .collect();
        operators.sort_by_key(|o| o.id);
        let net = Self {
            anvil,
            provider,
            deployment,
            operators,
        };
        let epoch = net.next_epoch_block().await;
        net.mine_to(epoch + 1).await;
        net
    }

    /// The anvil's JSON-RPC URL.
    pub fn rpc_url(&self) -> String {
        self.anvil.endpoint()
    }

    pub async fn block_number(&self) -> u64 {
        self.provider.get_block_number().await.unwrap()
    }

    pub async fn next_epoch_block(&self) -> u64 {
        let b = self.block_number().await;
        (b / EPOCH_LENGTH + 1) * EPOCH_LENGTH
    }

    /// Mines empty blocks until the chain head is at least `block`.
    pub async fn mine_to(&self, block: u64) {
        let head = self.block_number().await;
        if head < block {
            let _: serde_json::Value = self
                .provider
                .raw_request("anvil_mine".into(), (U256::from(block - head),))
                .await
                .unwrap();
        }
    }

    /// The most recent epoch block strictly below the head.
    pub async fn last_epoch_block(&self) -> (EpochBlock, B256) {
        let head = self.block_number().await;
        let epoch = (head - 1) / EPOCH_LENGTH * EPOCH_LENGTH;
        (EpochBlock(epoch), self.block_hash(epoch).await)
    }

    pub async fn block_hash(&self, block: u64) -> B256 {
        self.provider
            .get_block_by_number(block.into())
            .await
            .unwrap()
            .unwrap()
            .header
            .hash
    }

    pub fn operator(&self, id: u64) -> &Operator {
        &self.operators[usize::try_from(id - 1).unwrap()]
    }

    /// A task of the last epoch by `performer` naming `unhealthy`.
    pub async fn task(&self, performer: u64, unhealthy: &[u64]) -> TaskInfo {
        let (epoch_block, epoch_block_hash) = self.last_epoch_block().await;
        let data = TaskData {
            epoch_block,
            epoch_block_hash,
            unhealthy: unhealthy
                .iter()
                .map(|&id| self.operator(id).address())
                .collect(),
            missed_performers: vec![],
        };
        self.task_with_data(performer, data.abi_encode())
    }

    pub fn task_with_data(&self, performer: u64, data: Bytes) -> TaskInfo {
        TaskInfo {
            proof_of_task: cid_v1_raw(&data),
            data,
            task_performer: self.operator(performer).address(),
            task_definition_id: 1,
        }
    }

    /// The performer's `personal_sign` over the task's signing digest for
    /// round 0 of `epoch_block` (with its hash on this chain).
    pub async fn performer_signature(
        &self,
        task: &TaskInfo,
        performer: u64,
        epoch_block: EpochBlock,
    ) -> Bytes {
        let epoch_block_hash = self.block_hash(epoch_block.0).await;
        self.performer_signature_for_round(
            task.task_hash(),
            performer,
            epoch_block,
            epoch_block_hash,
            Round(0),
        )
    }

    /// The performer's `personal_sign` over the signing digest of the task
    /// `task_hash` for `round` of `epoch_block`.
    pub fn performer_signature_for_round(
        &self,
        task_hash: B256,
        performer: u64,
        epoch_block: EpochBlock,
        epoch_block_hash: B256,
        round: Round,
    ) -> Bytes {
        let digest = liveliness_primitives::task_signing_digest(
            task_hash,
            &liveliness_primitives::TaskContext {
                chain_id: self.deployment.chain_id,
                attestation_center: self.deployment.attestation_center,
                epoch_block,
                epoch_block_hash,
                round,
            },
        );
        let sig = self
            .operator(performer)
            .signer
            .sign_message_sync(digest.as_slice())
            .unwrap();
        Bytes::from(sig.as_bytes().to_vec())
    }

    /// A certificate for `task` at the last epoch block, signed (verdict
    /// `is_approved`) by every operator whose id is not in `non_signers`.
    pub async fn certificate(
        &self,
        task: &TaskInfo,
        is_approved: bool,
        non_signers: &[u64],
    ) -> Certificate {
        let (epoch_block, _) = self.last_epoch_block().await;
        self.certificate_at(task, is_approved, non_signers, epoch_block)
            .await
    }

    /// A certificate for `task` at `reference_block` (the performer signs the
    /// task for it), signed (verdict `is_approved`) by every operator whose id
    /// is not in `non_signers`.
    pub async fn certificate_at(
        &self,
        task: &TaskInfo,
        is_approved: bool,
        non_signers: &[u64],
        reference_block: EpochBlock,
    ) -> Certificate {
        let msg = task.vote_hash(
            self.deployment.attestation_center,
            self.deployment.chain_id,
            is_approved,
            reference_block,
        );
        let signers: Vec<&Operator> = self
            .operators
            .iter()
            .filter(|o| !non_signers.contains(&o.id))
            .collect();
        let sigs: Vec<Signature> = signers.iter().map(|o| o.keys.sign(&msg)).collect();
        let mut non_signer_ids = non_signers.to_vec();
        non_signer_ids.sort_unstable();
        Certificate {
            task: task.clone(),
            is_approved,
            performer_signature: self
                .performer_signature(task, task_performer_id(self, task), reference_block)
                .await,
            round: Round(0),
            epoch_block_hash: self.block_hash(reference_block.0).await,
            reference_block,
            sigma: Signature::aggregate(&sigs).unwrap(),
            apk_g2: PublicKeyG2::aggregate(signers.iter().map(|o| o.keys.pk_g2())).unwrap(),
            non_signer_ids,
        }
    }
}

fn task_performer_id(net: &Net, task: &TaskInfo) -> u64 {
    net.operators
        .iter()
        .find(|o| o.address() == task.task_performer)
        .map(|o| o.id)
        .expect("the performer is an operator")
}
