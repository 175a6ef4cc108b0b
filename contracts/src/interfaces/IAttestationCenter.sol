// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title The Liveliness AttestationCenter: operator set, histories and the BLS quorum verifier.
/// @notice Names and shapes follow Othentic's AttestationCenter where a function exists there
///         (`TaskInfo`, `operatorsIdsByAddress`, `numOfActiveOperators`, `getActiveOperatorsDetails`).
interface IAttestationCenter {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    /// @notice A task, in Othentic's shape.
    struct TaskInfo {
        string proofOfTask;
        bytes data;
        address taskPerformer;
        uint16 taskDefinitionId;
    }

    /// @notice An aggregated BLS certificate for a task.
    /// @param referenceBlock the block whose operator set judges the quorum (must be in the past); also the
    ///        task's epoch block, to which the performer's signature and the votes commit.
    /// @param sigma aggregate BLS signature of the signers over H(voteHash), G1 (x, y).
    /// @param apkG2 the signers' aggregate G2 key, EIP-197 order `[x.c1, x.c0, y.c1, y.c0]`.
    /// @param apkHint index into the aggregate-key history of the entry valid at `referenceBlock`.
    /// @param performerHint index into the performer's voting-power history valid at `referenceBlock`.
    /// @param nonSignerIds ids of the active operators that did not sign, strictly increasing.
    /// @param nonSignerHints one per non-signer: index into its voting-power history.
    struct Attestation {
        uint32 referenceBlock;
        uint256[2] sigma;
        uint256[4] apkG2;
        uint32 apkHint;
        uint32 performerHint;
        uint256[] nonSignerIds;
        uint32[] nonSignerHints;
        /// @dev One word per hash-to-G1 try of `voteHash` (PROTOCOL.md §2.5): for each failed try `w` with
        ///      `w² = −(x³ + 3)`, for the last `z` with `(z²)² = x³ + 3`, so that the point is checked, not computed.
        uint256[] h2cHint;
    }

    /// @notice A task hash and its performer's 65-byte signature (`taskSigningDigest`), as evidence.
    struct SignedTask {
        bytes32 taskHash;
        bytes signature;
    }

    /// @notice One operator, as returned by `getActiveOperatorsDetails`.
    struct OperatorDetails {
        address operator;
        uint256 operatorId;
        uint256 votingPower;
        uint256[2] pkG1;
    }

    /// @notice An entry of an operator's voting-power history, valid for blocks
    ///         `fromBlock <= b && (toBlock == 0 || b < toBlock)`. One storage slot.
    struct VotingPowerEntry {
        uint32 fromBlock;
        uint32 toBlock;
        uint96 votingPower;
    }

    /// @notice An entry of the history of the active set: its aggregate G1 key and total voting power,
    ///         valid for blocks `fromBlock <= b && (toBlock == 0 || b < toBlock)`.
    struct ApkEntry {
        uint256 apkX;
        uint256 apkY;
        uint32 fromBlock;
        uint32 toBlock;
        uint96 totalVotingPower;
    }

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    event OperatorRegistered(uint256 indexed operatorId, address indexed operator, uint256[2] pkG1, uint256[4] pkG2);
    event VotingPowerSet(uint256 indexed operatorId, address indexed operator, uint96 previousPower, uint96 newPower);
    event OperatorLeft(uint256 indexed operatorId, address indexed operator);
    event AvsLogicSet(address indexed avsLogic);
    event MaxTaskAgeSet(uint32 maxTaskAge);
    event TaskSubmitted(
        bytes32 indexed taskHash,
        address indexed performer,
        uint32 referenceBlock,
        uint16 taskDefinitionId,
        string proofOfTask
    );
    /// @notice Operator `operatorId` signed both the approve and the reject vote of task `taskHash` at
    ///         `referenceBlock` (proven by `proveVoteEquivocation`, once per offence). A slasher can act on it.
    event VoteEquivocationProven(
        uint256 indexed operatorId, address indexed operator, bytes32 indexed taskHash, uint32 referenceBlock
    );
    /// @notice Performer `operator` signed two different tasks, `taskHashA` and `taskHashB`, for round `round`
    ///         of the epoch that starts at block `epochBlock` with hash `epochBlockHash` (proven by
    ///         `proveTaskEquivocation`, once per offence). A slasher can act on it.
    event TaskEquivocationProven(
        uint256 indexed operatorId,
        address indexed operator,
        uint32 epochBlock,
        bytes32 epochBlockHash,
        uint32 round,
        bytes32 taskHashA,
        bytes32 taskHashB
    );
    event TaskRejected(
        bytes32 indexed taskHash,
        address indexed performer,
        uint32 referenceBlock,
        uint16 taskDefinitionId,
        string proofOfTask
    );

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    // configuration
    error InvalidMaxTaskAge(uint256 maxTaskAge);
    error AvsLogicNotAContract(address avsLogic);
    error LengthMismatch(uint256 expected, uint256 actual);
    error BlockNumberOverflow(uint256 blockNumber);
    error TotalVotingPowerOverflow();

