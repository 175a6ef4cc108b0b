// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAttestationCenter} from "./interfaces/IAttestationCenter.sol";
import {IAvsLogic} from "./interfaces/IAvsLogic.sol";
import {ILivelinessRegistry} from "./interfaces/ILivelinessRegistry.sol";
import {IEvidenceSink} from "./interfaces/IEvidenceSink.sol";
import {Owned2Step} from "./utils/Owned2Step.sol";

/// @title LivelinessRegistry: liveness reputation of the operators, fed by the AttestationCenter.
/// @notice Operators of the AttestationCenter register a health endpoint here. Their score grows one point a
///         block from registration and drops by the `C` in force when the network (by an approved task)
///         agreed they were down, or (by a rejected task) that they performed a provably wrong task.
///         `getLivelinessScore(op) = max(0, (block.number − registeredAtBlock) − penaltyPoints)`.
/// @dev The registry is the AttestationCenter's AVS logic (`IAvsLogic`); it needs, beyond Othentic's
///      interface, `taskReferenceBlock()` and `isActive(address)` from the AttestationCenter.
contract LivelinessRegistry is ILivelinessRegistry, IAvsLogic, IEvidenceSink, Owned2Step {
    /// @notice Longest endpoint URL accepted, in bytes.
    uint256 public constant MAX_ENDPOINT_LENGTH = 256;
    /// @notice Largest `sampleSize` governance may set (bounds the gas of one task's penalties).
    uint256 public constant MAX_SAMPLE_SIZE = 256;

    /// @notice The AttestationCenter whose operators register here and which alone calls the hooks.
    address public immutable attestationCenter;

    Params private _params;
    mapping(address op => Registration) private _registrations;
    mapping(address op => string) private _endpoints;
    address[] private _operators;

    constructor(address attestationCenter_, address owner_) Owned2Step(owner_) {
        if (attestationCenter_ == address(0)) revert ZeroAddress();
        attestationCenter = attestationCenter_;
        _params = Params({
            C: 1000,
            epochLength: 10,
            sampleSize: 8,
            performerTimeoutBlocks: 5,
            taskValidityBlocks: 40,
            confirmationDepth: 2,
            healthTimeoutMs: 2000
        });
    }

    modifier onlyAttestationCenter() {
        if (msg.sender != attestationCenter) revert OnlyAttestationCenter(msg.sender);
        _;
    }

    // =============================================================================================
    // Operators
    // =============================================================================================

    /// @notice Registers the caller, an operator of the AttestationCenter active now, with its health endpoint.
    ///         Starts a fresh score (penalty points 0); the lifetime penalty count is kept. `endpoint` must be
    ///         a plain `http://` URL (`https://` is refused with `EndpointBadScheme`; see `_validateEndpoint`).
    function register(string calldata endpoint) external {
        IAttestationCenter ac = IAttestationCenter(attestationCenter);
        if (ac.operatorsIdsByAddress(msg.sender) == 0) revert NotAnOperator(msg.sender);
        if (!ac.isActive(msg.sender)) revert OperatorNotActive(msg.sender);
        Registration memory r = _registrations[msg.sender];
        if (r.registeredAtBlock != 0) revert AlreadyRegistered(msg.sender);
        _validateEndpoint(bytes(endpoint));

        _operators.push(msg.sender);
        r.registeredAtBlock = uint64(block.number);
        r.penaltyPoints = 0;
        // forge-lint: disable-next-line(unsafe-typecast)
        r.index = uint32(_operators.length); // one entry per registration transaction: far below 2^32
        _registrations[msg.sender] = r;
        _endpoints[msg.sender] = endpoint;
        emit OperatorRegistered(msg.sender, endpoint, block.number);
    }

    /// @notice Replaces the caller's endpoint.
    function changeEndpoint(string calldata endpoint) external {
        if (_registrations[msg.sender].registeredAtBlock == 0) revert NotRegistered(msg.sender);
        _validateEndpoint(bytes(endpoint));
        _endpoints[msg.sender] = endpoint;
        emit EndpointChanged(msg.sender, endpoint);
    }

    /// @notice Removes the caller, once it has left the AVS (no longer active in the AttestationCenter).
    ///         Its score becomes 0; its lifetime penalty count is kept.
    function unregister() external {
        Registration memory r = _registrations[msg.sender];
        if (r.registeredAtBlock == 0) revert NotRegistered(msg.sender);
        if (IAttestationCenter(attestationCenter).isActive(msg.sender)) revert StillActive(msg.sender);

        uint256 position = r.index - 1;
        uint256 lastPosition = _operators.length - 1;
        if (position != lastPosition) {
            address moved = _operators[lastPosition];
            _operators[position] = moved;
            _registrations[moved].index = r.index;
        }
        _operators.pop();

        r.registeredAtBlock = 0;
        r.penaltyPoints = 0;
        r.index = 0;
        _registrations[msg.sender] = r;
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
    ///      and the performer gets one penalty for that epoch. An operator gets at most one penalty per epoch.
    function afterTaskSubmission(
        IAttestationCenter.TaskInfo calldata task,
        bool isApproved,
        bytes calldata,
        uint256[2] calldata,
        uint256[] calldata
    ) external onlyAttestationCenter {
        Params memory p = _params;
        uint256 ref = IAttestationCenter(attestationCenter).taskReferenceBlock();
        if (!isApproved) {
            // The reference block is the epoch block the performer signed (checked by the AttestationCenter).
            if (ref % p.epochLength != 0) revert NotAnEpochBlock(ref, p.epochLength);
            _penalize(task.taskPerformer, ref, p.C, true);
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
            _penalize(unhealthy[i], epochBlock, p.C, false);
        }
        for (uint256 i = 0; i < missed.length; ++i) {
            _penalize(missed[i], epochBlock, p.C, true);
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
        Params memory p = _params;
        Registration memory r = _registrations[op];
        uint64 points = r.registeredAtBlock == 0 ? 0 : p.C;
        unchecked {
            uint64 sum = r.penaltyPoints + points;
            r.penaltyPoints = sum < points ? type(uint64).max : sum;
            if (r.penaltyCount != type(uint32).max) ++r.penaltyCount;
        }
        _registrations[op] = r;
        emit OperatorPenalized(op, referenceBlock - (referenceBlock % p.epochLength), points, false);
    }

    // =============================================================================================
    // Views
    // =============================================================================================

    /// @notice `max(0, (block.number − registeredAtBlock) − penaltyPoints)`; 0 when not registered.
    function getLivelinessScore(address op) external view returns (uint256) {
        Registration memory r = _registrations[op];
        if (r.registeredAtBlock == 0) return 0;
        uint256 age = block.number - r.registeredAtBlock;
        return age > r.penaltyPoints ? age - r.penaltyPoints : 0;
    }

    /// @notice Lifetime number of penalties of `op`.
    function penalties(address op) external view returns (uint256) {
        return _registrations[op].penaltyCount;
    }

    /// @notice Penalty points of `op` since its current registration.
    function penaltyPoints(address op) external view returns (uint256) {
        return _registrations[op].penaltyPoints;
    }

    /// @notice The record and endpoint of `op`.
    function registrations(address op) external view returns (Registration memory record, string memory endpoint) {
        return (_registrations[op], _endpoints[op]);
    }

    /// @notice True iff `op` is registered.
    function isRegistered(address op) external view returns (bool) {
        return _registrations[op].registeredAtBlock != 0;
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

    /// @notice All seven governance parameters in one call.
    function params() external view returns (Params memory) {
        return _params;
    }

    function C() external view returns (uint256) {
        return _params.C;
    }

    function epochLength() external view returns (uint256) {
        return _params.epochLength;
    }

    function sampleSize() external view returns (uint256) {
        return _params.sampleSize;
    }

    function performerTimeoutBlocks() external view returns (uint256) {
        return _params.performerTimeoutBlocks;
    }

    function taskValidityBlocks() external view returns (uint256) {
        return _params.taskValidityBlocks;
    }

    function confirmationDepth() external view returns (uint256) {
        return _params.confirmationDepth;
    }

    function healthTimeoutMs() external view returns (uint256) {
        return _params.healthTimeoutMs;
    }

    // =============================================================================================
    // Governance
    // =============================================================================================

    /// @notice Penalty factor; a change applies to later penalties only. 0 disables point penalties.
    function setC(uint256 value) external onlyOwner {
        if (value > type(uint64).max) revert InvalidParameter("C", value);
        // forge-lint: disable-next-line(unsafe-typecast)
        _params.C = uint64(value);
        emit ParameterChanged("C", value);
    }

    function setEpochLength(uint256 value) external onlyOwner {
        _params.epochLength = _checkedUint32("epochLength", value, 1);
    }

    function setSampleSize(uint256 value) external onlyOwner {
        if (value > MAX_SAMPLE_SIZE) revert InvalidParameter("sampleSize", value);
        _params.sampleSize = _checkedUint32("sampleSize", value, 1);
    }

    function setPerformerTimeoutBlocks(uint256 value) external onlyOwner {
        _params.performerTimeoutBlocks = _checkedUint32("performerTimeoutBlocks", value, 1);
    }

    function setTaskValidityBlocks(uint256 value) external onlyOwner {
        _params.taskValidityBlocks = _checkedUint32("taskValidityBlocks", value, 1);
    }

    function setConfirmationDepth(uint256 value) external onlyOwner {
        _params.confirmationDepth = _checkedUint32("confirmationDepth", value, 0);
    }

    function setHealthTimeoutMs(uint256 value) external onlyOwner {
        _params.healthTimeoutMs = _checkedUint32("healthTimeoutMs", value, 1);
    }

    // =============================================================================================
    // Internals
    // =============================================================================================

    function _checkedUint32(bytes32 name, uint256 value, uint256 min) internal returns (uint32) {
        if (value < min || value > type(uint32).max) revert InvalidParameter(name, value);
        emit ParameterChanged(name, value);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(value); // checked just above
    }

    /// @dev One penalty for `op` in the epoch starting at `epochBlock`, unless it already has one for this or
    ///      a later epoch (so never two for one epoch, with one storage slot). Points count only while
    ///      registered; the lifetime count always.
    function _penalize(address op, uint256 epochBlock, uint64 c, bool performerFault) internal {
        Registration memory r = _registrations[op];
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 key = uint64(epochBlock + 1); // epochBlock < block.number
        if (r.lastPenaltyEpoch >= key) return;
        uint64 points = r.registeredAtBlock == 0 ? 0 : c;
        unchecked {
            uint64 sum = r.penaltyPoints + points;
            r.penaltyPoints = sum < points ? type(uint64).max : sum;
            if (r.penaltyCount != type(uint32).max) ++r.penaltyCount;
        }
        r.lastPenaltyEpoch = key;
        _registrations[op] = r;
        emit OperatorPenalized(op, epochBlock, points, performerFault);
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
