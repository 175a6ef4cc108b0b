// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAttestationCenter} from "./IAttestationCenter.sol";

/// @title AVS logic hooks, with Othentic's exact signature.
/// @notice The AttestationCenter calls `beforeTaskSubmission` and then `afterTaskSubmission` once a task's
///         certificate is verified. During both calls `IAttestationCenter.taskReferenceBlock()` returns the
///         certificate's reference block.
/// @dev Difference from Othentic: `taSignature` is the aggregate BLS signature σ (G1), and the last array
///      (`attestersIds` in Othentic) carries the ids of the operators that did NOT sign. Passing every signer
///      would make the gas of a submission grow with the number of attesters.
interface IAvsLogic {
    function beforeTaskSubmission(
        IAttestationCenter.TaskInfo calldata taskInfo,
        bool isApproved,
        bytes calldata tpSignature,
        uint256[2] calldata taSignature,
        uint256[] calldata attestersIds
    ) external;

    function afterTaskSubmission(
        IAttestationCenter.TaskInfo calldata taskInfo,
        bool isApproved,
        bytes calldata tpSignature,
        uint256[2] calldata taSignature,
        uint256[] calldata attestersIds
    ) external;
}
