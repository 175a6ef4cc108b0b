// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Receiver of proven misbehaviour.
/// @notice The AttestationCenter calls its AVS logic through this interface once per offence proven on chain
///         (`proveVoteEquivocation`, `proveTaskEquivocation`), so that the logic can penalize the offender.
interface IEvidenceSink {
    /// @notice `operator` signed both outcomes of one task at `referenceBlock`; called once per offence.
    function onVoteEquivocation(address operator, uint32 referenceBlock) external;
    /// @notice `operator` signed two different tasks for one round of the epoch that starts at `epochBlock`;
    ///         called once per offence.
    function onTaskEquivocation(address operator, uint32 epochBlock) external;
}
