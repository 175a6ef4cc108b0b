// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {defaultRegistryParams} from "./utils/Defaults.sol";
import {Test} from "./utils/Test.sol";
import {MockAttestationCenter} from "./LivelinessRegistry.t.sol";
import {LivelinessRegistry} from "../src/LivelinessRegistry.sol";
import {ReputationGate} from "../src/examples/ReputationGate.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";

contract ReputationGateTest is Test {
    MockAttestationCenter internal mac;
    LivelinessRegistry internal reg;
    ReputationGate internal gate;
    address internal alice = address(0xA11CE);

    function setUp() public {
        vm.roll(1000);
        mac = new MockAttestationCenter();
        reg = new LivelinessRegistry(address(mac), address(0x60F), defaultRegistryParams());
        gate = new ReputationGate(address(reg), 500, 2);
        mac.setOperator(alice, true);
        vm.prank(alice);
        reg.register("http://alice.example");
    }

    function _penalize(uint256 epochBlock) internal {
        IAttestationCenter.TaskInfo memory t;
        address[] memory unhealthy = new address[](1);
        unhealthy[0] = alice;
        t.data = abi.encode(epochBlock, blockhash(epochBlock), unhealthy, new address[](0));
        mac.callAfter(reg, t, true, epochBlock);
    }

    function test_Constructor() public {
        vm.assertEq(address(gate.registry()), address(reg));
        vm.assertEq(gate.minScore(), 500);
        vm.assertEq(gate.maxPenalties(), 2);
        vm.expectRevert(ReputationGate.ZeroAddress.selector);
        new ReputationGate(address(0), 1, 1);
        vm.expectRevert(ReputationGate.InvalidMinScore.selector);
        new ReputationGate(address(reg), 0, 1);
        ReputationGate lowest = new ReputationGate(address(reg), 1, 1);
        vm.assertFalse(lowest.isAllowed(address(0xBEEF)), "an unregistered address never passes");
        vm.expectRevert(ReputationGate.InvalidMaxPenalties.selector);
        new ReputationGate(address(reg), 1, 0);
    }

    function test_GatedAction() public {
        vm.roll(1499);
        vm.assertFalse(gate.isAllowed(alice));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ReputationGate.InsufficientLivelinessScore.selector, alice, 499, 500));
        gate.gatedAction();
        vm.roll(1500);
        vm.assertTrue(gate.isAllowed(alice));
        vm.expectEmit(address(gate));
        emit ReputationGate.ActionPerformed(alice, 500);
        vm.prank(alice);
        gate.gatedAction();
        vm.assertEq(gate.actionsPerformed(alice), 1);
        // a penalty takes the right away again
        _penalize(1490);
        vm.assertFalse(gate.isAllowed(alice));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ReputationGate.InsufficientLivelinessScore.selector, alice, 0, 500));
        gate.gatedAction();
        // unknown addresses have score 0
        vm.assertFalse(gate.isAllowed(address(0xBEEF)));
    }

    function test_ShouldSlash() public {
        vm.roll(1100);
        vm.assertFalse(gate.shouldSlash(alice));
        _penalize(1080);
        vm.assertFalse(gate.shouldSlash(alice));
        _penalize(1090);
        vm.assertTrue(gate.shouldSlash(alice));
    }
}
