// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Minimal two-step ownership.
/// @notice The owner proposes a new owner, who must accept; until then the old owner keeps control.
///         Proposing `address(0)` cancels a pending transfer. Ownership cannot be renounced: these
///         contracts always need a governance address.
abstract contract Owned2Step {
    /// @notice The current owner (governance).
    address public owner;
    /// @notice The proposed owner, `address(0)` when none.
    address public pendingOwner;

    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error Unauthorized(address caller);
    error ZeroOwner();

    modifier onlyOwner() {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        _;
    }

    constructor(address initialOwner) {
        if (initialOwner == address(0)) revert ZeroOwner();
        owner = initialOwner;
        emit OwnershipTransferred(address(0), initialOwner);
    }

    /// @notice Starts a transfer to `newOwner`; it takes effect when `newOwner` calls `acceptOwnership`.
    function transferOwnership(address newOwner) external onlyOwner {
        pendingOwner = newOwner;
        emit OwnershipTransferStarted(msg.sender, newOwner);
    }

    /// @notice Completes a transfer started by `transferOwnership`.
    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert Unauthorized(msg.sender);
        address previous = owner;
        owner = msg.sender;
        delete pendingOwner;
        emit OwnershipTransferred(previous, msg.sender);
    }
}
