// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Fixture} from "./utils/Fixture.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";
import {ILivelinessRegistry} from "../src/interfaces/ILivelinessRegistry.sol";

/// @dev Issue 7 items 5 and 7 against the real AttestationCenter and registry, with real certificates: the
///      exploits of the review, each now failing.
contract ReputationTest is Fixture {
    function setUp() public {
        vm.roll(100);
        _deploy();
        _addOperators(4, 100); // ids 1..4, active from block 100
        for (uint256 i = 0; i < 4; ++i) {
            _registerEndpoint(i);
        }
        vm.roll(1001);
    }

    function _one(address a) internal pure returns (address[] memory xs) {
        xs = new address[](1);
        xs[0] = a;
    }

    /// @dev Before: an operator that left kept gaining a point per block and outranked those still serving.
    function test_LeftOperatorStopsGainingAndIsOutranked() public {
        address quitter = ops[3].addr;
        vm.assertEq(reg.getLivelinessScore(quitter), 901);
        vm.prank(quitter);
        ac.leave(); // stays registered in the registry
        vm.roll(100_000);
        vm.assertEq(reg.getLivelinessScore(quitter), 901, "frozen at the block it left");
        vm.assertEq(reg.getLivelinessScore(ops[0].addr), 99_900);
        // The owner cannot put it back to collect score for it.
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.OperatorHasLeft.selector, 4));
        ac.setVotingPower(4, 100);
    }

    /// @dev Before: unregistering and registering again reset the penalty points to 0.
    function test_ReregistrationKeepsPenaltyPoints() public {
        address x = ops[2].addr;
        _submitEpoch(1000, _one(x), _noAddrs(), 0); // C = 1000: score 900 → 0
        vm.assertEq(reg.getLivelinessScore(x), 0);
        vm.prank(x);
        ac.leave();
        vm.prank(x);
        reg.unregister();
        vm.prank(x);
        ac.rejoin();
        _setPower(2, 100);
        vm.prank(x);
        reg.register("http://again.example:8545/");
        vm.roll(1050);
        vm.assertEq(reg.penaltyPoints(x), 1000);
        vm.assertEq(reg.getLivelinessScore(x), 0, "950 blocks served, 1000 points owed");
        vm.roll(1101);
        vm.assertEq(reg.getLivelinessScore(x), 1);
    }

    /// @dev Before: a penalty for an older epoch submitted after one for a newer epoch was dropped, so anyone
    ///      could cancel a penalty by ordering submissions.
    function test_OlderEpochPenaltySubmittedLastStillLands() public {
        address x = ops[1].addr;
        vm.roll(1021);
        IAttestationCenter.TaskInfo memory older = _epochTask(1000, _one(x), _noAddrs(), 0);
        IAttestationCenter.Attestation memory olderAtt = _certify(older, true, 1000, _none());
        _submitEpoch(1020, _one(x), _noAddrs(), 2); // the newer epoch lands first
        _submit(older, true, ops[0].ecdsaKey, olderAtt);
        vm.assertEq(reg.penalties(x), 2);
        vm.assertEq(reg.penaltyPoints(x), 2000);
        vm.assertTrue(reg.isPenalized(x, 1000) && reg.isPenalized(x, 1020));
        vm.assertFalse(reg.isPenalized(x, 1010));
    }

    /// @dev An unregistered operator (it left and unregistered before the penalty landed) still pays.
    function test_UnregisteringBeforeThePenaltyLandsDodgesNothing() public {
        address x = ops[1].addr;
        IAttestationCenter.TaskInfo memory t = _epochTask(1000, _one(x), _noAddrs(), 0);
        IAttestationCenter.Attestation memory att = _certify(t, true, 1000, _none());
        vm.prank(x);
        ac.leave();
        vm.prank(x);
        reg.unregister();
        _submit(t, true, ops[0].ecdsaKey, att);
        vm.assertEq(reg.penaltyPoints(x), 1000);
        vm.assertEq(reg.servedBlocks(x), 901, "registered at 100, left at 1001: kept too");
    }

    /// @dev A parameter change is visible 1,000 blocks before a penalty uses it.
    function test_ChangeOfCAppliesOnlyAfterTheDelay() public {
        vm.prank(GOV);
        reg.setC(1_000_000);
        _submitEpoch(1000, _one(ops[1].addr), _noAddrs(), 0);
        vm.assertEq(reg.penaltyPoints(ops[1].addr), 1000, "the old C");
        vm.roll(2001);
        _submitEpoch(2000, _one(ops[1].addr), _noAddrs(), 0);
        vm.assertEq(reg.penaltyPoints(ops[1].addr), 1_001_000, "the new C, from block 2001");
        ILivelinessRegistry.Params memory p = reg.params();
        vm.assertEq(p.C, 1_000_000);
    }
}
