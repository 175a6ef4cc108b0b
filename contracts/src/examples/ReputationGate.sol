// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ILivelinessRegistry} from "../interfaces/ILivelinessRegistry.sol";

/// @title ReputationGate: an example consumer of the Liveliness registry.
/// @notice Gates an action on the caller's liveness score, and tells a slashing module when an operator has
///         collected too many penalties. Each check is one view call on the registry.
contract ReputationGate {
    /// @notice The registry read.
    ILivelinessRegistry public immutable registry;
    /// @notice Lowest score allowed to perform the gated action (at least 1).
    uint256 public immutable minScore;
    /// @notice Lifetime penalty count from which `shouldSlash` is true.
    uint256 public immutable maxPenalties;
    /// @notice How many times each address performed the gated action.
    mapping(address => uint256) public actionsPerformed;

    event ActionPerformed(address indexed operator, uint256 score);

    error ZeroAddress();
    error InvalidMaxPenalties();
    error InvalidMinScore();
    error InsufficientLivelinessScore(address operator, uint256 score, uint256 minScore);

    constructor(address registry_, uint256 minScore_, uint256 maxPenalties_) {
        if (registry_ == address(0)) revert ZeroAddress();
        if (maxPenalties_ == 0) revert InvalidMaxPenalties();
        // A score of 0 is what an unregistered address or a fully penalized operator reads: a gate at 0 admits
        // everyone.
        if (minScore_ == 0) revert InvalidMinScore();
        registry = ILivelinessRegistry(registry_);
        minScore = minScore_;
        maxPenalties = maxPenalties_;
    }

    /// @notice True iff `operator`'s score is at least `minScore`.
    function isAllowed(address operator) public view returns (bool) {
        return registry.getLivelinessScore(operator) >= minScore;
    }

    /// @notice The gated action: only callers whose score is at least `minScore`.
    function gatedAction() external {
        uint256 score = registry.getLivelinessScore(msg.sender);
        if (score < minScore) revert InsufficientLivelinessScore(msg.sender, score, minScore);
        ++actionsPerformed[msg.sender];
        emit ActionPerformed(msg.sender, score);
    }

    /// @notice Slashing trigger: true once `operator`'s lifetime penalty count reaches `maxPenalties`.
    function shouldSlash(address operator) external view returns (bool) {
        return registry.penalties(operator) >= maxPenalties;
    }
}
