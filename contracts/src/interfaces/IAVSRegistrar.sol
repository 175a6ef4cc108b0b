// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title The registrar an EigenLayer AVS names in the AllocationManager (`setAVSRegistrar`).
/// @notice The same selectors as EigenLayer's `IAVSRegistrar` (core v1.3.0 and later): the AllocationManager calls
///         `registerOperator` from `registerForOperatorSets` and `deregisterOperator` from
///         `deregisterFromOperatorSets`, after it has updated its own membership; a revert undoes both.
///         `setAVSRegistrar` refuses a registrar whose `supportsAVS(avs)` is false.
interface IAVSRegistrar {
    function registerOperator(address operator, address avs, uint32[] calldata operatorSetIds, bytes calldata data)
        external;

    function deregisterOperator(address operator, address avs, uint32[] calldata operatorSetIds) external;

    function supportsAVS(address avs) external view returns (bool);
}
