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
        bytes32 digest = ac.taskSigningDigest(th);
        vm.assertEq(digest, 0x1be3bbe3a680e8243f3a68f5ce7cb834ea34d99cf9c020d88327ad5a49ea077b);
        bytes32 personal = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        vm.assertEq(personal, 0x2aa2351348dd8131adb9a146e35b7c11143880902a72b553d8e5e9e44eed5a32);
        vm.assertEq(ac.voteHash(t, true), 0x1b4a0bd7c88bf6229ae249864a18964348c7ad3d24d61b9e81c1d48223bec1a0);
        vm.assertEq(ac.voteHash(t, false), 0xbdece032165a7e38672bf50fdf658d852cc3df602c91811d01728a8ff4ed6107);
        vm.assertEq(ac.popMessage(ANVIL0), 0x4a0acafbd1a882a66809d3d7cc988fa4f89f053cf02b2f73084fc11bad7f7fa4);
    }

    /// @dev The performer signature the Rust test pins (anvil key 0 over the digest above) recovers the performer.
    function test_RustPinnedPerformerSignature() public pure {
        bytes32 personal = 0x2aa2351348dd8131adb9a146e35b7c11143880902a72b553d8e5e9e44eed5a32;
        bytes32 r = 0xad384789535316bfc79ba7bc568847e2224addf39ea7b87e767b214927b5292d;
        bytes32 s = 0x12a93211d87109cc9c51df028c18ae0cb982164949ead1090193bb3d724f81c2;
        vm.assertEq(ecrecover(personal, 27, r, s), ANVIL0);
    }
}