    // registration
    error AlreadyRegistered(address operator, uint256 operatorId);
    error PublicKeyG1AtInfinity();
    error PublicKeyG2AtInfinity();
    error InvalidPublicKeyG1();
    error InvalidPublicKeyG2();
    error KeyAlreadyRegistered(bytes32 keyHash);
    error InvalidProofOfPossession();
    error UnknownOperator(uint256 operatorId);
    error NotAnOperator(address account);
    error OperatorNotActive(uint256 operatorId);

    // histories
    error InvalidOperatorHint(uint256 operatorId, uint32 hint, uint32 blockNumber);
    error InvalidApkHint(uint32 hint, uint32 blockNumber);
    error NoOperatorHistoryAt(uint256 operatorId, uint32 blockNumber);
    error NoApkHistoryAt(uint32 blockNumber);

    // submission
    error TaskAlreadySubmitted(bytes32 taskHash, uint32 referenceBlock);
    error ReferenceBlockNotInPast(uint32 referenceBlock, uint256 currentBlock);
    error ReferenceBlockTooOld(uint32 referenceBlock, uint256 currentBlock, uint32 maxTaskAge);
    error InvalidPerformerSignatureLength(uint256 length);
    error InvalidPerformerSignatureV(uint8 v);
    error PerformerSignatureHighS();
    error InvalidPerformerSignature(address recovered, address performer);
    error PerformerNotOperator(address performer);
    error PerformerNotActive(address performer, uint32 referenceBlock);
    error NonSignersNotStrictlyIncreasing(uint256 index, uint256 operatorId);
    error NonSignerNotActive(uint256 operatorId, uint32 referenceBlock);
    error InvalidSignaturePoint();
    error InvalidAggregateKeyG2();
    error InvalidBlsSignature();
    error InvalidHashToG1Hint(uint256 index);
    error QuorumNotReached(bool isApproved, uint256 signedPower, uint256 totalPower);

    // evidence
    error EquivocationAlreadyProven(bytes32 offence);
    error EquivocatorNotActive(uint256 operatorId, uint32 referenceBlock);
    error SameTask(bytes32 taskHash);
    error EpochBlockHashMismatch(uint32 epochBlock, bytes32 signedFor, bytes32 actual);

    // ---------------------------------------------------------------------------------------------
    // Governance
    // ---------------------------------------------------------------------------------------------

    function setAvsLogic(address avsLogic) external;
    function setMaxTaskAge(uint32 maxTaskAge) external;
    function setVotingPower(uint256 operatorId, uint96 votingPower) external;
    function setVotingPowers(uint256[] calldata operatorIds, uint96[] calldata votingPowers) external;

    // ---------------------------------------------------------------------------------------------
    // Operators
    // ---------------------------------------------------------------------------------------------

    function registerOperator(uint256[2] calldata pkG1, uint256[4] calldata pkG2, uint256[2] calldata pop)
        external
        returns (uint256 operatorId);
    function leave() external;
    function popMessage(address operator) external view returns (bytes32);

