// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Receiver of proven misbehaviour.
/// @notice The AttestationCenter calls its AVS logic through this interface once per offence proven on chain
///         (for example `proveVoteEquivocation`), so that the logic can penalize the offender.
interface IEvidenceSink {
    /// @notice `operator` signed both outcomes of one task at `referenceBlock`; called once per offence.
    function onVoteEquivocation(address operator, uint32 referenceBlock) external;
}
