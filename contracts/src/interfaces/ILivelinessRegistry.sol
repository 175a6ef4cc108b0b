// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title The Liveliness reputation registry.
/// @notice Any contract reads an operator's liveness reputation with one view call:
///         `getLivelinessScore(op) = registered ? max(0, servedBlocks(op) − penaltyPoints(op)) : 0`, where
///         `servedBlocks` counts only blocks during which `op` was both registered here and active in the
///         AttestationCenter, over all its registrations, and `penaltyPoints` is the lifetime sum of its penalties.
interface ILivelinessRegistry {
    /// @notice Per-operator registration record, one storage slot.
    /// @param registeredAtBlock block of the current registration; 0 = not registered.
    /// @param activeBlocksAtRegistration the AttestationCenter's `activeBlocksOf(op)` when it registered.
    /// @param servedBlocks blocks served (registered and active) in earlier registrations.
    /// @param index position + 1 in the list of registered operators; 0 = not listed.
    struct Registration {
        uint64 registeredAtBlock;
        uint64 activeBlocksAtRegistration;
        uint64 servedBlocks;
        uint32 index;
    }

    /// @notice Per-operator penalty record, one storage slot, kept for the operator's lifetime (across
    ///         registrations, and also while it is not registered).
    /// @param points sum of the `C` in force at each penalty (saturates at 2^64 − 1).
    /// @param count number of penalties (saturates at 2^32 − 1).
    /// @param newestEpochBlock epoch block of the newest penalized epoch + 1; 0 = none.
    /// @param window bit i set iff the epoch i epochs before the newest penalized one is penalized (bit 0: the
    ///        newest itself); covers `PENALTY_WINDOW_EPOCHS` epochs.
    struct PenaltyRecord {
        uint64 points;
        uint32 count;
        uint64 newestEpochBlock;
        uint32 window;
    }

    /// @notice Governance parameters, one storage slot; nodes read them at every epoch block.
    /// @param C penalty factor: points added per penalty.
    /// @param epochLength an epoch starts at every block B with B % epochLength == 0.
    /// @param sampleSize operators checked per epoch (and the longest list a task may name).
    /// @param performerTimeoutBlocks blocks after which the next fallback performer takes over.
    /// @param taskValidityBlocks blocks after the epoch block during which attesters accept its task.
    /// @param confirmationDepth blocks an epoch block must be buried before nodes act on it.
    /// @param healthTimeoutMs time bound of one health check, milliseconds.
    struct Params {
        uint64 C;
        uint32 epochLength;
        uint32 sampleSize;
        uint32 performerTimeoutBlocks;
        uint32 taskValidityBlocks;
        uint32 confirmationDepth;
        uint32 healthTimeoutMs;
    }

    event OperatorRegistered(address indexed op, string endpoint, uint256 atBlock);
    event EndpointChanged(address indexed op, string endpoint);
    event OperatorUnregistered(address indexed op, uint256 atBlock);
    event OperatorPenalized(address indexed op, uint256 indexed epochBlock, uint256 points, bool performerFault);
    /// @notice Governance changed parameter `name` to `value`; the whole pending set (this and every change
    ///         scheduled before it and not yet in force) takes effect at block `effectiveFromBlock`.
    event ParameterChangeScheduled(bytes32 indexed name, uint256 value, uint256 effectiveFromBlock);

    error ZeroAddress();
    error OnlyAttestationCenter(address caller);
    error NotAnOperator(address account);
    error OperatorNotActive(address operator);
    error AlreadyRegistered(address operator);
    error NotRegistered(address operator);
    error StillActive(address operator);
    error InvalidParameter(bytes32 name, uint256 value);
    error EpochOutsidePenaltyWindow(address operator, uint256 epochBlock, uint256 oldestEpochBlock);

    error EndpointTooLong(uint256 length, uint256 maxLength);
    error EndpointBadScheme();
    error EndpointMissingHost();
    error EndpointHasUserinfo(uint256 position);
    error EndpointInvalidCharacter(uint256 position, bytes1 character);

    error NotAnEpochBlock(uint256 epochBlock, uint256 epochLength);
    error ReferenceBlockMismatch(uint256 referenceBlock, uint256 epochBlock);
    error EpochBlockHashMismatch(uint256 epochBlock, bytes32 expected, bytes32 actual);
    error UnhealthyNotStrictlyAscending(uint256 index);
    error MissedPerformersNotStrictlyAscending(uint256 index);
    error TooManyUnhealthy(uint256 length, uint256 sampleSize);
    error TooManyMissedPerformers(uint256 length, uint256 sampleSize);

    function attestationCenter() external view returns (address);

    function register(string calldata endpoint) external;
    function changeEndpoint(string calldata endpoint) external;
    function unregister() external;
    function checkEndpoint(string calldata endpoint) external pure;

    function getLivelinessScore(address op) external view returns (uint256);
    function penalties(address op) external view returns (uint256);
    function penaltyPoints(address op) external view returns (uint256);
    function penaltyRecordOf(address op) external view returns (PenaltyRecord memory);
    function isPenalized(address op, uint256 epochBlock) external view returns (bool);
    function servedBlocks(address op) external view returns (uint256);
    function registrations(address op) external view returns (Registration memory record, string memory endpoint);
    function isRegistered(address op) external view returns (bool);
    function endpointOf(address op) external view returns (string memory);
    function registeredOperatorsCount() external view returns (uint256);
    function getRegisteredOperators(uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory operators, string[] memory endpoints);

    function params() external view returns (Params memory);
    function pendingParams() external view returns (Params memory pending, uint256 effectiveFromBlock);
    function defaultParams() external pure returns (Params memory);
    function C() external view returns (uint256);
    function epochLength() external view returns (uint256);
    function sampleSize() external view returns (uint256);
    function performerTimeoutBlocks() external view returns (uint256);
    function taskValidityBlocks() external view returns (uint256);
    function confirmationDepth() external view returns (uint256);
    function healthTimeoutMs() external view returns (uint256);

    function setC(uint256 value) external;
    function setEpochLength(uint256 value) external;
    function setSampleSize(uint256 value) external;
    function setPerformerTimeoutBlocks(uint256 value) external;
    function setTaskValidityBlocks(uint256 value) external;
    function setConfirmationDepth(uint256 value) external;
    function setHealthTimeoutMs(uint256 value) external;
}