    // ---------------------------------------------------------------------------------------------
    // Tasks
    // ---------------------------------------------------------------------------------------------

    function submitTask(
        TaskInfo calldata task,
        bool isApproved,
        bytes calldata tpSignature,
        uint32 round,
        bytes32 epochBlockHash,
        Attestation calldata att
    ) external;
    function submitted(bytes32 taskHash, uint32 referenceBlock) external view returns (bool);
    function proveVoteEquivocation(
        TaskInfo calldata task,
        uint32 referenceBlock,
        uint256 operatorId,
        uint32 operatorHint,
        uint256[2] calldata approveSignature,
        uint256[2] calldata rejectSignature
    ) external;
    function voteEquivocationProven(bytes32 offence) external view returns (bool);
    function voteEquivocationKey(uint256 operatorId, bytes32 taskHash, uint32 referenceBlock)
        external
        pure
        returns (bytes32);
    function proveTaskEquivocation(
        address performer,
        uint32 epochBlock,
        bytes32 epochBlockHash,
        uint32 round,
        uint32 performerHint,
        SignedTask calldata a,
        SignedTask calldata b
    ) external;
    function taskEquivocationProven(bytes32 offence) external view returns (bool);
    function taskEquivocationKey(uint256 operatorId, uint32 epochBlock, bytes32 epochBlockHash, uint32 round)
        external
        pure
        returns (bytes32);
    function taskReferenceBlock() external view returns (uint256);
    function taskHash(TaskInfo calldata task) external pure returns (bytes32);
    function taskSigningDigest(bytes32 taskHash, uint32 epochBlock, bytes32 epochBlockHash, uint32 round)
        external
        view
        returns (bytes32);
    function voteHash(TaskInfo calldata task, bool isApproved, uint32 referenceBlock) external view returns (bytes32);

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    function avsLogic() external view returns (address);
    function maxTaskAge() external view returns (uint32);
    function operatorsIdsByAddress(address operator) external view returns (uint256);
    function numOfActiveOperators() external view returns (uint256);
    function getActiveOperatorsDetails() external view returns (OperatorDetails[] memory);
    function getOperator(uint256 operatorId)
        external
        view
        returns (address operator, uint256[2] memory pkG1, uint256[4] memory pkG2, uint96 votingPower);
    function operatorCount() external view returns (uint256);
    function isActive(address operator) external view returns (bool);
    function isActiveAt(uint256 operatorId, uint32 blockNumber) external view returns (bool);
    function votingPowerAt(uint256 operatorId, uint32 blockNumber) external view returns (uint96);
    function totalVotingPower() external view returns (uint96);
    function totalVotingPowerAt(uint32 blockNumber) external view returns (uint96);
    function currentApk() external view returns (uint256[2] memory);
    function apkAt(uint32 blockNumber) external view returns (uint256[2] memory);
    function operatorHistoryLength(uint256 operatorId) external view returns (uint256);
    function operatorHistoryAt(uint256 operatorId, uint256 index) external view returns (VotingPowerEntry memory);
    function apkHistoryLength() external view returns (uint256);
    function apkHistoryAt(uint256 index) external view returns (ApkEntry memory);
    function operatorHintAt(uint256 operatorId, uint32 blockNumber) external view returns (uint32);
    function apkHintAt(uint32 blockNumber) external view returns (uint32);

    // ---------------------------------------------------------------------------------------------
    // Activity: the active list, consent to rejoin, blocks served
    // ---------------------------------------------------------------------------------------------

    event OperatorRejoined(uint256 indexed operatorId, address indexed operator);

    error OperatorHasLeft(uint256 operatorId);
    error OperatorHasNotLeft(uint256 operatorId);

    function rejoin() external;
    function hasLeft(uint256 operatorId) external view returns (bool);
    function activeBlocksOf(address operator) external view returns (uint256);
    function getActiveOperatorsDetailsPage(uint256 offset, uint256 limit)
        external
        view
        returns (OperatorDetails[] memory page, uint256 total);
}
