// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {AttestationCenter} from "../src/AttestationCenter.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";

/// @dev The hash vectors pinned in the Rust protocol crate (crates/primitives/src/task.rs,
///      `pinned_task_vectors` and `performer_signature_roundtrip`), recomputed by the contract itself:
///      the AttestationCenter's code at the address anvil gives the first deployment, chain id 31337.
contract VectorsTest is Test {
    address internal constant AC = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
    address internal constant ANVIL0 = 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266;
    /// @dev The epoch (and reference) block of the pinned vectors.
    uint32 internal constant EPOCH = 1230;
    /// @dev The performer round of the pinned task signature.
    uint32 internal constant ROUND = 7;
    /// @dev The epoch block hash of the pinned task signature.
    bytes32 internal constant EPOCH_HASH = 0x1111111111111111111111111111111111111111111111111111111111111111;

    function _center() internal returns (IAttestationCenter) {
        AttestationCenter impl = new AttestationCenter(address(this), 100, address(0));
        vm.etch(AC, address(impl).code);
        vm.chainId(31337);
        return IAttestationCenter(AC);
    }

    function _task() internal pure returns (IAttestationCenter.TaskInfo memory) {
        return IAttestationCenter.TaskInfo({
            proofOfTask: "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq",
            data: hex"1234",
            taskPerformer: ANVIL0,
            taskDefinitionId: 7
        });
    }

    function test_RustPinnedTaskVectors() public {
        IAttestationCenter ac = _center();
        IAttestationCenter.TaskInfo memory t = _task();
        bytes32 th = ac.taskHash(t);
        vm.assertEq(th, 0xadac08b96f5d7f45f8ed08c74ce76e005de5f122f48ada19cef1d64f5829b0b4);
        bytes32 digest = ac.taskSigningDigest(th, EPOCH, EPOCH_HASH, ROUND);
        vm.assertEq(digest, 0x47167ea1d979302a808c825b019591aa62ad1840f3e0cdd5f8277d0b7180f618);
        bytes32 personal = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        vm.assertEq(personal, 0x7e754d334f7bbd28135ef1ce65d52ba790276089c03259986c201a9767769bda);
        vm.assertEq(ac.voteHash(t, true, EPOCH), 0x1be0a272deeaf6f05b4bf85c36bbb147b1deb43e8cce36121b57fba3c070e281);
        vm.assertEq(ac.voteHash(t, false, EPOCH), 0xb286633f3b5a7ea8e407c490f745ce580dc80d30c2dcaf4595b2d64b3e640193);
        vm.assertEq(ac.popMessage(ANVIL0), 0x4a0acafbd1a882a66809d3d7cc988fa4f89f053cf02b2f73084fc11bad7f7fa4);
    }

    /// @dev The performer signature the Rust test pins (anvil key 0 over the digest above) recovers the performer.
    function test_RustPinnedPerformerSignature() public pure {
        bytes32 personal = 0x7e754d334f7bbd28135ef1ce65d52ba790276089c03259986c201a9767769bda;
        bytes32 r = 0x4ceb82b44621b093717e1b655420a0319ee850164474309c017c4e970a89048b;
        bytes32 s = 0x58ca04f52f43380eada43911ef7a33aed15c84af2d35041ebe63570c1f379202;
        vm.assertEq(ecrecover(personal, 28, r, s), ANVIL0);
    }
}
