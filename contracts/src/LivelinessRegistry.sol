// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAttestationCenter} from "./interfaces/IAttestationCenter.sol";
import {IAvsLogic} from "./interfaces/IAvsLogic.sol";
import {ILivelinessRegistry} from "./interfaces/ILivelinessRegistry.sol";
import {IEvidenceSink} from "./interfaces/IEvidenceSink.sol";
import {Owned2Step} from "./utils/Owned2Step.sol";

/// @title LivelinessRegistry: liveness reputation of the operators, fed by the AttestationCenter.
/// @notice Operators of the AttestationCenter register a health endpoint here. Their score grows one point per
///         block during which they are both registered here and active in the AttestationCenter, and drops by the
///         `C` in force when the network (by an approved task) agreed they were down, or (by a rejected task) that
///         they performed a provably wrong task. Penalties are kept for the operator's lifetime: leaving,
///         unregistering and registering again neither erase them nor restart the count of blocks served.
///         `getLivelinessScore(op) = registered ? max(0, servedBlocks(op) − penaltyPoints(op)) : 0`.
/// @dev The registry is the AttestationCenter's AVS logic (`IAvsLogic`); it needs, beyond Othentic's
///      interface, `taskReferenceBlock()`, `isActive(address)` and `activeBlocksOf(address)` from the
///      AttestationCenter. Governance changes of the parameters take effect `PARAMETER_CHANGE_DELAY` blocks after
///      they are scheduled, announced by `ParameterChangeScheduled`.
contract LivelinessRegistry is ILivelinessRegistry, IAvsLogic, IEvidenceSink, Owned2Step {
    /// @notice Longest endpoint URL accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    /// @notice Blocks between a parameter change and the block from which it applies.
    uint256 public constant PARAMETER_CHANGE_DELAY = 1000;
    /// @notice Epochs over which each operator's penalties are tracked one by one: a penalty for any of the
    ///         `PENALTY_WINDOW_EPOCHS` epochs up to the current one lands whatever the order of submission; an older
    ///         one is refused with `EpochOutsidePenaltyWindow`.
    uint256 public constant PENALTY_WINDOW_EPOCHS = 32;

    /// @notice Bounds of the parameters (inclusive). `C` is bounded so that one penalty costs at most
    ///         `MAX_C` blocks of service, never a score for all time.
    uint256 public constant MIN_C = 1;
    uint256 public constant MAX_C = 1_000_000;
    uint256 public constant MAX_EPOCH_LENGTH = 100_000;
    /// @notice Largest `sampleSize` (bounds the gas of one task's penalties).
    uint256 public constant MAX_SAMPLE_SIZE = 256;
    uint256 public constant MAX_PERFORMER_TIMEOUT_BLOCKS = 100_000;
    uint256 public constant MAX_TASK_VALIDITY_BLOCKS = 1_000_000;
    uint256 public constant MAX_CONFIRMATION_DEPTH = 1000;
    uint256 public constant MAX_HEALTH_TIMEOUT_MS = 60_000;

    /// @notice The AttestationCenter whose operators register here and which alone calls the hooks.
    address public immutable attestationCenter;

    /// @dev The parameters in one slot (every bound fits 32 bits), with the block from which `_pending` replaces
    ///      them (0: nothing pending). A submission reads this one slot, and `_pending` only in the blocks between
    ///      a change taking effect and the next scheduling, which folds it in.
    struct StoredParams {
        uint32 C;
        uint32 epochLength;
        uint32 sampleSize;
        uint32 performerTimeoutBlocks;
        uint32 taskValidityBlocks;
        uint32 confirmationDepth;
        uint32 healthTimeoutMs;
        uint32 pendingFrom;
    }

    /// @dev What a penalty reads and writes, in one slot: the penalty record and whether the operator is
    ///      registered. The slot is non-zero from registration on, so a registered operator's first penalty
    ///      rewrites a slot (2,900 gas) instead of filling an empty one (22,100).
    struct Standing {
        uint64 points;
        uint32 count;
        uint64 newestEpochBlock;
        uint32 window;
        uint64 registeredAtBlock;
    }

    /// @dev The rest of the registration record (see `Registration`).
    struct Service {
        uint64 activeBlocksAtRegistration;
        uint64 servedBlocks;
        uint32 index;
    }

    StoredParams private _params;
    StoredParams private _pending;
    mapping(address op => Standing) private _standing;
    mapping(address op => Service) private _service;
    mapping(address op => string) private _endpoints;
    address[] private _operators;

    /// @param initial the parameters in force from deployment (each within its bounds, else `InvalidParameter`);
    ///        `defaultParams()` gives the defaults.
    constructor(address attestationCenter_, address owner_, Params memory initial) Owned2Step(owner_) {
        if (attestationCenter_ == address(0)) revert ZeroAddress();
        attestationCenter = attestationCenter_;
        StoredParams memory sp;
        sp.C = _checked("C", initial.C);
        sp.epochLength = _checked("epochLength", initial.epochLength);
        sp.sampleSize = _checked("sampleSize", initial.sampleSize);
        sp.performerTimeoutBlocks = _checked("performerTimeoutBlocks", initial.performerTimeoutBlocks);
        sp.taskValidityBlocks = _checked("taskValidityBlocks", initial.taskValidityBlocks);
        sp.confirmationDepth = _checked("confirmationDepth", initial.confirmationDepth);
        sp.healthTimeoutMs = _checked("healthTimeoutMs", initial.healthTimeoutMs);
        _params = sp;
    }

    modifier onlyAttestationCenter() {
        if (msg.sender != attestationCenter) revert OnlyAttestationCenter(msg.sender);
        _;
    }

    // =============================================================================================
    // Operators
    // =============================================================================================

    /// @notice Registers the caller, an operator of the AttestationCenter active now, with its health endpoint.
    ///         Its score resumes from its earlier registrations: blocks served and penalty points are lifetime.
    ///         `endpoint` must be a plain `http://` URL (`https://` is refused with `EndpointBadScheme`; see
    ///         `_validateEndpoint`).
    function register(string calldata endpoint) external {
        IAttestationCenter ac = IAttestationCenter(attestationCenter);
        if (ac.operatorsIdsByAddress(msg.sender) == 0) revert NotAnOperator(msg.sender);
        if (!ac.isActive(msg.sender)) revert OperatorNotActive(msg.sender);
        if (_standing[msg.sender].registeredAtBlock != 0) revert AlreadyRegistered(msg.sender);
        _validateEndpoint(bytes(endpoint));

        _operators.push(msg.sender);
        _standing[msg.sender].registeredAtBlock = uint64(block.number);
        Service storage sv = _service[msg.sender];
        sv.activeBlocksAtRegistration = _toUint64(ac.activeBlocksOf(msg.sender));
        // forge-lint: disable-next-line(unsafe-typecast)
        sv.index = uint32(_operators.length); // one entry per registration transaction: far below 2^32
        _endpoints[msg.sender] = endpoint;
        emit OperatorRegistered(msg.sender, endpoint, block.number);
    }

    /// @notice Replaces the caller's endpoint.
    function changeEndpoint(string calldata endpoint) external {
        if (_standing[msg.sender].registeredAtBlock == 0) revert NotRegistered(msg.sender);
        _validateEndpoint(bytes(endpoint));
        _endpoints[msg.sender] = endpoint;
        emit EndpointChanged(msg.sender, endpoint);
    }

    /// @notice Removes the caller, once it has left the AVS (no longer active in the AttestationCenter).
    ///         Its score reads 0 until it registers again; blocks served and penalties are kept.
    function unregister() external {
        if (_standing[msg.sender].registeredAtBlock == 0) revert NotRegistered(msg.sender);
        if (IAttestationCenter(attestationCenter).isActive(msg.sender)) revert StillActive(msg.sender);

        Service memory sv = _service[msg.sender];
        uint256 position = sv.index - 1;
        uint256 lastPosition = _operators.length - 1;
        if (position != lastPosition) {
            address moved = _operators[lastPosition];
            _operators[position] = moved;
            _service[moved].index = sv.index;
        }
        _operators.pop();

        _service[msg.sender] =
            Service({activeBlocksAtRegistration: 0, servedBlocks: _toUint64(servedBlocks(msg.sender)), index: 0});
        _standing[msg.sender].registeredAtBlock = 0;
        delete _endpoints[msg.sender];
        emit OperatorUnregistered(msg.sender, block.number);
    }

    /// @notice Reverts with the reason `endpoint` would be refused; returns if it is acceptable.
    function checkEndpoint(string calldata endpoint) external pure {
        _validateEndpoint(bytes(endpoint));
    }

    // =============================================================================================
    // AVS logic hooks
    // =============================================================================================

    /// @notice No-op; only the AttestationCenter may call it.
    function beforeTaskSubmission(
        IAttestationCenter.TaskInfo calldata,
        bool,
        bytes calldata,
        uint256[2] calldata,
        uint256[] calldata
    ) external view onlyAttestationCenter {}

    /// @notice Applies a verified task's penalties.
    /// @dev Approved: `data = abi.encode(uint256 epochBlock, bytes32 epochBlockHash, address[] unhealthy,
    ///      address[] missedPerformers)`; the epoch block must be one, be the certificate's reference block and
    ///      (while the chain still has it) hash to `epochBlockHash`; both lists strictly ascending and at most
    ///      `sampleSize` long; every named operator gets one penalty. Rejected: `data` is not decoded (it may be
    ///      what was wrong); the reference block must be an epoch block (it is the one the performer signed)
    ///      and the performer gets one penalty for that epoch. An operator gets at most one penalty per epoch,
    ///      and a penalty for an epoch outside the window reverts `EpochOutsidePenaltyWindow`.
    function afterTaskSubmission(
        IAttestationCenter.TaskInfo calldata task,
        bool isApproved,
        bytes calldata,
        uint256[2] calldata,
        uint256[] calldata
    ) external onlyAttestationCenter {
        StoredParams memory p = _effectiveParams();
        uint256 ref = IAttestationCenter(attestationCenter).taskReferenceBlock();
        if (!isApproved) {
            // The reference block is the epoch block the performer signed (checked by the AttestationCenter).
            if (ref % p.epochLength != 0) revert NotAnEpochBlock(ref, p.epochLength);
            _penalize(task.taskPerformer, ref, p, true);
            return;
        }

        (uint256 epochBlock, bytes32 epochBlockHash, address[] memory unhealthy, address[] memory missed) =
            abi.decode(task.data, (uint256, bytes32, address[], address[]));
        if (epochBlock % p.epochLength != 0) revert NotAnEpochBlock(epochBlock, p.epochLength);
        if (ref != epochBlock) revert ReferenceBlockMismatch(ref, epochBlock);
        // ref < block.number (checked by the AttestationCenter); blockhash covers the last 256 blocks.
        if (block.number - epochBlock <= 256) {
            bytes32 chainHash = blockhash(epochBlock);
            if (chainHash != epochBlockHash) revert EpochBlockHashMismatch(epochBlock, chainHash, epochBlockHash);
        }
        if (unhealthy.length > p.sampleSize) revert TooManyUnhealthy(unhealthy.length, p.sampleSize);
        if (missed.length > p.sampleSize) revert TooManyMissedPerformers(missed.length, p.sampleSize);
        for (uint256 i = 1; i < unhealthy.length; ++i) {
            if (unhealthy[i] <= unhealthy[i - 1]) revert UnhealthyNotStrictlyAscending(i);
        }
        for (uint256 i = 1; i < missed.length; ++i) {
            if (missed[i] <= missed[i - 1]) revert MissedPerformersNotStrictlyAscending(i);
        }
        for (uint256 i = 0; i < unhealthy.length; ++i) {
            _penalize(unhealthy[i], epochBlock, p, false);
        }
        for (uint256 i = 0; i < missed.length; ++i) {
            _penalize(missed[i], epochBlock, p, true);
        }
    }

    // =============================================================================================
    // Evidence
    // =============================================================================================

    /// @notice One penalty (the `C` in force) for a vote equivocation the AttestationCenter proved; it calls this
    ///         once per offence. Outside the one-penalty-per-epoch rule: an operator that also failed a health
    ///         check, or equivocated twice, in that epoch gets each penalty. Emits `OperatorPenalized` for the
    ///         epoch of `referenceBlock` with `performerFault = false`.
    function onVoteEquivocation(address op, uint32 referenceBlock) external onlyAttestationCenter {
        _penalizeEvidence(op, referenceBlock, false);
    }

    /// @notice One penalty (the `C` in force) for a task equivocation the AttestationCenter proved (a performer
    ///         signed two tasks for one round); it calls this once per offence. Outside the one-penalty-per-epoch
    ///         rule, like `onVoteEquivocation`. Emits `OperatorPenalized` for the epoch of `epochBlock` with
    ///         `performerFault = true`.
    function onTaskEquivocation(address op, uint32 epochBlock) external onlyAttestationCenter {
        _penalizeEvidence(op, epochBlock, true);
    }

    function _penalizeEvidence(address op, uint32 blockNumber, bool performerFault) internal {
        StoredParams memory p = _effectiveParams();
        Standing memory r = _standing[op];
        uint64 points = p.C;
        unchecked {
            uint64 sum = r.points + points;
            r.points = sum < points ? type(uint64).max : sum;
            if (r.count != type(uint32).max) ++r.count;
        }
        _standing[op] = r;
        emit OperatorPenalized(op, blockNumber - (blockNumber % p.epochLength), points, performerFault);
    }

    // =============================================================================================
    // Views
    // =============================================================================================

    /// @notice `max(0, servedBlocks(op) − penaltyPoints(op))` while `op` is registered; 0 when it is not.
    function getLivelinessScore(address op) external view returns (uint256) {
        Standing memory st = _standing[op];
        if (st.registeredAtBlock == 0) return 0;
        uint256 served = servedBlocks(op);
        uint256 points = st.points;
        return served > points ? served - points : 0;
    }

    /// @notice Blocks during which `op` was both registered here and active in the AttestationCenter, over all
    ///         its registrations. It does not grow while `op` is inactive (left, or without voting power) or not
    ///         registered.
    function servedBlocks(address op) public view returns (uint256 served) {
        Service memory sv = _service[op];
        served = sv.servedBlocks;
        if (_standing[op].registeredAtBlock != 0) {
            served += IAttestationCenter(attestationCenter).activeBlocksOf(op) - sv.activeBlocksAtRegistration;
        }
    }

    /// @notice Lifetime number of penalties of `op`.
    function penalties(address op) external view returns (uint256) {
        return _standing[op].count;
    }

    /// @notice Lifetime penalty points of `op` (the sum of the `C` in force at each of its penalties).
    function penaltyPoints(address op) external view returns (uint256) {
        return _standing[op].points;
    }

    /// @notice The penalty record of `op`: points, count and the window of penalized epochs.
    function penaltyRecordOf(address op) external view returns (PenaltyRecord memory) {
        Standing memory st = _standing[op];
        return
            PenaltyRecord({
                points: st.points, count: st.count, newestEpochBlock: st.newestEpochBlock, window: st.window
            });
    }

    /// @notice True iff `op` has a penalty for the epoch starting at `epochBlock`, as far as its window (of the
    ///         `PENALTY_WINDOW_EPOCHS` epochs up to its newest penalty, under the current `epochLength`) tells;
    ///         false for an epoch outside that window.
    function isPenalized(address op, uint256 epochBlock) external view returns (bool) {
        Standing memory r = _standing[op];
        if (r.newestEpochBlock == 0 || epochBlock >= r.newestEpochBlock) return false;
        uint256 d = _epochsBetween(epochBlock, r.newestEpochBlock - 1, _effectiveParams().epochLength);
        return d < PENALTY_WINDOW_EPOCHS && (r.window >> d) & 1 == 1;
    }

    /// @notice The registration record and endpoint of `op`.
    function registrations(address op) external view returns (Registration memory record, string memory endpoint) {
        Service memory sv = _service[op];
        record = Registration({
            registeredAtBlock: _standing[op].registeredAtBlock,
            activeBlocksAtRegistration: sv.activeBlocksAtRegistration,
            servedBlocks: sv.servedBlocks,
            index: sv.index
        });
        endpoint = _endpoints[op];
    }

    /// @notice True iff `op` is registered.
    function isRegistered(address op) external view returns (bool) {
        return _standing[op].registeredAtBlock != 0;
    }

    /// @notice The endpoint of `op` ("" when not registered).
    function endpointOf(address op) external view returns (string memory) {
        return _endpoints[op];
    }

    /// @notice Number of registered operators.
    function registeredOperatorsCount() external view returns (uint256) {
        return _operators.length;
    }

    /// @notice Registered operators at list positions `[offset, offset + limit)` and their endpoints.
    ///         The list order changes on removal (swap-and-pop).
    function getRegisteredOperators(uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory operators, string[] memory endpoints)
    {
        uint256 len = _operators.length;
        uint256 n = offset >= len ? 0 : (limit < len - offset ? limit : len - offset);
        operators = new address[](n);
        endpoints = new string[](n);
        for (uint256 i = 0; i < n; ++i) {
            address op = _operators[offset + i];
            operators[i] = op;
            endpoints[i] = _endpoints[op];
        }
    }

    /// @notice The seven governance parameters in force at the current block.
    function params() external view returns (Params memory) {
        return _toParams(_effectiveParams());
    }

    /// @notice The parameters scheduled to take effect at `effectiveFromBlock`, while that block is still
    ///         ahead; `effectiveFromBlock` is 0 (and `pending` all zeros) when nothing is pending.
    function pendingParams() external view returns (Params memory pending, uint256 effectiveFromBlock) {
        uint256 from = _params.pendingFrom;
        if (from != 0 && block.number < from) return (_toParams(_pending), from);
    }

    /// @notice The default parameters, for deployment: C 1000, epochLength 10, sampleSize 8,
    ///         performerTimeoutBlocks 5, taskValidityBlocks 40, confirmationDepth 2, healthTimeoutMs 2000.
    function defaultParams() external pure returns (Params memory) {
        return Params({
            C: 1000,
            epochLength: 10,
            sampleSize: 8,
            performerTimeoutBlocks: 5,
            taskValidityBlocks: 40,
            confirmationDepth: 2,
            healthTimeoutMs: 2000
        });
    }

    function C() external view returns (uint256) {
        return _effectiveParams().C;
    }

    function epochLength() external view returns (uint256) {
        return _effectiveParams().epochLength;
    }

    function sampleSize() external view returns (uint256) {
        return _effectiveParams().sampleSize;
    }

    function performerTimeoutBlocks() external view returns (uint256) {
        return _effectiveParams().performerTimeoutBlocks;
    }

    function taskValidityBlocks() external view returns (uint256) {
        return _effectiveParams().taskValidityBlocks;
    }

    function confirmationDepth() external view returns (uint256) {
        return _effectiveParams().confirmationDepth;
    }

    function healthTimeoutMs() external view returns (uint256) {
        return _effectiveParams().healthTimeoutMs;
    }

    // =============================================================================================
    // Governance: every change applies from `block.number + PARAMETER_CHANGE_DELAY`
    // =============================================================================================

    /// @notice Penalty factor, `MIN_C` … `MAX_C`; applies to penalties that land once it is in force.
    function setC(uint256 value) external onlyOwner {
        _schedule("C", value);
    }

    /// @notice `1` … `MAX_EPOCH_LENGTH`.
    function setEpochLength(uint256 value) external onlyOwner {
        _schedule("epochLength", value);
    }

    /// @notice `1` … `MAX_SAMPLE_SIZE`.
    function setSampleSize(uint256 value) external onlyOwner {
        _schedule("sampleSize", value);
    }

    /// @notice `1` … `MAX_PERFORMER_TIMEOUT_BLOCKS`.
    function setPerformerTimeoutBlocks(uint256 value) external onlyOwner {
        _schedule("performerTimeoutBlocks", value);
    }

    /// @notice `1` … `MAX_TASK_VALIDITY_BLOCKS`.
    function setTaskValidityBlocks(uint256 value) external onlyOwner {
        _schedule("taskValidityBlocks", value);
    }

    /// @notice `0` … `MAX_CONFIRMATION_DEPTH`.
    function setConfirmationDepth(uint256 value) external onlyOwner {
        _schedule("confirmationDepth", value);
    }

    /// @notice `1` … `MAX_HEALTH_TIMEOUT_MS`.
    function setHealthTimeoutMs(uint256 value) external onlyOwner {
        _schedule("healthTimeoutMs", value);
    }

    // =============================================================================================
    // Internals
    // =============================================================================================

    /// @dev The parameters in force at the current block.
    function _effectiveParams() internal view returns (StoredParams memory p) {
        p = _params;
        if (p.pendingFrom != 0 && block.number >= p.pendingFrom) p = _pending;
    }

    /// @dev Folds a pending set that is already in force into `_params`, applies `name = value` to the pending
    ///      set (or to a copy of the current one) and (re)starts its delay.
    function _schedule(bytes32 name, uint256 value) internal {
        uint32 v = _checked(name, value);
        // Separate memory copies (assigning one memory struct to another would alias them).
        StoredParams memory current = _params;
        StoredParams memory next = current.pendingFrom != 0 ? _pending : _params;
        if (current.pendingFrom != 0 && block.number >= current.pendingFrom) current = _pending;
        if (name == "C") next.C = v;
        else if (name == "epochLength") next.epochLength = v;
        else if (name == "sampleSize") next.sampleSize = v;
        else if (name == "performerTimeoutBlocks") next.performerTimeoutBlocks = v;
        else if (name == "taskValidityBlocks") next.taskValidityBlocks = v;
        else if (name == "confirmationDepth") next.confirmationDepth = v;
        else next.healthTimeoutMs = v;
        uint256 from = block.number + PARAMETER_CHANGE_DELAY;
        next.pendingFrom = 0;
        current.pendingFrom = _toUint32(from);
        _params = current;
        _pending = next;
        emit ParameterChangeScheduled(name, value, from);
    }

    /// @dev `value` if it is within the bounds of parameter `name`, else `InvalidParameter`.
    function _checked(bytes32 name, uint256 value) internal pure returns (uint32) {
        uint256 min = 1;
        uint256 max;
        if (name == "C") (min, max) = (MIN_C, MAX_C);
        else if (name == "epochLength") max = MAX_EPOCH_LENGTH;
        else if (name == "sampleSize") max = MAX_SAMPLE_SIZE;
        else if (name == "performerTimeoutBlocks") max = MAX_PERFORMER_TIMEOUT_BLOCKS;
        else if (name == "taskValidityBlocks") max = MAX_TASK_VALIDITY_BLOCKS;
        else if (name == "confirmationDepth") (min, max) = (0, MAX_CONFIRMATION_DEPTH);
        else max = MAX_HEALTH_TIMEOUT_MS;
        if (value < min || value > max) revert InvalidParameter(name, value);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(value); // every max fits 32 bits
    }

    function _toParams(StoredParams memory p) internal pure returns (Params memory) {
        return Params({
            C: p.C,
            epochLength: p.epochLength,
            sampleSize: p.sampleSize,
            performerTimeoutBlocks: p.performerTimeoutBlocks,
            taskValidityBlocks: p.taskValidityBlocks,
            confirmationDepth: p.confirmationDepth,
            healthTimeoutMs: p.healthTimeoutMs
        });
    }

    /// @dev Epochs of length `len` from `older` up to `newer` (`older <= newer`), rounded up: 0 only for the same
    ///      block. Rounding up keeps two distinct epoch blocks apart even across a change of `epochLength`.
    function _epochsBetween(uint256 older, uint256 newer, uint256 len) internal pure returns (uint256) {
        return (newer - older + len - 1) / len;
    }

    /// @dev One penalty for `op` in the epoch starting at `epochBlock`, unless it already has one for that epoch.
    ///      Each operator's record tracks the `PENALTY_WINDOW_EPOCHS` epochs up to its newest penalty as a bitmap,
    ///      so penalties for different epochs land in any order. An epoch more than `PENALTY_WINDOW_EPOCHS − 1`
    ///      epochs before the current one is refused (`EpochOutsidePenaltyWindow`): it could no longer be told
    ///      apart from one already penalized. Points and count are lifetime, registered or not.
    function _penalize(address op, uint256 epochBlock, StoredParams memory p, bool performerFault) internal {
        uint256 len = p.epochLength; // >= 1
        uint256 newest; // epoch block + 1 of the newest penalized epoch; 0 = none
        Standing memory r = _standing[op];
        unchecked {
            // Block numbers are far below 2^64, so nothing here wraps.
            uint256 span = (PENALTY_WINDOW_EPOCHS - 1) * len;
            uint256 currentEpochBlock = block.number - (block.number % len);
            uint256 oldest = currentEpochBlock > span ? currentEpochBlock - span : 0;
            if (epochBlock < oldest) revert EpochOutsidePenaltyWindow(op, epochBlock, oldest);

            newest = r.newestEpochBlock;
            if (epochBlock >= newest) {
                // A newer epoch (or the first penalty): slide the window up to it. The shift is the number of
                // epochs from the newest penalized one, rounded up (see `_epochsBetween`).
                // With no penalty yet (newest = 0) the window is empty and any shift leaves just bit 0.
                uint256 shift = (epochBlock + len - newest) / len;
                // forge-lint: disable-next-line(unsafe-typecast)
                r.window = shift >= PENALTY_WINDOW_EPOCHS ? 1 : uint32((uint256(r.window) << shift) | 1);
                // forge-lint: disable-next-line(unsafe-typecast)
                r.newestEpochBlock = uint64(epochBlock + 1); // epochBlock < block.number
            } else {
                uint256 d = (newest - epochBlock + len - 2) / len; // _epochsBetween(epochBlock, newest - 1, len)
                if (d == 0 || (r.window >> d) & 1 == 1) return; // already penalized for this epoch
                // Only reachable after a change of epochLength: under one length, d < PENALTY_WINDOW_EPOCHS here.
                if (d >= PENALTY_WINDOW_EPOCHS) {
                    revert EpochOutsidePenaltyWindow(op, epochBlock, newest - 1 > span ? newest - 1 - span : 0);
                }
                uint256 bit = 1;
                // forge-lint: disable-next-line(unsafe-typecast)
                r.window |= uint32(bit << d); // d < 32
            }
            uint64 points = p.C;
            uint64 sum = r.points + points;
            r.points = sum < points ? type(uint64).max : sum;
            if (r.count != type(uint32).max) ++r.count;
            _standing[op] = r;
            emit OperatorPenalized(op, epochBlock, points, performerFault);
        }
    }

    function _toUint64(uint256 x) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return x > type(uint64).max ? type(uint64).max : uint64(x);
    }

    function _toUint32(uint256 x) internal pure returns (uint32) {
        if (x > type(uint32).max) revert InvalidParameter("pendingFrom", x);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(x);
    }

    /// @dev Plain `http://` only (lower case; `https://` and every other scheme are refused, because the
    ///      nodes' health checker speaks plain HTTP only and health proofs are signed, so TLS adds nothing to
    ///      their integrity), a host character right after the scheme, at most `MAX_ENDPOINT_LENGTH` bytes,
    ///      printable ASCII only (no byte ≤ 0x20 or ≥ 0x7f), no "at" sign (userinfo).
    function _validateEndpoint(bytes calldata b) internal pure {
        uint256 len = b.length;
        if (len > MAX_ENDPOINT_LENGTH) revert EndpointTooLong(len, MAX_ENDPOINT_LENGTH);
        uint256 start = 7;
        if (len < start || bytes7(b[0:7]) != "http://") revert EndpointBadScheme();
        if (len == start) revert EndpointMissingHost();
        bytes1 first = b[start];
        if (first == "/" || first == "?" || first == "#" || first == ":") revert EndpointMissingHost();
        for (uint256 i = start; i < len; ++i) {
            bytes1 c = b[i];
            if (c <= 0x20 || c >= 0x7f) revert EndpointInvalidCharacter(i, c);
            if (c == "@") revert EndpointHasUserinfo(i);
        }
    }
}
