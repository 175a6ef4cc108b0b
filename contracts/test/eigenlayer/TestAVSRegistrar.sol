// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAVSRegistrar} from "../../src/interfaces/IAVSRegistrar.sol";

/// @title A registrar that admits every operator the AllocationManager sends it, and records what it was given.
/// @notice Test fixture for the EigenLayer cross-boundary tests: it checks that only the AllocationManager calls
///         it and only for its AVS, and keeps each operator's operator sets and registration data so that a test
///         can see what crossed the boundary.
contract TestAVSRegistrar is IAVSRegistrar {
    /// @notice The only caller of `registerOperator` and `deregisterOperator`.
    address public immutable allocationManager;
    /// @notice The AVS this registrar serves.
    address public immutable avs;

    /// @notice Whether the operator is registered for the operator set (operator => set id => registered).
    mapping(address => mapping(uint32 => bool)) public isRegistered;
    /// @notice The `data` the operator registered with last.
    mapping(address => bytes) public registrationData;
    /// @notice How many registrations and deregistrations were recorded.
    uint256 public registrations;
    uint256 public deregistrations;

    event OperatorRegistered(address indexed operator, uint32[] operatorSetIds, bytes data);
    event OperatorDeregistered(address indexed operator, uint32[] operatorSetIds);

    error NotAllocationManager(address caller);
    error WrongAVS(address avs);

    constructor(address allocationManager_, address avs_) {
        allocationManager = allocationManager_;
        avs = avs_;
    }

    function registerOperator(address operator, address avs_, uint32[] calldata operatorSetIds, bytes calldata data)
        external
    {
        _checkCaller(avs_);
        for (uint256 i = 0; i < operatorSetIds.length; ++i) {
            isRegistered[operator][operatorSetIds[i]] = true;
        }
        registrationData[operator] = data;
        ++registrations;
        emit OperatorRegistered(operator, operatorSetIds, data);
    }

    function deregisterOperator(address operator, address avs_, uint32[] calldata operatorSetIds) external {
        _checkCaller(avs_);
        for (uint256 i = 0; i < operatorSetIds.length; ++i) {
            isRegistered[operator][operatorSetIds[i]] = false;
        }
        ++deregistrations;
        emit OperatorDeregistered(operator, operatorSetIds);
    }

    function supportsAVS(address avs_) external view returns (bool) {
        return avs_ == avs;
    }

    function _checkCaller(address avs_) internal view {
        if (msg.sender != allocationManager) revert NotAllocationManager(msg.sender);
        if (avs_ != avs) revert WrongAVS(avs_);
    }
}
