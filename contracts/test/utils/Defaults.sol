// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ILivelinessRegistry} from "../../src/interfaces/ILivelinessRegistry.sol";

/// @dev The registry's default parameters (`LivelinessRegistry.defaultParams()`), for deploying it in tests.
function defaultRegistryParams() pure returns (ILivelinessRegistry.Params memory) {
    return ILivelinessRegistry.Params({
        C: 1000,
        epochLength: 10,
        sampleSize: 8,
        performerTimeoutBlocks: 5,
        taskValidityBlocks: 40,
        confirmationDepth: 2,
        healthTimeoutMs: 2000
    });
}
