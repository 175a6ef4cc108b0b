// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";
import {ILivelinessRegistry} from "../src/interfaces/ILivelinessRegistry.sol";

/// @dev Issue 7, items 1 and 4: the exploits an auditor wrote against the previous contracts, replayed against
///      these. Each test builds the attack exactly as it worked before (copied certificates, back-dated reference
///      blocks, re-signed tasks, a blocking minority) and shows it now fails, and that the honest outcome still
///      lands. Epochs are 10 blocks (the registry's default); ops[0..3] have ids 1..4 and power 100 each.
contract AccountabilityTest is Fixture {
    uint32 internal constant E1 = 110;
    uint32 internal constant E2 = 120;

    function setUp() public {
        vm.roll(100);
        _deploy();
        _addOperators(4, 100);
        for (uint256 i = 0; i < 4; ++i) {
            _registerEndpoint(i);
        }
        vm.roll(E1 + 1);
    }

    /// @dev A task by ops[performer] whose data is garbage: provably wrong, so honest attesters reject it.
    function _faultyTask(uint256 performer) internal returns (IAttestationCenter.TaskInfo memory) {
        return _task(hex"deadbeef", ops[performer].addr);
    }

    function _recovered(bytes memory sig, bytes32 th, uint32 epochBlock) internal view returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return ecrecover(_ethSigned(_taskDigest(th, epochBlock)), v, r, s);
    }

    /// @dev Moves a certificate to another reference block: the hints are re-read for it, σ and apkG2 are kept.
    function _backdate(IAttestationCenter.Attestation memory att, uint32 ref, address performer)
        internal
        view
        returns (IAttestationCenter.Attestation memory moved)
    {
        moved.sigma = att.sigma;
        moved.apkG2 = att.apkG2;
        moved.nonSignerIds = att.nonSignerIds;
        moved.referenceBlock = ref;
        moved.apkHint = ac.apkHintAt(ref);
        moved.performerHint = ac.operatorHintAt(ac.operatorsIdsByAddress(performer), ref);
        moved.nonSignerHints = new uint32[](att.nonSignerIds.length);
        for (uint256 i = 0; i < att.nonSignerIds.length; ++i) {
            moved.nonSignerHints[i] = ac.operatorHintAt(att.nonSignerIds[i], ref);
        }
    }

    // =============================================================================================
    // Item 1 (a): a performer penalized in an earlier epoch cannot dodge its next penalty by back-dating
    // the honest reject certificate of its new faulty task, nor burn that certificate.
    // =============================================================================================

    function test_ExploitA_BackdatedRejectCertificateIsRefusedAndTheHonestOneLands() public {
        // Epoch E1: ops[0]'s faulty task is rejected; one penalty, for E1.
        IAttestationCenter.TaskInfo memory t1 = _faultyTask(0);
        _submit(t1, false, ops[0].ecdsaKey, _certify(t1, false, E1, _ids(1)));
        vm.assertEq(reg.penalties(ops[0].addr), 1);

        // Epoch E2: another faulty task; ops 2..4 reject it at E2 (300 of 400).
        vm.roll(E2 + 1);
        IAttestationCenter.TaskInfo memory t2 = _faultyTask(0);
        bytes32 th = _taskHash(t2);
        IAttestationCenter.Attestation memory honest = _certify(t2, false, E2, _ids(1));
        bytes memory sigE2 = _perfSig(t2, E2, ops[0].ecdsaKey);

        // The attack: the same certificate back-dated to E1, whose penalty the performer already has.
        IAttestationCenter.Attestation memory backdated = _backdate(honest, E1, ops[0].addr);
        backdated.h2cHint = _h2cHint(_voteHash(t2, false, E1));
        // (1) with the signature the performer gave the network: it commits to E2.
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.InvalidPerformerSignature.selector, _recovered(sigE2, th, E1), ops[0].addr
            )
        );
        ac.submitTask(t2, false, sigE2, 0, blockhash(backdated.referenceBlock), backdated);
        // (2) the performer re-signs its task for E1: the votes commit to E2.
        bytes memory sigE1 = _perfSig(t2, E1, ops[0].ecdsaKey);
        vm.expectRevert(IAttestationCenter.InvalidBlsSignature.selector);
        ac.submitTask(t2, false, sigE1, 0, blockhash(backdated.referenceBlock), backdated);

        // Nothing was burnt: the honest certificate lands and the performer gets its penalty for E2.
        vm.assertFalse(ac.submitted(th, E1));
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(ops[0].addr, E2, 1000, true);
        ac.submitTask(t2, false, sigE2, 0, blockhash(honest.referenceBlock), honest);
        vm.assertTrue(ac.submitted(th, E2));
        vm.assertEq(reg.penalties(ops[0].addr), 2);
    }

    /// @dev Even a certificate that the contract would accept at another block (the performer signed its task for
    ///      two epochs, and a supermajority voted at both) is keyed by its own reference block: landing one
    ///      never burns the other.
    function test_ExploitA_CertificateAtAnotherBlockDoesNotBurnTheTask() public {
        vm.roll(E2 + 1);
        IAttestationCenter.TaskInfo memory t = _faultyTask(0);
        bytes32 th = _taskHash(t);
        _submit(t, false, ops[0].ecdsaKey, _certify(t, false, E1, _ids(1)));
        vm.assertTrue(ac.submitted(th, E1));
        vm.assertFalse(ac.submitted(th, E2));
        _submit(t, false, ops[0].ecdsaKey, _certify(t, false, E2, _ids(1)));
        vm.assertTrue(ac.submitted(th, E2));
        vm.assertEq(reg.penalties(ops[0].addr), 2); // one per epoch in which it signed the faulty task
    }

    // =============================================================================================
    // Item 1 (b): a task that never went on chain is not rejectable in another epoch.
    // =============================================================================================

    function test_ExploitB_NeverLandedTaskIsNotRejectableLater() public {
        // An honest E1 task of ops[1] naming nobody: its approval penalizes nobody and is never submitted.
        IAttestationCenter.TaskInfo memory t = _epochTask(E1, _noAddrs(), _noAddrs(), 1);
        bytes32 th = _taskHash(t);
        bytes memory sig = _perfSig(t, E1, ops[1].ecdsaKey);

        // Later epochs: every operator, even all of them, signs a reject at E2; the performer's signature
        // binds the task to E1.
        vm.roll(E2 + 1);
        IAttestationCenter.Attestation memory att = _certify(t, false, E2, _none());
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.InvalidPerformerSignature.selector, _recovered(sig, th, E2), ops[1].addr
            )
        );
        ac.submitTask(t, false, sig, 0, blockhash(att.referenceBlock), att);

        // At its own epoch block, a blocking minority (200 of 400, more than 1/3) cannot reject it either.
        att = _certify(t, false, E1, _ids(3, 4));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, false, 200, 400));
        ac.submitTask(t, false, sig, 0, blockhash(att.referenceBlock), att);

        // And once maxTaskAge has passed, nothing is accepted for it at all.
        vm.roll(E1 + MAX_TASK_AGE + 1);
        att = _certify(t, false, E1, _ids(1));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.ReferenceBlockTooOld.selector, E1, E1 + MAX_TASK_AGE + 1, MAX_TASK_AGE
            )
        );
        ac.submitTask(t, false, sig, 0, blockhash(att.referenceBlock), att);
        vm.assertEq(reg.penalties(ops[1].addr), 0);
    }

    // =============================================================================================
    // Item 1 (c): after a voting-power change, approve and reject of one task are not both valid at
    // different reference blocks.
    // =============================================================================================

    function test_ExploitC_PowerChangeDoesNotMakeApproveAndRejectBothValid() public {
        IAttestationCenter.TaskInfo memory t = _epochTask(E1, _noAddrs(), _noAddrs(), 0);
        bytes32 th = _taskHash(t);
        bytes memory sig = _perfSig(t, E1, ops[0].ecdsaKey);
        // ops 1..3 approve at E1 (300 of 400).
        IAttestationCenter.Attestation memory approve = _certify(t, true, E1, _ids(4));

        // After E1, ops[3] (id 4, which did not approve) gets 10x the power of the others together.
        vm.roll(E1 + 2);
        _setPower(3, 3000);
        vm.roll(E2 + 1);
        // Before: ops[3] alone rejected at E2 (3000 of 3300) while the approval at E1 was valid too.
        IAttestationCenter.Attestation memory reject = _certify(t, false, E2, _ids(1, 2, 3));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.InvalidPerformerSignature.selector, _recovered(sig, th, E2), ops[0].addr
            )
        );
        ac.submitTask(t, false, sig, 0, blockhash(reject.referenceBlock), reject);
        // At E1, the only block the task can be judged at, ops[3] alone has 100 of 400.
        reject = _certify(t, false, E1, _ids(1, 2, 3));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, false, 100, 400));
        ac.submitTask(t, false, sig, 0, blockhash(reject.referenceBlock), reject);

        ac.submitTask(t, true, sig, 0, blockhash(approve.referenceBlock), approve);
        vm.assertEq(reg.penalties(ops[0].addr), 0);

        // Approve and reject at one block are both valid only if signers with more than 1/3 of the power signed
        // both (here ops[1] and ops[2], 200 of 400, equivocated). Even then only one lands: the task is
        // submitted at E1.
        reject = _certify(t, false, E1, _ids(1));
        (uint256 signed, uint256 total,) = ac.verifyAttestationGas(_voteHash(t, false, E1), reject);
        vm.assertTrue(ac.meetsThreshold(signed, total));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.TaskAlreadySubmitted.selector, th, E1));
        ac.submitTask(t, false, sig, 0, blockhash(reject.referenceBlock), reject);
        vm.assertEq(reg.penalties(ops[0].addr), 0);
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](1);
        xs[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](2);
        (xs[0], xs[1]) = (a, b);
    }

    function _ids(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](3);
        (xs[0], xs[1], xs[2]) = (a, b, c);
    }

    // =============================================================================================
    // Item 4: a blocking minority cannot penalize; a reject needs more than 2/3, exactly as an approval.
    // =============================================================================================

    /// @dev Powers: ops[0] (the performer) 1, ops[1] 200, ops[2] 1, ops[3] 98; total 300. ops[1] alone has
    ///      exactly 2/3; with ops[2], 201.
    function _boundaryPowers() internal {
        vm.roll(E2 - 5);
        _setPower(0, 1);
        _setPower(1, 200);
        _setPower(2, 1);
        _setPower(3, 98);
        vm.roll(E2 + 1);
    }

    function test_Item4_RejectAtExactlyTwoThirdsIsRefusedAndPenalizesNobody() public {
        _boundaryPowers();
        IAttestationCenter.TaskInfo memory t = _epochTask(E2, _noAddrs(), _noAddrs(), 0);
        IAttestationCenter.Attestation memory att = _certify(t, false, E2, _ids(1, 3, 4)); // ops[1]: 200
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, false, 200, 300));
        ac.submitTask(t, false, _perfSig(t, E2, ops[0].ecdsaKey), 0, blockhash(att.referenceBlock), att);
        vm.assertEq(reg.penalties(ops[0].addr), 0);
        // One more unit of power: 201 of 300 > 2/3, the performer is penalized.
        att = _certify(t, false, E2, _ids(1, 4)); // ops[1] + ops[2]: 201
        _submit(t, false, ops[0].ecdsaKey, att);
        vm.assertEq(reg.penalties(ops[0].addr), 1);
    }

    function test_Item4_ApproveAtExactlyTwoThirdsIsRefusedJustAboveAccepted() public {
        _boundaryPowers();
        address[] memory down = _addrs(ops[3].addr);
        IAttestationCenter.TaskInfo memory t = _epochTask(E2, down, _noAddrs(), 0);
        IAttestationCenter.Attestation memory att = _certify(t, true, E2, _ids(1, 3, 4));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, true, 200, 300));
        ac.submitTask(t, true, _perfSig(t, E2, ops[0].ecdsaKey), 0, blockhash(att.referenceBlock), att);
        vm.assertEq(reg.penalties(ops[3].addr), 0);
        _submit(t, true, ops[0].ecdsaKey, _certify(t, true, E2, _ids(1, 4)));
        vm.assertEq(reg.penalties(ops[3].addr), 1);
    }

    /// @dev Every coalition of the four (with the powers above) gets the performer penalized iff it has more than
    ///      2/3 of the power; any other reject certificate is refused and penalizes nobody.
    function testFuzz_Item4_AnyCoalitionAtMostTwoThirdsCannotPenalize(uint8 mask) public {
        _boundaryPowers();
        uint96[4] memory power = [uint96(1), 200, 1, 98];
        uint256 signed;
        uint256 n;
        uint256[] memory nonSigners = new uint256[](4);
        for (uint256 i = 0; i < 4; ++i) {
            if (mask & (1 << i) != 0) signed += power[i];
            else nonSigners[n++] = i + 1;
        }
        assembly {
            mstore(nonSigners, n)
        }
        vm.assume(signed != 0);
        IAttestationCenter.TaskInfo memory t = _epochTask(E2, _noAddrs(), _noAddrs(), 0);
        IAttestationCenter.Attestation memory att = _certify(t, false, E2, nonSigners);
        bytes memory sig = _perfSig(t, E2, ops[0].ecdsaKey);
        if (3 * signed > 2 * 300) {
            ac.submitTask(t, false, sig, 0, blockhash(att.referenceBlock), att);
            vm.assertEq(reg.penalties(ops[0].addr), 1);
        } else {
            vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, false, signed, 300));
            ac.submitTask(t, false, sig, 0, blockhash(att.referenceBlock), att);
            vm.assertEq(reg.penalties(ops[0].addr), 0);
        }
    }
}
