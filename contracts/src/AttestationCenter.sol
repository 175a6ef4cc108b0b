// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAttestationCenter} from "./interfaces/IAttestationCenter.sol";
import {IAvsLogic} from "./interfaces/IAvsLogic.sol";
import {IEvidenceSink} from "./interfaces/IEvidenceSink.sol";
import {BN254, BN254_ECADD_GAS, BN254_ECMUL_GAS, BN254_PAIRING2_GAS} from "./libraries/BN254.sol";
import {Owned2Step} from "./utils/Owned2Step.sol";

/// @title AttestationCenter: the Liveliness operator set and BLS quorum verifier.
/// @notice Operators register a BN254 key pair (G1 and G2) with a proof of possession; governance (the
///         owner) sets their voting power; an operator is active while its voting power is above 0.
///         The aggregate G1 key of the active set, the total voting power and every operator's voting
///         power are kept as block-numbered, append-only histories, so that a certificate is judged
///         against the set as it stood at its reference block. Lookups take index hints from the
///         submitter and check them with one storage read, so gas does not grow with history length.
/// @dev Deployment limit: `block.number` must stay below 2^32 (block 4,294,967,296; see `_blockNumber32`).
///      A certificate costs two pairings, a hash to G1, and one G1 addition plus three storage reads per
///      non-signer; nothing per signer. Names and shapes follow Othentic's AttestationCenter where a
///      function exists there.
contract AttestationCenter is IAttestationCenter, Owned2Step {
    /// @dev secp256k1 order / 2: signatures with a larger `s` are malleable copies and are refused.
    uint256 private constant SECP256K1_HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @dev Slot of an `ApkEntry` (from its first) holding `fromBlock | toBlock << 32 | totalVotingPower << 64`.
    uint256 internal constant APK_ENTRY_META_SLOT = 2;
    /// @dev Slot of an `OperatorData` (from its first) holding pkG1.x; pkG1.y is in the next one.
    uint256 internal constant OPERATOR_PK_G1_SLOT = 2;

    /// @dev Per-operator record. Slot 0: address and current voting power. Slot 1: history length.
    ///      Slots 2-3 (`OPERATOR_PK_G1_SLOT`): pkG1. Slots 4-7: pkG2. The assembly of `_signersApk` and
    ///      `_sumNonSigners` reads these offsets directly; `test_StorageLayout_PinnedOffsets` pins them.
    struct OperatorData {
        address addr;
        uint96 votingPower;
        uint32 historyLength;
        uint32 activeIndex; // position + 1 in `_activeIds`; 0 = inactive
        uint32 activeSince; // block at which it last became active (meaningful while active)
        uint64 activeBlocks; // blocks it was active before `activeSince`
        bool left; // it left (`leave`); only its own `rejoin` lets governance give it power again
        uint256[2] pkG1;
        uint256[4] pkG2;
    }

    /// @notice The AVS logic whose hooks run on every submission (`address(0)`: none).
    address public avsLogic;
    /// @notice The largest `maxTaskAge`: the EVM knows the hashes of the last 256 blocks only, and a
    ///         certificate's epoch block hash is checked against the chain's.
    uint32 public constant MAX_TASK_AGE_LIMIT = 256;
    /// @notice How many blocks old a certificate's reference block may be.
    uint32 public maxTaskAge;
    /// @notice The highest operator id assigned (ids start at 1).
    uint256 public operatorCount;
    /// @notice An operator's id by address (0: not an operator).
    mapping(address operator => uint256 operatorId) public operatorsIdsByAddress;
    /// @notice Whether a certificate for a task (by `taskHash`) at a reference block has been submitted. Keyed
    ///         by both, so that a certificate at another block can never burn the task's own one.
    mapping(bytes32 taskHash => mapping(uint32 referenceBlock => bool)) public submitted;
    /// @notice Whether a vote equivocation (by `voteEquivocationKey`) has been proven.
    mapping(bytes32 offence => bool) public voteEquivocationProven;
    /// @notice Whether a task equivocation (by `taskEquivocationKey`) has been proven.
    mapping(bytes32 offence => bool) public taskEquivocationProven;

    mapping(bytes32 keyHash => bool) private _keyUsed;
    mapping(uint256 operatorId => OperatorData) internal _operators;
    mapping(uint256 operatorId => mapping(uint256 index => VotingPowerEntry)) internal _powerHistory;
    mapping(uint256 index => ApkEntry) internal _apkHistory;
    uint256 private _apkHistoryLength;
    /// @dev Ids of the operators active now, in no particular order (swap-and-pop on removal).
    uint256[] private _activeIds;

    /// @dev The reference block of the task whose hooks are running (0 outside `submitTask`).
    uint256 private transient _taskReferenceBlock;

    constructor(address owner_, uint32 maxTaskAge_, address avsLogic_) Owned2Step(owner_) {
        if (maxTaskAge_ == 0 || maxTaskAge_ > MAX_TASK_AGE_LIMIT) revert InvalidMaxTaskAge(maxTaskAge_);
        maxTaskAge = maxTaskAge_;
        avsLogic = avsLogic_;
        emit MaxTaskAgeSet(maxTaskAge_);
        emit AvsLogicSet(avsLogic_);
        _apkHistory[0] = ApkEntry(0, 0, _blockNumber32(), 0, 0);
        _apkHistoryLength = 1;
    }

    // =============================================================================================
    // Governance
    // =============================================================================================

    /// @notice Sets the AVS logic whose hooks run on every submission (`address(0)`: none).
    function setAvsLogic(address avsLogic_) external onlyOwner {
        avsLogic = avsLogic_;
        emit AvsLogicSet(avsLogic_);
    }

    /// @notice Sets how many blocks old a certificate's reference block may be (1 to `MAX_TASK_AGE_LIMIT`).
    function setMaxTaskAge(uint32 maxTaskAge_) external onlyOwner {
        if (maxTaskAge_ == 0 || maxTaskAge_ > MAX_TASK_AGE_LIMIT) revert InvalidMaxTaskAge(maxTaskAge_);
        maxTaskAge = maxTaskAge_;
        emit MaxTaskAgeSet(maxTaskAge_);
    }

    /// @notice Sets an operator's voting power; 0 makes it inactive. Power above 0 for an operator that left
    ///         reverts `OperatorHasLeft` until the operator itself calls `rejoin`.
    function setVotingPower(uint256 operatorId, uint96 votingPower) external onlyOwner {
        _checkOperatorId(operatorId);
        _setVotingPower(operatorId, votingPower);
    }

    /// @notice Batch form of `setVotingPower`.
    function setVotingPowers(uint256[] calldata operatorIds, uint96[] calldata votingPowers) external onlyOwner {
        if (operatorIds.length != votingPowers.length) revert LengthMismatch(operatorIds.length, votingPowers.length);
        for (uint256 i = 0; i < operatorIds.length; ++i) {
            _checkOperatorId(operatorIds[i]);
            _setVotingPower(operatorIds[i], votingPowers[i]);
        }
    }

    // =============================================================================================
    // Operators
    // =============================================================================================

    /// @notice Registers the caller as an operator with BLS keys `pkG1 = sk·g1`, `pkG2 = sk·g2` and the
    ///         proof of possession `pop = sk·H(popMessage(caller))`. The new operator starts with voting
    ///         power 0 (inactive) until governance sets it.
    /// @dev One pairing checks `e(pop + γ·pkG1, −g2) · e(H(m) + γ·g1, pkG2) == 1` with
    ///      `γ = keccak256(abi.encodePacked(pop, pkG1, pkG2, m)) mod r`: it proves that both keys share one
    ///      secret the caller knows. A check on pkG2 alone would admit a rogue G1 key `pk − Σ others`.
    /// @return operatorId the new id (ids start at 1).
    function registerOperator(uint256[2] calldata pkG1, uint256[4] calldata pkG2, uint256[2] calldata pop)
        external
        returns (uint256 operatorId)
    {
        uint256 existing = operatorsIdsByAddress[msg.sender];
        if (existing != 0) revert AlreadyRegistered(msg.sender, existing);
        if ((pkG1[0] | pkG1[1]) == 0) revert PublicKeyG1AtInfinity();
        if (!BN254.isOnCurve(pkG1[0], pkG1[1])) revert InvalidPublicKeyG1();
        if ((pkG2[0] | pkG2[1] | pkG2[2] | pkG2[3]) == 0) revert PublicKeyG2AtInfinity();
        bytes32 g1Hash = keccak256(abi.encodePacked(pkG1));
        bytes32 g2Hash = keccak256(abi.encodePacked(pkG2));
        if (_keyUsed[g1Hash]) revert KeyAlreadyRegistered(g1Hash);
        if (_keyUsed[g2Hash]) revert KeyAlreadyRegistered(g2Hash);
        _checkProofOfPossession(msg.sender, pkG1, pkG2, pop);

        _keyUsed[g1Hash] = true;
        _keyUsed[g2Hash] = true;
        operatorId = ++operatorCount;
        operatorsIdsByAddress[msg.sender] = operatorId;
        OperatorData storage op = _operators[operatorId];
        op.addr = msg.sender;
        op.pkG1 = pkG1;
        op.pkG2 = pkG2;
        emit OperatorRegistered(operatorId, msg.sender, pkG1, pkG2);
    }

    /// @notice The caller leaves the AVS: its voting power becomes 0 (if it was not already), and governance
    ///         cannot give it power again until the caller consents with `rejoin`. An operator that governance
    ///         already made inactive may leave too, so that it cannot be made active again without its consent.
    function leave() external {
        uint256 operatorId = operatorsIdsByAddress[msg.sender];
        if (operatorId == 0) revert NotAnOperator(msg.sender);
        OperatorData storage op = _operators[operatorId];
        if (op.left) revert OperatorHasLeft(operatorId);
        if (op.votingPower != 0) _setVotingPower(operatorId, 0);
        op.left = true;
        emit OperatorLeft(operatorId, msg.sender);
    }

    /// @notice The caller, which left with `leave`, consents to serve again: governance may then give it voting
    ///         power. It stays inactive until governance does.
    function rejoin() external {
        uint256 operatorId = operatorsIdsByAddress[msg.sender];
        if (operatorId == 0) revert NotAnOperator(msg.sender);
        OperatorData storage op = _operators[operatorId];
        if (!op.left) revert OperatorHasNotLeft(operatorId);
        op.left = false;
        emit OperatorRejoined(operatorId, msg.sender);
    }

    /// @notice The message an operator's proof of possession signs:
    ///         `keccak256(abi.encode("liveliness/pop/v1", operator, address(this), block.chainid))`.
    function popMessage(address operator) public view returns (bytes32) {
        return keccak256(abi.encode("liveliness/pop/v1", operator, address(this), block.chainid));
    }

    // =============================================================================================
    // Tasks
    // =============================================================================================

    /// @notice Verifies a task's certificate and hands the task to the AVS logic.
    /// @dev Order of checks: duplicate (first, so a racing duplicate is cheap), reference block window,
    ///      performer signature and activity, BLS certificate, threshold. Then marks the task submitted at its
    ///      reference block, emits `TaskSubmitted`/`TaskRejected` and calls the hooks with
    ///      `taskReferenceBlock()` set. Both signatures are bound to the reference block: the performer's
    ///      commits to it as the task's epoch block (and to the task's `round`), and the votes sign it inside
    ///      `voteHash`. So a certificate is valid at one reference block only, the epoch block its performer
    ///      chose. `round` is checked only as part of the performer's signature.
    ///      The hooks receive σ as `taSignature` and the NON-signer ids as the last array (Othentic passes
    ///      the attesters' ids; passing every signer would make gas grow with the number of attesters).
    function submitTask(
        TaskInfo calldata task,
        bool isApproved,
        bytes calldata tpSignature,
        uint32 round,
        bytes32 epochBlockHash,
        Attestation calldata att
    ) external {
        bytes32 th = _taskHash(task);
        uint32 ref = att.referenceBlock;
        if (submitted[th][ref]) revert TaskAlreadySubmitted(th, ref);

        address logic = avsLogic;
        {
            uint32 maxAge = maxTaskAge;
            if (ref >= block.number) revert ReferenceBlockNotInPast(ref, block.number);
            if (block.number - ref > maxAge) revert ReferenceBlockTooOld(ref, block.number, maxAge);
        }

        {
            // The performer signed for this chain's block. The EVM knows it: `maxTaskAge ≤ 256`.
            bytes32 known = blockhash(ref);
            if (known != epochBlockHash) revert EpochBlockHashMismatch(ref, epochBlockHash, known);
        }
        _checkPerformer(
            th, task.taskPerformer, tpSignature, _TaskContext(ref, epochBlockHash, round), att.performerHint
        );

        {
            (uint256 signedPower, uint256 totalPower) = _verifyAttestation(_voteHash(task, isApproved, ref), att);
            if (!_meetsThreshold(signedPower, totalPower)) {
                revert QuorumNotReached(isApproved, signedPower, totalPower);
            }
        }

        submitted[th][ref] = true;
        if (isApproved) {
            emit TaskSubmitted(th, task.taskPerformer, ref, task.taskDefinitionId, task.proofOfTask);
        } else {
            emit TaskRejected(th, task.taskPerformer, ref, task.taskDefinitionId, task.proofOfTask);
        }

        if (logic != address(0)) {
            uint256 outer = _taskReferenceBlock; // restored afterwards, should a hook submit another task
            _taskReferenceBlock = ref;
            _callHooks(logic, task, isApproved, tpSignature, att);
            _taskReferenceBlock = outer;
        }
    }

    /// @dev Calls `beforeTaskSubmission` then `afterTaskSubmission`; both take the same arguments, so they are
    ///      ABI-encoded once and only the selector is swapped. A revert in a hook reverts the submission with
    ///      the hook's revert data.
    function _callHooks(
        address logic,
        TaskInfo calldata task,
        bool isApproved,
        bytes calldata tpSignature,
        Attestation calldata att
    ) internal {
        if (logic.code.length == 0) revert AvsLogicNotAContract(logic);
        bytes memory payload = abi.encodeCall(
            IAvsLogic.beforeTaskSubmission, (task, isApproved, tpSignature, att.sigma, att.nonSignerIds)
        );
        _callHook(logic, payload);
        bytes4 afterSelector = IAvsLogic.afterTaskSubmission.selector;
        assembly ("memory-safe") {
            let p := add(payload, 0x20)
            mstore(p, or(afterSelector, shr(32, shl(32, mload(p)))))
        }
        _callHook(logic, payload);
    }

    function _callHook(address logic, bytes memory payload) internal {
        (bool ok, bytes memory ret) = logic.call(payload);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    /// @notice The reference block of the task being submitted; valid during the AVS logic hooks, 0 otherwise.
    function taskReferenceBlock() external view returns (uint256) {
        return _taskReferenceBlock;
    }

    /// @notice `keccak256(abi.encode(proofOfTask, data, taskPerformer, taskDefinitionId))`.
    function taskHash(TaskInfo calldata task) external pure returns (bytes32) {
        return _taskHash(task);
    }

    /// @notice The digest the performer signs (EIP-191 `personal_sign`) for its task of round `round` of the
    ///         epoch that starts at block `epochBlock` with hash `epochBlockHash`: `keccak256(abi.encode(
    ///         "liveliness/task/v4", block.chainid, address(this), taskHash, uint256(epochBlock), epochBlockHash,
    ///         uint256(round)))`. `submitTask` checks it with `epochBlock = referenceBlock`; two such signatures
    ///         over different tasks for one `(epochBlock, epochBlockHash, round)` prove a task equivocation
    ///         (`proveTaskEquivocation`). A performer that signs again after a reorg of its epoch block signs for
    ///         another hash: no equivocation.
    function taskSigningDigest(bytes32 th, uint32 epochBlock, bytes32 epochBlockHash, uint32 round)
        public
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode("liveliness/task/v4", block.chainid, address(this), th, epochBlock, epochBlockHash, round)
        );
    }

    /// @notice The message attesters sign (BLS, over `H(voteHash)`):
    ///         `keccak256(abi.encode(proofOfTask, data, taskPerformer, taskDefinitionId, address(this),
    ///         block.chainid, isApproved, uint256(referenceBlock)))`.
    function voteHash(TaskInfo calldata task, bool isApproved, uint32 referenceBlock) external view returns (bytes32) {
        return _voteHash(task, isApproved, referenceBlock);
    }

    // =============================================================================================
    // Evidence
    // =============================================================================================

    /// @notice Proves that operator `operatorId` signed both the approve and the reject vote of `task` at
    ///         `referenceBlock`: two BLS signatures over `H(voteHash(task, true, referenceBlock))` and
    ///         `H(voteHash(task, false, referenceBlock))`, checked against its registered G2 key. Anyone may call
    ///         it. The operator must have been active at `referenceBlock` (`operatorHint` indexes its
    ///         voting-power history). Each offence is accepted once: it emits `VoteEquivocationProven` and calls
    ///         the AVS logic's `IEvidenceSink.onVoteEquivocation` (if an AVS logic is set).
    /// @dev One pairing check for both signatures: `e(σA + γ·σR, −g2) · e(H(mA) + γ·H(mR), pkG2) == 1` with
    ///      `γ = keccak256(abi.encodePacked(mA, mR, σA, σR, pkG2)) mod r`. The key came with a proof of
    ///      possession, so no G1 binding is needed.
    function proveVoteEquivocation(
        TaskInfo calldata task,
        uint32 referenceBlock,
        uint256 operatorId,
        uint32 operatorHint,
        uint256[2] calldata approveSignature,
        uint256[2] calldata rejectSignature
    ) external {
        bytes32 th = _taskHash(task);
        bytes32 offence = voteEquivocationKey(operatorId, th, referenceBlock);
        if (voteEquivocationProven[offence]) revert EquivocationAlreadyProven(offence);
        _checkOperatorId(operatorId);
        if (referenceBlock >= block.number) revert ReferenceBlockNotInPast(referenceBlock, block.number);
        if (_operatorPowerAt(operatorId, operatorHint, referenceBlock) == 0) {
            revert EquivocatorNotActive(operatorId, referenceBlock);
        }
        _checkVotePair(
            operatorId,
            _voteHash(task, true, referenceBlock),
            _voteHash(task, false, referenceBlock),
            approveSignature,
            rejectSignature
        );

        voteEquivocationProven[offence] = true;
        address operator = _operators[operatorId].addr;
        emit VoteEquivocationProven(operatorId, operator, th, referenceBlock);
        address logic = avsLogic;
        if (logic != address(0)) {
            if (logic.code.length == 0) revert AvsLogicNotAContract(logic);
            IEvidenceSink(logic).onVoteEquivocation(operator, referenceBlock);
        }
    }

    /// @notice Proves that `performer` signed two different tasks, `a.taskHash` and `b.taskHash`, for one round
    ///         `round` of the epoch that starts at block `epochBlock` with hash `epochBlockHash`: two task
    ///         signatures (`taskSigningDigest`, the signature `submitTask` takes), neither of which needs to have
    ///         been submitted. Anyone may call it. The performer must have been active at `epochBlock`
    ///         (`performerHint` indexes its voting-power history). Each offence, one `(performer, epochBlock,
    ///         epochBlockHash, round)`, is accepted once: it emits `TaskEquivocationProven` and calls the AVS
    ///         logic's `IEvidenceSink.onTaskEquivocation` (if an AVS logic is set).
    function proveTaskEquivocation(
        address performer,
        uint32 epochBlock,
        bytes32 epochBlockHash,
        uint32 round,
        uint32 performerHint,
        SignedTask calldata a,
        SignedTask calldata b
    ) external {
        if (a.taskHash == b.taskHash) revert SameTask(a.taskHash);
        uint256 operatorId = operatorsIdsByAddress[performer];
        if (operatorId == 0) revert PerformerNotOperator(performer);
        bytes32 offence = taskEquivocationKey(operatorId, epochBlock, epochBlockHash, round);
        if (taskEquivocationProven[offence]) revert EquivocationAlreadyProven(offence);
        if (epochBlock >= block.number) revert ReferenceBlockNotInPast(epochBlock, block.number);
        if (_operatorPowerAt(operatorId, performerHint, epochBlock) == 0) {
            revert EquivocatorNotActive(operatorId, epochBlock);
        }
        _TaskContext memory ctx = _TaskContext(epochBlock, epochBlockHash, round);
        _checkTaskSignature(a.taskHash, performer, a.signature, ctx);
        _checkTaskSignature(b.taskHash, performer, b.signature, ctx);

        taskEquivocationProven[offence] = true;
        emit TaskEquivocationProven(operatorId, performer, epochBlock, epochBlockHash, round, a.taskHash, b.taskHash);
        address logic = avsLogic;
        if (logic != address(0)) {
            if (logic.code.length == 0) revert AvsLogicNotAContract(logic);
            IEvidenceSink(logic).onTaskEquivocation(performer, epochBlock);
        }
    }

    /// @notice The key of a task equivocation: `keccak256(abi.encode(operatorId, uint256(epochBlock),
    ///         epochBlockHash, uint256(round)))`.
    function taskEquivocationKey(uint256 operatorId, uint32 epochBlock, bytes32 epochBlockHash, uint32 round)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(operatorId, epochBlock, epochBlockHash, round));
    }

    /// @notice The key of a vote equivocation: `keccak256(abi.encode(operatorId, taskHash, referenceBlock))`.
    function voteEquivocationKey(uint256 operatorId, bytes32 th, uint32 referenceBlock) public pure returns (bytes32) {
        return keccak256(abi.encode(operatorId, th, referenceBlock));
    }

    // =============================================================================================
    // Views
    // =============================================================================================

    /// @notice Number of operators with voting power above 0 now.
    function numOfActiveOperators() external view returns (uint256) {
        return _activeIds.length;
    }

    /// @notice Every operator active now, in the order of the active list (not id order; it changes when an
    ///         operator becomes inactive). O(active): operators registered but inactive cost nothing. Nodes read
    ///         `getActiveOperatorsDetailsPage`, which bounds each call.
    function getActiveOperatorsDetails() external view returns (OperatorDetails[] memory) {
        return _activePage(0, _activeIds.length);
    }

    /// @notice The active operators at positions `[offset, offset + limit)` of the active list, and the list's
    ///         length. Read every page at one block to get a consistent set.
    function getActiveOperatorsDetailsPage(uint256 offset, uint256 limit)
        external
        view
        returns (OperatorDetails[] memory page, uint256 total)
    {
        return (_activePage(offset, limit), _activeIds.length);
    }

    /// @notice Blocks during which `operator` had voting power above 0, over its lifetime, up to and including
    ///         the current block's state (0 for a non-operator). Grows by one per block while it is active and not
    ///         at all otherwise; the registry's score accrues from it.
    function activeBlocksOf(address operator) external view returns (uint256) {
        uint256 operatorId = operatorsIdsByAddress[operator];
        if (operatorId == 0) return 0;
        OperatorData storage op = _operators[operatorId];
        if (op.votingPower == 0) return op.activeBlocks;
        return op.activeBlocks + (block.number - op.activeSince);
    }

    /// @notice True iff operator `operatorId` left with `leave` and has not called `rejoin` since.
    function hasLeft(uint256 operatorId) external view returns (bool) {
        return _operators[operatorId].left;
    }

    /// @notice An operator's address, keys and current voting power. Reverts for an unknown id.
    function getOperator(uint256 operatorId)
        external
        view
        returns (address operator, uint256[2] memory pkG1, uint256[4] memory pkG2, uint96 votingPower)
    {
        _checkOperatorId(operatorId);
        OperatorData storage op = _operators[operatorId];
        return (op.addr, op.pkG1, op.pkG2, op.votingPower);
    }

    /// @notice True iff `operator` is a registered operator with voting power above 0 now.
    function isActive(address operator) external view returns (bool) {
        uint256 operatorId = operatorsIdsByAddress[operator];
        return operatorId != 0 && _operators[operatorId].votingPower != 0;
    }

    /// @notice True iff operator `operatorId` had voting power above 0 at `blockNumber`.
    function isActiveAt(uint256 operatorId, uint32 blockNumber) external view returns (bool) {
        return votingPowerAt(operatorId, blockNumber) != 0;
    }

    /// @notice Operator `operatorId`'s voting power at `blockNumber` (0 before its first entry).
    function votingPowerAt(uint256 operatorId, uint32 blockNumber) public view returns (uint96) {
        (bool found, uint256 index) = _searchOperator(operatorId, blockNumber);
        return found ? _powerHistory[operatorId][index].votingPower : 0;
    }

    /// @notice The total voting power of the active set now.
    function totalVotingPower() external view returns (uint96) {
        return _apkHistory[_apkHistoryLength - 1].totalVotingPower;
    }

    /// @notice The total voting power of the active set at `blockNumber` (0 before deployment).
    function totalVotingPowerAt(uint32 blockNumber) external view returns (uint96) {
        (bool found, uint256 index) = _searchApk(blockNumber);
        return found ? _apkHistory[index].totalVotingPower : 0;
    }

    /// @notice The aggregate G1 key of the active set now ((0, 0) when empty).
    function currentApk() external view returns (uint256[2] memory) {
        ApkEntry storage e = _apkHistory[_apkHistoryLength - 1];
        return [e.apkX, e.apkY];
    }

    /// @notice The aggregate G1 key of the active set at `blockNumber` ((0, 0) when empty).
    function apkAt(uint32 blockNumber) external view returns (uint256[2] memory apk) {
        (bool found, uint256 index) = _searchApk(blockNumber);
        if (found) apk = [_apkHistory[index].apkX, _apkHistory[index].apkY];
    }

    /// @notice Number of entries in operator `operatorId`'s voting-power history.
    function operatorHistoryLength(uint256 operatorId) external view returns (uint256) {
        return _operators[operatorId].historyLength;
    }

    /// @notice Entry `index` of operator `operatorId`'s voting-power history (zeros past the end).
    function operatorHistoryAt(uint256 operatorId, uint256 index) external view returns (VotingPowerEntry memory) {
        return _powerHistory[operatorId][index];
    }

    /// @notice Number of entries in the aggregate-key history.
    function apkHistoryLength() external view returns (uint256) {
        return _apkHistoryLength;
    }

    /// @notice Entry `index` of the aggregate-key history (zeros past the end).
    function apkHistoryAt(uint256 index) external view returns (ApkEntry memory) {
        return _apkHistory[index];
    }

    /// @notice The `performerHint`/`nonSignerHints` value for `operatorId` at `blockNumber` (binary search;
    ///         for off-chain use). Reverts `NoOperatorHistoryAt` before the operator's first entry.
    function operatorHintAt(uint256 operatorId, uint32 blockNumber) external view returns (uint32) {
        (bool found, uint256 index) = _searchOperator(operatorId, blockNumber);
        if (!found) revert NoOperatorHistoryAt(operatorId, blockNumber);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(index); // index < historyLength, a uint32
    }

    /// @notice The `apkHint` value for `blockNumber` (binary search; for off-chain use).
    ///         Reverts `NoApkHistoryAt` before deployment.
    function apkHintAt(uint32 blockNumber) external view returns (uint32) {
        (bool found, uint256 index) = _searchApk(blockNumber);
        if (!found) revert NoApkHistoryAt(blockNumber);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(index); // at most one entry per block and block numbers are uint32
    }

    // =============================================================================================
    // Internals: verification
    // =============================================================================================

    /// @dev Approve and reject alike need `3·signed > 2·total`: strict, on integers. A reject penalizes its
    ///      performer, so a coalition of at most 2/3 (one that can block an approval) cannot penalize one;
    ///      approve and reject of one task at one reference block are both valid only if operators with more
    ///      than 1/3 of the power signed both.
    function _meetsThreshold(uint256 signedPower, uint256 totalPower) internal pure returns (bool) {
        return 3 * signedPower > 2 * totalPower;
    }

    /// @dev Checks the BLS certificate of `att` over `H(vh)` and returns the signed and total voting power
    ///      at the reference block.
    function _verifyAttestation(bytes32 vh, Attestation calldata att)
        internal
        view
        returns (uint256 signedPower, uint256 totalPower)
    {
        (uint256 ax, uint256 ay, uint256 signed, uint256 total) = _signersApk(att);
        (uint256 hx, uint256 hy) = _hashToG1Hinted(vh, att.h2cHint);
        _checkBls(vh, hx, hy, ax, ay, att.sigma, att.apkG2);
        return (signed, total);
    }

    /// @dev apk(referenceBlock) − Σ pkG1(nonSigner), with the signed and total voting power.
    function _signersApk(Attestation calldata att)
        internal
        view
        returns (uint256 ax, uint256 ay, uint256 signedPower, uint256 totalPower)
    {
        uint32 ref = att.referenceBlock;
        {
            uint32 apkHint = att.apkHint;
            ApkEntry storage entry = _apkHistory[apkHint];
            uint256 meta;
            assembly ("memory-safe") {
                meta := sload(add(entry.slot, APK_ENTRY_META_SLOT))
            }
            if (!_entryCovers(meta, ref)) revert InvalidApkHint(apkHint, ref);
            totalPower = meta >> 64;
            ax = entry.apkX;
            ay = entry.apkY;
        }

        if (att.nonSignerIds.length == 0) return (ax, ay, totalPower, totalPower);
        (uint256 sx, uint256 sy, uint256 nonSignerPower) = _sumNonSigners(att.nonSignerIds, att.nonSignerHints, ref);
        (sx, sy) = BN254.neg(sx, sy);
        (ax, ay) = BN254.add(ax, ay, sx, sy);
        signedPower = totalPower - nonSignerPower;
    }

    /// @dev Σ pkG1 and Σ voting power of the non-signers, each strictly after the previous and active at `ref`.
    function _sumNonSigners(uint256[] calldata ids, uint32[] calldata hints, uint32 ref)
        internal
        view
        returns (uint256 sx, uint256 sy, uint256 nonSignerPower)
    {
        uint256 n = ids.length;
        if (hints.length != n) revert LengthMismatch(n, hints.length);
        uint256 previous;
        for (uint256 i = 0; i < n; ++i) {
            uint256 operatorId = ids[i];
            if (operatorId <= previous) revert NonSignersNotStrictlyIncreasing(i, operatorId);
            previous = operatorId;
            uint256 hint = hints[i];
            uint256 word;
            uint256 px;
            uint256 py;
            // Three storage reads per non-signer: its history entry and its G1 key (OperatorData slots
            // OPERATOR_PK_G1_SLOT and the next), addressed directly to keep the loop lean.
            assembly ("memory-safe") {
                mstore(0x00, operatorId)
                mstore(0x20, _powerHistory.slot)
                mstore(0x20, keccak256(0x00, 0x40))
                mstore(0x00, hint)
                word := sload(keccak256(0x00, 0x40))
                mstore(0x00, operatorId)
                mstore(0x20, _operators.slot)
                let base := keccak256(0x00, 0x40)
                px := sload(add(base, OPERATOR_PK_G1_SLOT))
                py := sload(add(base, add(OPERATOR_PK_G1_SLOT, 1)))
            }
            if (!_entryCovers(word, ref)) {
                // forge-lint: disable-next-line(unsafe-typecast)
                revert InvalidOperatorHint(operatorId, uint32(hint), ref); // hint came in as a uint32
            }
            uint256 power = word >> 64;
            if (power == 0) revert NonSignerNotActive(operatorId, ref);
            nonSignerPower += power;
            (sx, sy) = BN254.add(sx, sy, px, py);
        }
    }

    /// @dev `e(σ + γ·apk, −g2) · e(H(vh) + γ·g1, apkG2) == 1` with
    ///      `γ = keccak256(abi.encodePacked(vh, apk, apkG2, σ)) mod r`. Written against the precompiles in one
    ///      memory buffer: this is the hot path of every submission.
    /// @dev `BN254.hashToG1(h)`, checked from `hint` instead of computed (one modular exponentiation, about
    ///      1,760 gas, per try saved): for each try `x` before the last, `hint` holds `w` with
    ///      `w² = −(x³ + 3)`, proving `x³ + 3` is no square (−1 is none, as p ≡ 3 mod 4); for the last, `z` with
    ///      `(z²)² = x³ + 3`, so `y = z²` is a root and the square one, which is the one `BN254.hashToG1` takes
    ///      (`β^((p+1)/4)` is a square). So a valid hint gives exactly `BN254.hashToG1(h)`, and any other reverts.
    function _hashToG1Hinted(bytes32 h, uint256[] calldata hint) internal pure returns (uint256 x, uint256 y) {
        uint256 p = BN254.P;
        uint256 n = hint.length;
        if (n == 0) revert InvalidHashToG1Hint(0);
        x = uint256(h) % p;
        uint256 last = n - 1;
        uint256 failed = last; // index of a failed-try word that does not check, `last` if none
        assembly ("memory-safe") {
            let words := hint.offset
            for { let j := 0 } lt(j, last) { j := add(j, 1) } {
                let beta := addmod(mulmod(mulmod(x, x, p), x, p), 3, p)
                let w := calldataload(add(words, shl(5, j)))
                if or(iszero(beta), iszero(eq(mulmod(w, w, p), sub(p, beta)))) {
                    failed := j
                    break
                }
                x := addmod(x, 1, p)
            }
        }
        if (failed != last) revert InvalidHashToG1Hint(failed);
        uint256 z = hint[last];
        y = mulmod(z, z, p);
        if (mulmod(y, y, p) != addmod(mulmod(mulmod(x, x, p), x, p), 3, p)) revert InvalidHashToG1Hint(last);
    }

    function _checkBls(
        bytes32 vh,
        uint256 hx,
        uint256 hy,
        uint256 ax,
        uint256 ay,
        uint256[2] calldata sigma,
        uint256[4] calldata apkG2
    ) internal view {
        if (!BN254.isOnCurve(sigma[0], sigma[1])) revert InvalidSignaturePoint();
        uint256[4] memory negG2 = BN254.negG2();
        bool success;
        bool valid;
        assembly ("memory-safe") {
            let m := mload(0x40)
            // γ = keccak256(vh ‖ apk ‖ apkG2 ‖ σ) mod r
            mstore(m, vh)
            mstore(add(m, 0x20), ax)
            mstore(add(m, 0x40), ay)
            calldatacopy(add(m, 0x60), apkG2, 0x80)
            calldatacopy(add(m, 0xe0), sigma, 0x40)
            let gamma := mod(keccak256(m, 0x120), 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001)
            // pairing input at m: [σ + γ·apk][−g2][H(vh) + γ·g1][apkG2]
            mstore(m, ax)
            mstore(add(m, 0x20), ay)
            mstore(add(m, 0x40), gamma)
            let ok := staticcall(BN254_ECMUL_GAS, 0x07, m, 0x60, m, 0x40)
            calldatacopy(add(m, 0x40), sigma, 0x40)
            ok := and(ok, staticcall(BN254_ECADD_GAS, 0x06, m, 0x80, m, 0x40))
            let q := add(m, 0xc0)
            mstore(q, 1)
            mstore(add(q, 0x20), 2)
            mstore(add(q, 0x40), gamma)
            ok := and(ok, staticcall(BN254_ECMUL_GAS, 0x07, q, 0x60, q, 0x40))
            mstore(add(q, 0x40), hx)
            mstore(add(q, 0x60), hy)
            ok := and(ok, staticcall(BN254_ECADD_GAS, 0x06, q, 0x80, q, 0x40))
            mcopy(add(m, 0x40), negG2, 0x80)
            calldatacopy(add(q, 0x40), apkG2, 0x80)
            // The G1 steps cannot fail (apk from storage, σ checked, H on the curve): a failure is apkG2's.
            success := and(ok, staticcall(BN254_PAIRING2_GAS, 0x08, m, 0x180, m, 0x20))
            valid := and(success, eq(mload(m), 1))
        }
        if (!success) revert InvalidAggregateKeyG2();
        if (!valid) revert InvalidBlsSignature();
    }

    /// @dev Both signatures of one operator, over `ma` and `mr`, in one pairing check (see
    ///      `proveVoteEquivocation`).
    function _checkVotePair(uint256 operatorId, bytes32 ma, bytes32 mr, uint256[2] calldata sa, uint256[2] calldata sr)
        internal
        view
    {
        if (!BN254.isOnCurve(sa[0], sa[1]) || !BN254.isOnCurve(sr[0], sr[1])) revert InvalidSignaturePoint();
        uint256[4] memory pkG2 = _operators[operatorId].pkG2;
        uint256 gamma = uint256(keccak256(abi.encodePacked(ma, mr, sa, sr, pkG2))) % BN254.R;
        (uint256 sx, uint256 sy) = BN254.mul(sr[0], sr[1], gamma);
        (sx, sy) = BN254.add(sa[0], sa[1], sx, sy);
        (uint256 hx, uint256 hy) = BN254.hashToG1(mr);
        (hx, hy) = BN254.mul(hx, hy, gamma);
        (uint256 ax, uint256 ay) = BN254.hashToG1(ma);
        (hx, hy) = BN254.add(ax, ay, hx, hy);
        (bool success, bool valid) = BN254.pairingWithNegG2(sx, sy, hx, hy, pkG2);
        if (!success || !valid) revert InvalidBlsSignature();
    }

    /// @dev What a performer's task signature is for: one round of the epoch at a block with a hash.
    struct _TaskContext {
        uint32 epochBlock;
        bytes32 epochBlockHash;
        uint32 round;
    }

    function _checkPerformer(bytes32 th, address performer, bytes calldata sig, _TaskContext memory ctx, uint32 hint)
        internal
        view
    {
        _checkTaskSignature(th, performer, sig, ctx);
        uint256 operatorId = operatorsIdsByAddress[performer];
        if (operatorId == 0) revert PerformerNotOperator(performer);
        if (_operatorPowerAt(operatorId, hint, ctx.epochBlock) == 0) {
            revert PerformerNotActive(performer, ctx.epochBlock);
        }
    }

    /// @dev `sig` is `performer`'s 65-byte `r ‖ s ‖ v` EIP-191 signature of `taskSigningDigest(th, ctx.epochBlock,
    ///      ctx.epochBlockHash, ctx.round)`, with a low `s` and `v` in {0, 1, 27, 28}.
    function _checkTaskSignature(bytes32 th, address performer, bytes calldata sig, _TaskContext memory ctx)
        internal
        view
    {
        if (sig.length != 65) revert InvalidPerformerSignatureLength(sig.length);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if (v != 27 && v != 28) revert InvalidPerformerSignatureV(uint8(sig[64]));
        if (uint256(s) > SECP256K1_HALF_ORDER) revert PerformerSignatureHighS();
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19Ethereum Signed Message:\n32", taskSigningDigest(th, ctx.epochBlock, ctx.epochBlockHash, ctx.round)
            )
        );
        address recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0) || recovered != performer) revert InvalidPerformerSignature(recovered, performer);
    }

    function _checkProofOfPossession(
        address operator,
        uint256[2] calldata pkG1,
        uint256[4] calldata pkG2Cd,
        uint256[2] calldata pop
    ) internal view {
        if (!BN254.isOnCurve(pop[0], pop[1])) revert InvalidProofOfPossession();
        bytes32 m = popMessage(operator);
        uint256 gamma = uint256(keccak256(abi.encodePacked(pop, pkG1, pkG2Cd, m))) % BN254.R;
        (uint256 px, uint256 py) = BN254.mul(pkG1[0], pkG1[1], gamma);
        (px, py) = BN254.add(pop[0], pop[1], px, py);
        (uint256 hx, uint256 hy) = BN254.hashToG1(m);
        (uint256 qx, uint256 qy) = BN254.mul(BN254.G1_X, BN254.G1_Y, gamma);
        (qx, qy) = BN254.add(hx, hy, qx, qy);
        uint256[4] memory pkG2 = pkG2Cd;
        (bool success, bool valid) = BN254.pairingWithNegG2(px, py, qx, qy, pkG2);
        if (!success) revert InvalidPublicKeyG2();
        if (!valid) revert InvalidProofOfPossession();
    }

    function _taskHash(TaskInfo calldata task) internal pure returns (bytes32) {
        return keccak256(abi.encode(task.proofOfTask, task.data, task.taskPerformer, task.taskDefinitionId));
    }

    function _voteHash(TaskInfo calldata task, bool isApproved, uint32 ref) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                task.proofOfTask,
                task.data,
                task.taskPerformer,
                task.taskDefinitionId,
                address(this),
                block.chainid,
                isApproved,
                ref
            )
        );
    }

    // =============================================================================================
    // Internals: histories
    // =============================================================================================

    /// @dev The voting power of `operatorId` at `ref` from the entry at `hint`; reverts if that entry does
    ///      not cover `ref`. One storage read.
    function _operatorPowerAt(uint256 operatorId, uint32 hint, uint32 ref) internal view returns (uint96) {
        VotingPowerEntry storage e = _powerHistory[operatorId][hint];
        uint256 word;
        assembly ("memory-safe") {
            word := sload(e.slot)
        }
        if (!_entryCovers(word, ref)) revert InvalidOperatorHint(operatorId, hint, ref);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint96(word >> 64); // VotingPowerEntry.votingPower, bits 64-159
    }

    /// @dev The one "history entry covers block `b`" rule (PROTOCOL.md §1.4): `fromBlock != 0 && fromBlock <= b
    ///      && (toBlock == 0 || b < toBlock)`, on the packed word of a `VotingPowerEntry` or of an `ApkEntry`'s
    ///      slot `APK_ENTRY_META_SLOT`. Both pack `fromBlock` in bits 0-31, `toBlock` in bits 32-63 and the power
    ///      from bit 64 (pinned by `test_StorageLayout_PinnedOffsets`).
    function _entryCovers(uint256 word, uint256 b) internal pure returns (bool) {
        uint256 fromBlock = word & 0xffffffff;
        uint256 toBlock = (word >> 32) & 0xffffffff;
        return fromBlock != 0 && fromBlock <= b && (toBlock == 0 || b < toBlock);
    }

    function _activePage(uint256 offset, uint256 limit) internal view returns (OperatorDetails[] memory details) {
        uint256 len = _activeIds.length;
        uint256 n = offset >= len ? 0 : (limit < len - offset ? limit : len - offset);
        details = new OperatorDetails[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = _activeIds[offset + i];
            OperatorData storage op = _operators[id];
            details[i] = OperatorDetails(op.addr, id, op.votingPower, op.pkG1);
        }
    }

    /// @dev Keeps the active list and the active-block counter in step with a change of activity.
    function _setActive(uint256 operatorId, OperatorData storage op, bool active, uint32 bn) internal {
        if (active) {
            _activeIds.push(operatorId);
            // forge-lint: disable-next-line(unsafe-typecast)
            op.activeIndex = uint32(_activeIds.length); // at most one new active operator per registration
            op.activeSince = bn;
        } else {
            uint256 position = op.activeIndex - 1;
            uint256 lastPosition = _activeIds.length - 1;
            if (position != lastPosition) {
                uint256 moved = _activeIds[lastPosition];
                _activeIds[position] = moved;
                _operators[moved].activeIndex = op.activeIndex;
            }
            _activeIds.pop();
            op.activeIndex = 0;
            op.activeBlocks += bn - op.activeSince;
        }
    }

    function _setVotingPower(uint256 operatorId, uint96 newPower) internal {
        OperatorData storage op = _operators[operatorId];
        uint96 oldPower = op.votingPower;
        if (oldPower == newPower) return;
        if (newPower != 0 && op.left) revert OperatorHasLeft(operatorId);
        op.votingPower = newPower;
        uint32 bn = _blockNumber32();

        // The operator's own history.
        uint32 len = op.historyLength;
        if (len != 0 && _powerHistory[operatorId][len - 1].fromBlock == bn) {
            _powerHistory[operatorId][len - 1].votingPower = newPower;
        } else {
            if (len != 0) _powerHistory[operatorId][len - 1].toBlock = bn;
            _powerHistory[operatorId][len] = VotingPowerEntry(bn, 0, newPower);
            op.historyLength = len + 1;
        }

        // The active set's aggregate key and total power.
        uint256 aLen = _apkHistoryLength;
        ApkEntry storage last = _apkHistory[aLen - 1];
        uint256 ax = last.apkX;
        uint256 ay = last.apkY;
        if (oldPower == 0) {
            (ax, ay) = BN254.add(ax, ay, op.pkG1[0], op.pkG1[1]);
            _setActive(operatorId, op, true, bn);
        } else if (newPower == 0) {
            (uint256 nx, uint256 ny) = BN254.neg(op.pkG1[0], op.pkG1[1]);
            (ax, ay) = BN254.add(ax, ay, nx, ny);
            _setActive(operatorId, op, false, bn);
        }
        uint256 sum = uint256(last.totalVotingPower) - oldPower + newPower;
        if (sum > type(uint96).max) revert TotalVotingPowerOverflow();
        // forge-lint: disable-next-line(unsafe-typecast)
        uint96 total = uint96(sum); // checked just above
        if (last.fromBlock == bn) {
            last.apkX = ax;
            last.apkY = ay;
            last.totalVotingPower = total;
        } else {
            last.toBlock = bn;
            _apkHistory[aLen] = ApkEntry(ax, ay, bn, 0, total);
            _apkHistoryLength = aLen + 1;
        }
        emit VotingPowerSet(operatorId, op.addr, oldPower, newPower);
    }

    /// @dev Index of the last entry with `fromBlock <= b`; entries are contiguous, so it covers `b`.
    function _searchOperator(uint256 operatorId, uint32 b) internal view returns (bool found, uint256 index) {
        mapping(uint256 => VotingPowerEntry) storage h = _powerHistory[operatorId];
        uint256 lo = 0;
        uint256 hi = _operators[operatorId].historyLength;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (h[mid].fromBlock <= b) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? (false, 0) : (true, lo - 1);
    }

    function _searchApk(uint32 b) internal view returns (bool found, uint256 index) {
        uint256 lo = 0;
        uint256 hi = _apkHistoryLength;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_apkHistory[mid].fromBlock <= b) lo = mid + 1;
            else hi = mid;
        }
        return lo == 0 ? (false, 0) : (true, lo - 1);
    }

    function _checkOperatorId(uint256 operatorId) internal view {
        if (operatorId == 0 || operatorId > operatorCount) revert UnknownOperator(operatorId);
    }

    /// @dev Deployment limit: block numbers are kept as `uint32` (histories, `referenceBlock`, `activeSince`). From
    ///      block 2^32 = 4,294,967,296 on, every change of voting power reverts `BlockNumberOverflow` and no
    ///      reference block can be named, so the contract stops working. That is about 1,634 years of 12-second
    ///      blocks, 272 years of 2-second blocks and 34 years of 250-millisecond blocks: deploy only on a chain
    ///      whose `block.number` stays below 2^32 for the deployment's lifetime.
    function _blockNumber32() internal view returns (uint32) {
        if (block.number > type(uint32).max) revert BlockNumberOverflow(block.number);
        return uint32(block.number);
    }
}
