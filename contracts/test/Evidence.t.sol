// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {console} from "./utils/Test.sol";
import {BN254} from "../src/libraries/BN254.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";
import {ILivelinessRegistry} from "../src/interfaces/ILivelinessRegistry.sol";

/// @dev Issue 7, item 2 (i): two valid BLS votes of one operator for opposite outcomes of one task are evidence
///      anyone can submit; the operator is penalized once per offence. ops[0..3] have ids 1..4, power 100 each.
contract EvidenceTest is Fixture {
    uint32 internal constant E1 = 110;
    address internal constant ANYONE = address(0xBEEF);

    IAttestationCenter.TaskInfo internal task;

    function setUp() public {
        vm.roll(100);
        _deploy();
        _addOperators(4, 100);
        for (uint256 i = 0; i < 4; ++i) {
            _registerEndpoint(i);
        }
        vm.roll(E1 + 1);
        task = _epochTask(E1, _noAddrs(), _noAddrs(), 0);
    }

    /// @dev ops[index]'s BLS vote on `t` for `approve` at `ref`.
    function _vote(IAttestationCenter.TaskInfo memory t, bool approve, uint32 ref, uint256 index)
        internal
        view
        returns (uint256[2] memory sig)
    {
        (uint256 hx, uint256 hy) = BN254.hashToG1(_voteHash(t, approve, ref));
        (sig[0], sig[1]) = BN254.mul(hx, hy, ops[index].sk);
    }

    /// @dev Submits ops[index]'s two votes on `task` at E1 as evidence, from an account that is nobody; `err`
    ///      non-empty: expects that revert.
    function _prove(uint256 index, uint256[2] memory approveSig, uint256[2] memory rejectSig, bytes memory err)
        internal
    {
        uint32 hint = ac.operatorHintAt(ops[index].id, E1);
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(ANYONE);
        ac.proveVoteEquivocation(task, E1, ops[index].id, hint, approveSig, rejectSig);
    }

    function test_VoteEquivocation_PenalizedOncePerOffence() public {
        bytes32 th = _taskHash(task);
        bytes32 offence = ac.voteEquivocationKey(3, th, E1);
        vm.assertEq(offence, keccak256(abi.encode(uint256(3), th, E1)));
        uint256[2] memory a = _vote(task, true, E1, 2);
        uint256[2] memory r = _vote(task, false, E1, 2);

        vm.expectEmit(address(ac));
        emit IAttestationCenter.VoteEquivocationProven(3, ops[2].addr, th, E1);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(ops[2].addr, E1, 1000, false);
        _prove(2, a, r, "");
        vm.assertTrue(ac.voteEquivocationProven(offence));
        vm.assertEq(reg.penalties(ops[2].addr), 1);
        vm.assertEq(reg.penaltyPoints(ops[2].addr), 1000);

        // The same offence again, in any form: refused, no second penalty.
        _prove(2, a, r, abi.encodeWithSelector(IAttestationCenter.EquivocationAlreadyProven.selector, offence));
        vm.assertEq(reg.penalties(ops[2].addr), 1);

        // Nobody else was touched.
        for (uint256 i = 0; i < 4; ++i) {
            if (i != 2) vm.assertEq(reg.penalties(ops[i].addr), 0);
        }
    }

    /// @dev An equivocation is its own offence: it is penalized even in an epoch in which the operator already has
    ///      a penalty (here: named unhealthy), and a second equivocation in that epoch is penalized too.
    function test_VoteEquivocation_PenalizedBesidesTheEpochPenalty() public {
        _submitEpoch(E1, _addrs(ops[2].addr), _noAddrs(), 0);
        vm.assertEq(reg.penalties(ops[2].addr), 1);
        _prove(2, _vote(task, true, E1, 2), _vote(task, false, E1, 2), "");
        vm.assertEq(reg.penalties(ops[2].addr), 2);
        task = _epochTask(E1, _addrs(ops[1].addr), _noAddrs(), 0);
        _prove(2, _vote(task, true, E1, 2), _vote(task, false, E1, 2), "");
        vm.assertEq(reg.penalties(ops[2].addr), 3);
        vm.assertEq(reg.penaltyPoints(ops[2].addr), 3000);
    }

    function test_VoteEquivocation_ForgeriesAreRefused() public {
        uint256[2] memory a = _vote(task, true, E1, 2);
        uint256[2] memory r = _vote(task, false, E1, 2);
        bytes memory bad = abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector);
        // One honest vote used twice.
        _prove(2, a, a, bad);
        _prove(2, r, r, bad);
        // The opposite vote by someone else.
        _prove(2, a, _vote(task, false, E1, 1), bad);
        // Swapped.
        _prove(2, r, a, bad);
        // Votes at another reference block than the one claimed.
        _prove(2, _vote(task, true, E1 - 10, 2), _vote(task, false, E1 - 10, 2), bad);
        // Votes on another task.
        IAttestationCenter.TaskInfo memory other = _epochTask(E1, _addrs(ops[3].addr), _noAddrs(), 0);
        _prove(2, _vote(other, true, E1, 2), _vote(other, false, E1, 2), bad);
        // Not a curve point.
        uint256[2] memory off = [uint256(1), 3];
        _prove(2, a, off, abi.encodeWithSelector(IAttestationCenter.InvalidSignaturePoint.selector));
        vm.assertEq(reg.penalties(ops[2].addr), 0);
    }

    function test_VoteEquivocation_OperatorMustBeActiveAtTheBlock() public {
        uint256[2] memory a = _vote(task, true, E1, 3);
        uint256[2] memory r = _vote(task, false, E1, 3);
        // Unknown id.
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.UnknownOperator.selector, 9));
        ac.proveVoteEquivocation(task, E1, 9, 0, a, r);
        // A block in the future.
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.ReferenceBlockNotInPast.selector, E1 + 1, E1 + 1));
        ac.proveVoteEquivocation(task, E1 + 1, 4, 0, a, r);
        // ops[3] leaves after E1; at a later block it is no operator that could vote.
        vm.prank(ops[3].addr);
        ac.leave();
        vm.roll(E1 + 12);
        IAttestationCenter.TaskInfo memory later = _epochTask(E1 + 10, _noAddrs(), _noAddrs(), 0);
        uint32 hint = ac.operatorHintAt(4, E1 + 10);
        uint256[2] memory la = _vote(later, true, E1 + 10, 3);
        uint256[2] memory lr = _vote(later, false, E1 + 10, 3);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.EquivocatorNotActive.selector, 4, E1 + 10));
        ac.proveVoteEquivocation(later, E1 + 10, 4, hint, la, lr);
        // A hint that does not cover the block.
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 4, hint, E1));
        ac.proveVoteEquivocation(task, E1, 4, hint, a, r);
        // At E1 it was active: its double vote there is still proven after it left.
        _prove(3, a, r, "");
        vm.assertEq(reg.penalties(ops[3].addr), 1);
    }

    /// @dev Gas of `proveVoteEquivocation` with cold storage (reported; the hash-to-G1 tries of the two messages
    ///      vary it by about 1,760 each).
    function test_VoteEquivocation_Gas() public {
        uint256[2] memory a = _vote(task, true, E1, 2);
        uint256[2] memory r = _vote(task, false, E1, 2);
        uint32 hint = ac.operatorHintAt(3, E1);
        vm.cool(address(ac));
        vm.cool(address(reg));
        uint256 g = gasleft();
        ac.proveVoteEquivocation(task, E1, 3, hint, a, r);
        uint256 used = g - gasleft();
        console.log(string.concat("proveVoteEquivocation gas (execution, cold): ", vm.toString(used)));
        vm.assertLt(used, 220_000, "proveVoteEquivocation gas");
    }
}
