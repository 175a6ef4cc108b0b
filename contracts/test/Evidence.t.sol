// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {console} from "./utils/Test.sol";
import {BN254} from "../src/libraries/BN254.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";
import {ILivelinessRegistry} from "../src/interfaces/ILivelinessRegistry.sol";

/// @dev Issue 7, item 2: two valid BLS votes of one operator for opposite outcomes of one task (i), and two
///      different tasks signed by one performer for one (epoch, round) (ii), are evidence anyone can submit; the
///      offender is penalized once per offence. ops[0..3] have ids 1..4, power 100 each.
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

    // ---------------------------------------------------------------------------------------------
    // (ii) Task equivocation
    // ---------------------------------------------------------------------------------------------

    /// @dev Submits ops[index]'s signatures of `tha` and `thb` as its tasks of (`epochBlock`, `round`), from an
    ///      account that is nobody; `err` non-empty: expects that revert.
    function _proveTasks(
        uint256 index,
        uint32 epochBlock,
        uint32 round,
        bytes32 tha,
        bytes memory sa,
        bytes32 thb,
        bytes memory sb,
        bytes memory err
    ) internal {
        uint32 hint = ac.operatorHintAt(ops[index].id, epochBlock);
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(ANYONE);
        _proveRaw(ops[index].addr, epochBlock, round, hint, tha, sa, thb, sb);
    }

    /// @dev `proveTaskEquivocation` with the epoch block's hash as the EVM knows it now.
    function _proveRaw(
        address performer,
        uint32 epochBlock,
        uint32 round,
        uint32 hint,
        bytes32 tha,
        bytes memory sa,
        bytes32 thb,
        bytes memory sb
    ) internal {
        ac.proveTaskEquivocation(
            performer,
            epochBlock,
            blockhash(epochBlock),
            round,
            hint,
            IAttestationCenter.SignedTask(tha, sa),
            IAttestationCenter.SignedTask(thb, sb)
        );
    }

    /// @dev ops[1]'s two signed tasks proven as evidence for round 0 of E1 with the epoch block hash `claimed`.
    function _proveAt(bytes32 claimed, bytes32 tha, bytes memory sa, bytes32 thb, bytes memory sb) internal {
        ac.proveTaskEquivocation(
            ops[1].addr,
            E1,
            claimed,
            0,
            ac.operatorHintAt(2, E1),
            IAttestationCenter.SignedTask(tha, sa),
            IAttestationCenter.SignedTask(thb, sb)
        );
    }

    /// @dev A performer that signs again after a reorg of its epoch block signs for another block hash: its two
    ///      signatures are for two contexts, no equivocation, whichever hash is claimed.
    function test_TaskEquivocation_SigningAgainAfterAReorgIsNoEvidence() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        bytes32 orphaned = keccak256("the orphaned epoch block");
        bytes memory sa = _perfSig(tha, E1, orphaned, 0, ops[1].ecdsaKey);
        bytes memory sb = _perfSig(thb, E1, blockhash(E1), 0, ops[1].ecdsaKey);
        vm.expectPartialRevert(IAttestationCenter.InvalidPerformerSignature.selector);
        this.proveAtExternal(orphaned, tha, sa, thb, sb);
        vm.expectPartialRevert(IAttestationCenter.InvalidPerformerSignature.selector);
        this.proveAtExternal(blockhash(E1), tha, sa, thb, sb);
        vm.assertEq(reg.penalties(ops[1].addr), 0);
        // Two different tasks signed for the orphaned block are evidence all the same.
        _proveAt(orphaned, tha, sa, thb, _perfSig(thb, E1, orphaned, 0, ops[1].ecdsaKey));
        vm.assertEq(reg.penalties(ops[1].addr), 1);
    }

    /// @dev `_proveAt` as an external call, so that a revert can be expected of it as a whole.
    function proveAtExternal(bytes32 claimed, bytes32 tha, bytes memory sa, bytes32 thb, bytes memory sb) external {
        _proveAt(claimed, tha, sa, thb, sb);
    }

    /// @dev Two task hashes of ops[1] for E1 (one naming ops[3] unhealthy, one naming nobody).
    function _twoTasks() internal returns (bytes32 tha, bytes32 thb) {
        tha = _taskHash(_epochTask(E1, _noAddrs(), _noAddrs(), 1));
        thb = _taskHash(_epochTask(E1, _addrs(ops[3].addr), _noAddrs(), 1));
    }

    function test_TaskEquivocation_PenalizedOncePerOffence() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        uint256 k = ops[1].ecdsaKey;
        bytes32 offence = ac.taskEquivocationKey(2, E1, blockhash(E1), 3);
        vm.assertEq(offence, keccak256(abi.encode(uint256(2), uint256(E1), blockhash(E1), uint256(3))));

        vm.expectEmit(address(ac));
        emit IAttestationCenter.TaskEquivocationProven(2, ops[1].addr, E1, blockhash(E1), 3, tha, thb);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(ops[1].addr, E1, 1000, true);
        _proveTasks(1, E1, 3, tha, _perfSig(tha, E1, 3, k), thb, _perfSig(thb, E1, 3, k), "");
        vm.assertTrue(ac.taskEquivocationProven(offence));
        vm.assertEq(reg.penalties(ops[1].addr), 1);
        vm.assertEq(reg.penaltyPoints(ops[1].addr), 1000);

        // The same offence again, swapped or with a third task of that round: refused, no second penalty.
        bytes memory again = abi.encodeWithSelector(IAttestationCenter.EquivocationAlreadyProven.selector, offence);
        _proveTasks(1, E1, 3, thb, _perfSig(thb, E1, 3, k), tha, _perfSig(tha, E1, 3, k), again);
        bytes32 thc = _taskHash(_epochTask(E1, _addrs(ops[2].addr), _noAddrs(), 1));
        _proveTasks(1, E1, 3, tha, _perfSig(tha, E1, 3, k), thc, _perfSig(thc, E1, 3, k), again);
        vm.assertEq(reg.penalties(ops[1].addr), 1);

        // Another round of the same epoch is another offence.
        _proveTasks(1, E1, 4, tha, _perfSig(tha, E1, 4, k), thb, _perfSig(thb, E1, 4, k), "");
        vm.assertEq(reg.penalties(ops[1].addr), 2);
        for (uint256 i = 0; i < 4; ++i) {
            if (i != 1) vm.assertEq(reg.penalties(ops[i].addr), 0);
        }
    }

    /// @dev What an honest performer signs is never evidence: one task for a round, the same task re-signed, or
    ///      different tasks for different rounds (an amendment is the next round's task) or epochs.
    function test_TaskEquivocation_HonestSignaturesAreNoEvidence() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        uint256 k = ops[1].ecdsaKey;
        bytes memory sa = _perfSig(tha, E1, 0, k);
        _proveTasks(1, E1, 0, tha, sa, tha, sa, abi.encodeWithSelector(IAttestationCenter.SameTask.selector, tha));
        // thb for round 1 (an amendment) claimed as round 0.
        bytes memory sb1 = _perfSig(thb, E1, 1, k);
        _proveTasks(
            1,
            E1,
            0,
            tha,
            sa,
            thb,
            sb1,
            abi.encodeWithSelector(
                IAttestationCenter.InvalidPerformerSignature.selector,
                ecrecover(_ethSigned(_taskDigest(thb, E1, 0)), uint8(sb1[64]), _word(sb1, 0), _word(sb1, 32)),
                ops[1].addr
            )
        );
        vm.assertEq(reg.penalties(ops[1].addr), 0);
    }

    function test_TaskEquivocation_ForgeriesAreRefused() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        uint256 k = ops[1].ecdsaKey;
        bytes memory sa = _perfSig(tha, E1, 2, k);
        bytes memory sb = _perfSig(thb, E1, 2, k);
        // Another operator's signature of the second task.
        bytes memory other = _perfSig(thb, E1, 2, ops[2].ecdsaKey);
        uint32 hint = ac.operatorHintAt(2, E1);
        vm.expectRevert(
            abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignature.selector, ops[2].addr, ops[1].addr)
        );
        vm.prank(ANYONE);
        _proveRaw(ops[1].addr, E1, 2, hint, tha, sa, thb, other);
        // Signatures replayed at another epoch block, or a wrong length, or a high s.
        bytes memory bad = abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignatureLength.selector, 64);
        bytes memory short = new bytes(64);
        _proveTasks(1, E1, 2, tha, sa, thb, short, bad);
        bytes memory high = abi.encodePacked(_word(sb, 0), bytes32(BN254_N - uint256(_word(sb, 32))), sb[64]);
        _proveTasks(
            1, E1, 2, tha, sa, thb, high, abi.encodeWithSelector(IAttestationCenter.PerformerSignatureHighS.selector)
        );
        vm.assertEq(reg.penalties(ops[1].addr), 0);
    }

    function test_TaskEquivocation_WrongContextIsRefused() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        bytes memory sa = _perfSig(tha, E1, 2, ops[1].ecdsaKey);
        bytes memory sb = _perfSig(thb, E1, 2, ops[1].ecdsaKey);
        vm.roll(E1 + 12);
        // Signatures for E1 replayed as evidence for another epoch block.
        uint32 hint = ac.operatorHintAt(2, E1 + 10);
        vm.expectRevert();
        _proveRaw(ops[1].addr, E1 + 10, 2, hint, tha, sa, thb, sb);
        // Not an operator; a block in the future.
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.PerformerNotOperator.selector, ANYONE));
        _proveRaw(ANYONE, E1, 2, 0, tha, sa, thb, sb);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.ReferenceBlockNotInPast.selector, E1 + 12, E1 + 12));
        _proveRaw(ops[1].addr, E1 + 12, 2, hint, tha, sa, thb, sb);
        // Signed on another AttestationCenter (here: another chain id).
        hint = ac.operatorHintAt(2, E1);
        vm.chainId(7);
        vm.expectRevert();
        _proveRaw(ops[1].addr, E1, 2, hint, tha, sa, thb, sb);
        vm.assertEq(reg.penalties(ops[1].addr), 0);
    }

    /// @dev Evidence stays valid after the performer left, but only for blocks at which it was active.
    function test_TaskEquivocation_PerformerMustBeActiveAtTheBlock() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        uint256 k = ops[1].ecdsaKey;
        vm.prank(ops[1].addr);
        ac.leave();
        vm.roll(E1 + 12);
        uint32 e2 = E1 + 10;
        uint32 hint = ac.operatorHintAt(2, e2);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.EquivocatorNotActive.selector, 2, e2));
        _proveRaw(ops[1].addr, e2, 0, hint, tha, _perfSig(tha, e2, 0, k), thb, _perfSig(thb, e2, 0, k));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 2, hint, E1));
        _proveRaw(ops[1].addr, E1, 0, hint, tha, _perfSig(tha, E1, 0, k), thb, _perfSig(thb, E1, 0, k));
        _proveTasks(1, E1, 0, tha, _perfSig(tha, E1, 0, k), thb, _perfSig(thb, E1, 0, k), "");
        vm.assertEq(reg.penalties(ops[1].addr), 1);
    }

    /// @dev Gas of `proveTaskEquivocation` with cold storage (reported).
    function test_TaskEquivocation_Gas() public {
        (bytes32 tha, bytes32 thb) = _twoTasks();
        uint256 k = ops[1].ecdsaKey;
        bytes memory sa = _perfSig(tha, E1, 0, k);
        bytes memory sb = _perfSig(thb, E1, 0, k);
        uint32 hint = ac.operatorHintAt(2, E1);
        vm.cool(address(ac));
        vm.cool(address(reg));
        uint256 g = gasleft();
        _proveRaw(ops[1].addr, E1, 0, hint, tha, sa, thb, sb);
        uint256 used = g - gasleft();
        console.log(string.concat("proveTaskEquivocation gas (execution, cold): ", vm.toString(used)));
        vm.assertLt(used, 80_000, "proveTaskEquivocation gas");
    }

    uint256 internal constant BN254_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    function _word(bytes memory b, uint256 offset) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 0x20), offset))
        }
    }
}
