// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Fixture, AttestationCenterHarness} from "./utils/Fixture.sol";
import {console} from "./utils/Test.sol";
import {BN254} from "../src/libraries/BN254.sol";
import {BN254G2} from "./utils/BN254G2.sol";
import {AttestationCenter} from "../src/AttestationCenter.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";
import {IAvsLogic} from "../src/interfaces/IAvsLogic.sol";
import {Owned2Step} from "../src/utils/Owned2Step.sol";

/// @dev Records what the hooks see.
contract RecordingAvsLogic is IAvsLogic {
    uint256 public beforeRef;
    uint256 public afterRef;
    uint256 public calls;
    bool public lastApproved;
    bytes32 public sigmaHash;
    bytes32 public idsHash;
    bytes32 public tpSigHash;

    function beforeTaskSubmission(
        IAttestationCenter.TaskInfo calldata,
        bool,
        bytes calldata,
        uint256[2] calldata,
        uint256[] calldata
    ) external {
        beforeRef = IAttestationCenter(msg.sender).taskReferenceBlock();
        ++calls;
    }

    function afterTaskSubmission(
        IAttestationCenter.TaskInfo calldata,
        bool isApproved,
        bytes calldata tpSignature,
        uint256[2] calldata taSignature,
        uint256[] calldata attestersIds
    ) external {
        afterRef = IAttestationCenter(msg.sender).taskReferenceBlock();
        lastApproved = isApproved;
        sigmaHash = keccak256(abi.encode(taSignature));
        idsHash = keccak256(abi.encode(attestersIds));
        tpSigHash = keccak256(tpSignature);
        ++calls;
    }
}

/// @dev Its before hook submits another task (re-entering `submitTask`); its after hooks record the
///      reference block they see.
contract ReentrantAvsLogic is IAvsLogic {
    address internal immutable center;
    bytes internal inner;
    uint256[] public seen;

    constructor(address center_) {
        center = center_;
    }

    function arm(bytes calldata call) external {
        inner = call;
    }

    function seenCount() external view returns (uint256) {
        return seen.length;
    }

    function beforeTaskSubmission(
        IAttestationCenter.TaskInfo calldata,
        bool,
        bytes calldata,
        uint256[2] calldata,
        uint256[] calldata
    ) external {
        if (inner.length == 0) return;
        bytes memory call = inner;
        delete inner;
        (bool ok,) = center.call(call);
        require(ok, "inner submission failed");
    }

    function afterTaskSubmission(
        IAttestationCenter.TaskInfo calldata,
        bool,
        bytes calldata,
        uint256[2] calldata,
        uint256[] calldata
    ) external {
        seen.push(IAttestationCenter(center).taskReferenceBlock());
    }
}

contract AttestationCenterTest is Fixture {
    uint32 internal constant REF = 110;

    function setUp() public {
        vm.roll(100);
        _deploy();
        _addOperators(4, 100); // ids 1..4, power 100 each, active from block 100
        vm.roll(REF + 1);
    }

    function _task0() internal returns (IAttestationCenter.TaskInfo memory) {
        return _epochTask(REF, _noAddrs(), _noAddrs(), 0);
    }

    function _ids(uint256 a) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](1);
        xs[0] = a;
    }

    function _ids(uint256 a, uint256 b) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](2);
        xs[0] = a;
        xs[1] = b;
    }

    // =============================================================================================
    // Deployment and governance
    // =============================================================================================

    function test_Constructor() public view {
        vm.assertEq(ac.owner(), GOV);
        vm.assertEq(ac.maxTaskAge(), MAX_TASK_AGE);
        vm.assertEq(ac.avsLogic(), address(reg));
        vm.assertEq(ac.apkHistoryLength(), 1);
        vm.assertEq(ac.operatorCount(), 4);
    }

    function test_Constructor_RevertsOnZeroMaxTaskAgeOrOwner() public {
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidMaxTaskAge.selector, 0));
        new AttestationCenter(GOV, 0, address(0));
        // Beyond the 256 blocks whose hashes the EVM knows.
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidMaxTaskAge.selector, 257));
        new AttestationCenter(GOV, 257, address(0));
        vm.assertEq(new AttestationCenter(GOV, 256, address(0)).maxTaskAge(), 256);
        vm.expectRevert(Owned2Step.ZeroOwner.selector);
        new AttestationCenter(address(0), 10, address(0));
    }

    function test_Governance_OnlyOwner() public {
        address stranger = address(0xBAD);
        vm.startPrank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Owned2Step.Unauthorized.selector, stranger));
        ac.setAvsLogic(address(0));
        vm.expectRevert(abi.encodeWithSelector(Owned2Step.Unauthorized.selector, stranger));
        ac.setMaxTaskAge(5);
        vm.expectRevert(abi.encodeWithSelector(Owned2Step.Unauthorized.selector, stranger));
        ac.setVotingPower(1, 5);
        vm.expectRevert(abi.encodeWithSelector(Owned2Step.Unauthorized.selector, stranger));
        ac.setVotingPowers(new uint256[](0), new uint96[](0));
        vm.expectRevert(abi.encodeWithSelector(Owned2Step.Unauthorized.selector, stranger));
        ac.transferOwnership(stranger);
        vm.stopPrank();
    }

    function test_SetAvsLogicAndMaxTaskAge() public {
        vm.startPrank(GOV);
        vm.expectEmit(address(ac));
        emit IAttestationCenter.AvsLogicSet(address(0x1234));
        ac.setAvsLogic(address(0x1234));
        vm.assertEq(ac.avsLogic(), address(0x1234));
        vm.expectEmit(address(ac));
        emit IAttestationCenter.MaxTaskAgeSet(7);
        ac.setMaxTaskAge(7);
        vm.assertEq(ac.maxTaskAge(), 7);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidMaxTaskAge.selector, 0));
        ac.setMaxTaskAge(0);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidMaxTaskAge.selector, 257));
        ac.setMaxTaskAge(257);
        ac.setMaxTaskAge(256);
        vm.assertEq(ac.maxTaskAge(), 256);
        vm.stopPrank();
    }

    function test_OwnershipTwoStep() public {
        address next = address(0xABCD);
        vm.prank(GOV);
        ac.transferOwnership(next);
        vm.assertEq(ac.owner(), GOV);
        vm.assertEq(ac.pendingOwner(), next);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(Owned2Step.Unauthorized.selector, address(0xBAD)));
        ac.acceptOwnership();
        vm.prank(next);
        ac.acceptOwnership();
        vm.assertEq(ac.owner(), next);
        vm.assertEq(ac.pendingOwner(), address(0));
    }

    // =============================================================================================
    // Registration
    // =============================================================================================

    function test_Register_AssignsIdsAndStoresKeys() public {
        Op memory o = _keys(77);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        vm.expectEmit(address(ac));
        emit IAttestationCenter.OperatorRegistered(5, o.addr, o.pkG1, o.pkG2);
        vm.prank(o.addr);
        uint256 id = ac.registerOperator(o.pkG1, o.pkG2, pop);
        vm.assertEq(id, 5);
        vm.assertEq(ac.operatorCount(), 5);
        vm.assertEq(ac.operatorsIdsByAddress(o.addr), 5);
        (address a, uint256[2] memory g1, uint256[4] memory g2, uint96 power) = ac.getOperator(5);
        vm.assertEq(a, o.addr);
        vm.assertEq(g1[0], o.pkG1[0]);
        vm.assertEq(g1[1], o.pkG1[1]);
        for (uint256 i = 0; i < 4; ++i) {
            vm.assertEq(g2[i], o.pkG2[i]);
        }
        vm.assertEq(power, 0);
        vm.assertFalse(ac.isActive(o.addr));
        vm.assertEq(ac.operatorHistoryLength(5), 0);
        vm.assertEq(ops[0].id, 1);
        vm.assertEq(ops[3].id, 4);
    }

    function test_Register_RevertsWhenAddressAlreadyRegistered() public {
        Op memory o = _keys(77);
        uint256[2] memory pop = _pop(address(ac), ops[0].addr, o.sk);
        vm.prank(ops[0].addr);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.AlreadyRegistered.selector, ops[0].addr, 1));
        ac.registerOperator(o.pkG1, o.pkG2, pop);
    }

    function test_Register_RevertsOnPointsAtInfinity() public {
        Op memory o = _keys(77);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        vm.startPrank(o.addr);
        vm.expectRevert(IAttestationCenter.PublicKeyG1AtInfinity.selector);
        ac.registerOperator([uint256(0), 0], o.pkG2, pop);
        vm.expectRevert(IAttestationCenter.PublicKeyG2AtInfinity.selector);
        ac.registerOperator(o.pkG1, [uint256(0), 0, 0, 0], pop);
        vm.stopPrank();
    }

    function test_Register_RevertsOnInvalidG1() public {
        Op memory o = _keys(77);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        vm.startPrank(o.addr);
        vm.expectRevert(IAttestationCenter.InvalidPublicKeyG1.selector);
        ac.registerOperator([uint256(1), 3], o.pkG2, pop); // off the curve
        vm.expectRevert(IAttestationCenter.InvalidPublicKeyG1.selector);
        ac.registerOperator([uint256(1), 2 + BN254.P], o.pkG2, pop); // coordinate >= p
        vm.expectRevert(IAttestationCenter.InvalidPublicKeyG1.selector);
        ac.registerOperator([o.pkG1[0] + BN254.P, o.pkG1[1]], o.pkG2, pop);
        vm.stopPrank();
    }

    function test_Register_RevertsOnInvalidG2() public {
        Op memory o = _keys(77);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        vm.startPrank(o.addr);
        vm.expectRevert(IAttestationCenter.InvalidPublicKeyG2.selector);
        ac.registerOperator(o.pkG1, [uint256(1), 2, 3, 4], pop);
        uint256[4] memory big = o.pkG2;
        big[1] += BN254.P; // coordinate >= p
        vm.expectRevert(IAttestationCenter.InvalidPublicKeyG2.selector);
        ac.registerOperator(o.pkG1, big, pop);
        vm.stopPrank();
    }

    function test_Register_RevertsOnDuplicateKeys() public {
        Op memory o = _keys(77);
        uint256[2] memory pop0 = _pop(address(ac), o.addr, ops[0].sk);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        // ops[0]'s G1 key under a new address
        vm.prank(o.addr);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.KeyAlreadyRegistered.selector, keccak256(abi.encodePacked(ops[0].pkG1))
            )
        );
        ac.registerOperator(ops[0].pkG1, ops[0].pkG2, pop0);
        // a fresh G1 key with ops[0]'s G2 key
        vm.prank(o.addr);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.KeyAlreadyRegistered.selector, keccak256(abi.encodePacked(ops[0].pkG2))
            )
        );
        ac.registerOperator(o.pkG1, ops[0].pkG2, pop);
    }

    function test_Register_RevertsOnBadProofOfPossession() public {
        Op memory o = _keys(77);
        Op memory other = _keys(78);
        uint256[2] memory byOtherSecret = _pop(address(ac), o.addr, other.sk);
        uint256[2] memory forOtherAddress = _pop(address(ac), other.addr, o.sk);
        vm.startPrank(o.addr);
        // signed by another secret
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, o.pkG2, byOtherSecret);
        // for another operator address
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, o.pkG2, forOtherAddress);
        // G1 and G2 keys of different secrets, PoP valid for the G2 half
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, other.pkG2, byOtherSecret);
        // not a point / infinity
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, o.pkG2, [uint256(1), 3]);
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, o.pkG2, [uint256(0), 0]);
        vm.stopPrank();
    }

    function test_Register_RevertsOnPopForOtherChainOrContract() public {
        Op memory o = _keys(77);
        // PoP made for another chain id
        uint256[2] memory popOtherChain;
        {
            bytes32 m = keccak256(abi.encode("liveliness/pop/v1", o.addr, address(ac), block.chainid + 1));
            (uint256 hx, uint256 hy) = BN254.hashToG1(m);
            (popOtherChain[0], popOtherChain[1]) = BN254.mul(hx, hy, o.sk);
        }
        vm.prank(o.addr);
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, o.pkG2, popOtherChain);
        // PoP made for another AttestationCenter
        AttestationCenter other = new AttestationCenter(GOV, 10, address(0));
        uint256[2] memory popOtherContract = _pop(address(other), o.addr, o.sk);
        vm.prank(o.addr);
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(o.pkG1, o.pkG2, popOtherContract);
        // and the right one works on both
        vm.prank(o.addr);
        other.registerOperator(o.pkG1, o.pkG2, popOtherContract);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        vm.prank(o.addr);
        ac.registerOperator(o.pkG1, o.pkG2, pop);
    }

    function test_PopMessage() public view {
        vm.assertEq(
            ac.popMessage(address(0xA11CE)),
            keccak256(abi.encode("liveliness/pop/v1", address(0xA11CE), address(ac), block.chainid))
        );
    }

    /// @dev The attacker registers the G1 key pk_a − Σ pk_others, so the aggregate of "everyone" would be
    ///      pk_a alone. It has a G2 key (sk_a·g2) and a PoP that pass a G2-only check, but the combined check
    ///      refuses it.
    function test_RogueKeyRegistrationRejected() public {
        uint256 skA = uint256(keccak256("attacker")) % BN254.R;
        address attacker = address(0xA77AC4);
        uint256[2] memory pkA;
        (pkA[0], pkA[1]) = BN254.mul(1, 2, skA);
        uint256[2] memory apk = ac.currentApk(); // Σ pk of the 4 active operators
        uint256[2] memory rogueG1;
        {
            (uint256 nx, uint256 ny) = BN254.neg(apk[0], apk[1]);
            (rogueG1[0], rogueG1[1]) = BN254.add(pkA[0], pkA[1], nx, ny);
        }
        uint256[4] memory pkG2 = BN254G2.mulGen(skA);
        uint256[2] memory pop = _pop(address(ac), attacker, skA);

        // A G2-only check e(pop, −g2) · e(H(m), pkG2) == 1 would accept this registration ...
        {
            (uint256 hx, uint256 hy) = BN254.hashToG1(ac.popMessage(attacker));
            (bool ok, bool valid) = BN254.pairingWithNegG2(pop[0], pop[1], hx, hy, pkG2);
            vm.assertTrue(ok && valid, "G2-only check passes");
        }
        // ... and then the attacker alone could sign for everyone: apk + rogue = sk_a·g1.
        {
            (uint256 sx, uint256 sy) = BN254.add(apk[0], apk[1], rogueG1[0], rogueG1[1]);
            vm.assertEq(sx, pkA[0]);
            vm.assertEq(sy, pkA[1]);
        }

        vm.prank(attacker);
        vm.expectRevert(IAttestationCenter.InvalidProofOfPossession.selector);
        ac.registerOperator(rogueG1, pkG2, pop);
    }

    // =============================================================================================
    // Voting power and histories
    // =============================================================================================

    function test_SetVotingPower_RevertsOnUnknownOperator() public {
        vm.startPrank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.UnknownOperator.selector, 0));
        ac.setVotingPower(0, 1);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.UnknownOperator.selector, 5));
        ac.setVotingPower(5, 1);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.UnknownOperator.selector, 9));
        ac.getOperator(9);
        vm.stopPrank();
    }

    function test_SetVotingPowers_Batch() public {
        uint256[] memory ids = _ids(1, 3);
        uint96[] memory powers = new uint96[](2);
        powers[0] = 7;
        powers[1] = 0;
        vm.expectEmit(address(ac));
        emit IAttestationCenter.VotingPowerSet(1, ops[0].addr, 100, 7);
        vm.expectEmit(address(ac));
        emit IAttestationCenter.VotingPowerSet(3, ops[2].addr, 100, 0);
        vm.prank(GOV);
        ac.setVotingPowers(ids, powers);
        vm.assertEq(ac.totalVotingPower(), 207);
        vm.assertEq(ac.numOfActiveOperators(), 3);
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.LengthMismatch.selector, 2, 1));
        ac.setVotingPowers(ids, new uint96[](1));
    }

    function test_TotalVotingPowerOverflow() public {
        vm.prank(GOV);
        ac.setVotingPower(1, type(uint96).max - 300);
        vm.prank(GOV);
        vm.expectRevert(IAttestationCenter.TotalVotingPowerOverflow.selector);
        ac.setVotingPower(2, 101);
    }

    function test_Histories() public {
        // block 100: all four at 100 (one apk entry, overwritten in its block)
        vm.assertEq(ac.apkHistoryLength(), 1);
        vm.assertEq(ac.operatorHistoryLength(1), 1);
        IAttestationCenter.VotingPowerEntry memory e = ac.operatorHistoryAt(1, 0);
        vm.assertEq(e.fromBlock, 100);
        vm.assertEq(e.toBlock, 0);
        vm.assertEq(e.votingPower, 100);

        vm.roll(120);
        _setPower(0, 50);
        _setPower(0, 60); // same block: overwrites
        vm.roll(130);
        _setPower(0, 0);
        vm.roll(140);
        _setPower(0, 80);

        vm.assertEq(ac.operatorHistoryLength(1), 4);
        e = ac.operatorHistoryAt(1, 0);
        vm.assertEq(e.toBlock, 120);
        e = ac.operatorHistoryAt(1, 1);
        vm.assertEq(e.fromBlock, 120);
        vm.assertEq(e.toBlock, 130);
        vm.assertEq(e.votingPower, 60);
        e = ac.operatorHistoryAt(1, 3);
        vm.assertEq(e.fromBlock, 140);
        vm.assertEq(e.toBlock, 0);
        vm.assertEq(e.votingPower, 80);

        vm.assertEq(ac.votingPowerAt(1, 99), 0);
        vm.assertEq(ac.votingPowerAt(1, 100), 100);
        vm.assertEq(ac.votingPowerAt(1, 119), 100);
        vm.assertEq(ac.votingPowerAt(1, 120), 60);
        vm.assertEq(ac.votingPowerAt(1, 135), 0);
        vm.assertEq(ac.votingPowerAt(1, 1000), 80);
        vm.assertFalse(ac.isActiveAt(1, 130));
        vm.assertTrue(ac.isActiveAt(1, 129));
        vm.assertEq(ac.operatorHintAt(1, 100), 0);
        vm.assertEq(ac.operatorHintAt(1, 129), 1);
        vm.assertEq(ac.operatorHintAt(1, 130), 2);
        vm.assertEq(ac.operatorHintAt(1, 5000), 3);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.NoOperatorHistoryAt.selector, 1, 99));
        ac.operatorHintAt(1, 99);

        vm.assertEq(ac.apkHistoryLength(), 4);
        vm.assertEq(ac.totalVotingPowerAt(99), 0);
        vm.assertEq(ac.totalVotingPowerAt(100), 400);
        vm.assertEq(ac.totalVotingPowerAt(125), 360);
        vm.assertEq(ac.totalVotingPowerAt(130), 300);
        vm.assertEq(ac.totalVotingPowerAt(140), 380);
        vm.assertEq(ac.totalVotingPower(), 380);
        vm.assertEq(ac.apkHintAt(100), 0);
        vm.assertEq(ac.apkHintAt(139), 2);
        vm.assertEq(ac.apkHintAt(140), 3);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.NoApkHistoryAt.selector, 99));
        ac.apkHintAt(99);
        IAttestationCenter.ApkEntry memory a = ac.apkHistoryAt(2);
        vm.assertEq(a.fromBlock, 130);
        vm.assertEq(a.toBlock, 140);
        vm.assertEq(a.totalVotingPower, 300);

        // the aggregate key follows the active set
        uint256[2] memory k = ac.apkAt(130);
        (uint256 x, uint256 y) = BN254.add(ops[1].pkG1[0], ops[1].pkG1[1], ops[2].pkG1[0], ops[2].pkG1[1]);
        (x, y) = BN254.add(x, y, ops[3].pkG1[0], ops[3].pkG1[1]);
        vm.assertEq(k[0], x);
        vm.assertEq(k[1], y);
        k = ac.apkAt(99);
        vm.assertEq(k[0] | k[1], 0);
        (x, y) = BN254.add(x, y, ops[0].pkG1[0], ops[0].pkG1[1]);
        k = ac.currentApk();
        vm.assertEq(k[0], x);
        vm.assertEq(k[1], y);
        k = ac.apkAt(110);
        vm.assertEq(k[0], x);
        vm.assertEq(k[1], y);
    }

    function test_SetSamePowerIsNoop() public {
        vm.roll(120);
        _setPower(0, 100);
        vm.assertEq(ac.operatorHistoryLength(1), 1);
        vm.assertEq(ac.apkHistoryLength(), 1);
    }

    function test_EmptySetHasInfinityApk() public {
        vm.roll(120);
        for (uint256 i = 0; i < 4; ++i) {
            _setPower(i, 0);
        }
        uint256[2] memory k = ac.currentApk();
        vm.assertEq(k[0] | k[1], 0);
        vm.assertEq(ac.numOfActiveOperators(), 0);
        vm.assertEq(ac.getActiveOperatorsDetails().length, 0);
        vm.assertEq(ac.totalVotingPower(), 0);
    }

    function test_ActiveOperatorsDetails() public {
        vm.roll(120);
        _setPower(1, 0);
        _setPower(2, 42);
        IAttestationCenter.OperatorDetails[] memory d = ac.getActiveOperatorsDetails();
        vm.assertEq(ac.numOfActiveOperators(), 3);
        vm.assertEq(d.length, 3);
        // the active list was [1, 2, 3, 4]; removing 2 moved the last one (4) into its place
        vm.assertEq(d[0].operatorId, 1);
        vm.assertEq(d[1].operatorId, 4);
        vm.assertEq(d[2].operatorId, 3);
        vm.assertEq(d[2].operator, ops[2].addr);
        vm.assertEq(d[2].votingPower, 42);
        vm.assertEq(d[2].pkG1[0], ops[2].pkG1[0]);
        vm.assertEq(d[2].pkG1[1], ops[2].pkG1[1]);
        vm.assertTrue(ac.isActive(ops[0].addr));
        vm.assertFalse(ac.isActive(ops[1].addr));
        vm.assertFalse(ac.isActive(address(0xBEEF)));
    }

    function test_Leave() public {
        vm.roll(120);
        vm.expectEmit(address(ac));
        emit IAttestationCenter.OperatorLeft(2, ops[1].addr);
        vm.prank(ops[1].addr);
        ac.leave();
        vm.assertFalse(ac.isActive(ops[1].addr));
        vm.assertTrue(ac.hasLeft(2));
        vm.assertEq(ac.totalVotingPower(), 300);
        vm.prank(ops[1].addr);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.OperatorHasLeft.selector, 2));
        ac.leave();
        vm.prank(address(0xBEEF));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.NotAnOperator.selector, address(0xBEEF)));
        ac.leave();
    }

    function test_Leave_OwnerCannotReactivateWithoutConsent() public {
        vm.roll(120);
        vm.prank(ops[1].addr);
        ac.leave();
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.OperatorHasLeft.selector, 2));
        ac.setVotingPower(2, 5);
        uint256[] memory ids = new uint256[](2);
        uint96[] memory powers = new uint96[](2);
        (ids[0], ids[1], powers[0], powers[1]) = (1, 2, 7, 5);
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.OperatorHasLeft.selector, 2));
        ac.setVotingPowers(ids, powers);
        _setPower(1, 0); // power 0 stays allowed (nothing changes)
        vm.assertFalse(ac.isActive(ops[1].addr));
        vm.assertEq(ac.operatorHistoryLength(2), 2);
    }

    function test_Leave_AfterGovernanceRemovedThePower() public {
        vm.roll(120);
        _setPower(1, 0); // governance made it inactive; it has not left
        vm.assertFalse(ac.hasLeft(2));
        vm.expectEmit(address(ac));
        emit IAttestationCenter.OperatorLeft(2, ops[1].addr);
        vm.prank(ops[1].addr);
        ac.leave(); // it can still opt out, so that governance cannot make it active again
        vm.assertTrue(ac.hasLeft(2));
        vm.assertEq(ac.operatorHistoryLength(2), 2, "no new history entry");
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.OperatorHasLeft.selector, 2));
        ac.setVotingPower(2, 1);
    }

    function test_Rejoin_NeedsTheOperatorsConsent() public {
        vm.roll(120);
        vm.prank(ops[1].addr);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.OperatorHasNotLeft.selector, 2));
        ac.rejoin();
        vm.prank(address(0xBEEF));
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.NotAnOperator.selector, address(0xBEEF)));
        ac.rejoin();
        vm.prank(ops[1].addr);
        ac.leave();
        vm.expectEmit(address(ac));
        emit IAttestationCenter.OperatorRejoined(2, ops[1].addr);
        vm.prank(ops[1].addr);
        ac.rejoin();
        vm.assertFalse(ac.hasLeft(2));
        vm.assertFalse(ac.isActive(ops[1].addr), "rejoining gives no power by itself");
        _setPower(1, 5);
        vm.assertTrue(ac.isActive(ops[1].addr));
        vm.assertEq(ac.votingPowerAt(2, 120), 5);
    }

    function test_ActiveBlocks_GrowOnlyWhileActive() public {
        // ops[0] active since block 100 (setUp); now REF + 1 = 111.
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 11);
        vm.assertEq(ac.activeBlocksOf(address(0xBEEF)), 0);
        vm.roll(150);
        vm.prank(ops[0].addr);
        ac.leave();
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 50);
        vm.roll(1000);
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 50, "nothing while it is out");
        vm.prank(ops[0].addr);
        ac.rejoin();
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 50);
        _setPower(0, 3);
        vm.roll(1010);
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 60);
        _setPower(0, 9); // a change of power while active changes nothing
        vm.roll(1020);
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 70);
        // governance removing the power stops it too; within one block, on and off counts nothing
        _setPower(0, 0);
        _setPower(0, 1);
        _setPower(0, 0);
        vm.roll(2000);
        vm.assertEq(ac.activeBlocksOf(ops[0].addr), 70);
    }

    function test_ActiveList_SwapAndPopAndPages() public {
        _addOperators(3, 0); // ids 5..7, inactive
        _setPower(6, 1); // id 7
        _setPower(4, 1); // id 5
        // list: [1, 2, 3, 4, 7, 5]
        _setPower(0, 0); // id 1: 5 moves to the front -> [5, 2, 3, 4, 7]
        _setPower(4, 0); // id 5, now first: 7 moves -> [7, 2, 3, 4]
        _setPower(3, 0); // id 4, last: popped -> [7, 2, 3]
        uint256[3] memory want = [uint256(7), 2, 3];
        IAttestationCenter.OperatorDetails[] memory all = ac.getActiveOperatorsDetails();
        vm.assertEq(all.length, 3);
        vm.assertEq(ac.numOfActiveOperators(), 3);
        for (uint256 i = 0; i < 3; ++i) {
            vm.assertEq(all[i].operatorId, want[i]);
            vm.assertEq(all[i].operator, ops[want[i] - 1].addr);
        }
        (IAttestationCenter.OperatorDetails[] memory page, uint256 total) = ac.getActiveOperatorsDetailsPage(1, 5);
        vm.assertEq(total, 3);
        vm.assertEq(page.length, 2);
        vm.assertEq(page[0].operatorId, 2);
        vm.assertEq(page[1].operatorId, 3);
        (page, total) = ac.getActiveOperatorsDetailsPage(0, 1);
        vm.assertEq(page.length, 1);
        vm.assertEq(page[0].operatorId, 7);
        (page,) = ac.getActiveOperatorsDetailsPage(3, 1);
        vm.assertEq(page.length, 0);
        (page,) = ac.getActiveOperatorsDetailsPage(type(uint256).max, type(uint256).max);
        vm.assertEq(page.length, 0);
        (page,) = ac.getActiveOperatorsDetailsPage(2, type(uint256).max);
        vm.assertEq(page.length, 1);
        vm.assertEq(page[0].operatorId, 3);
        // every active operator exactly once, and the apk is the sum of theirs
        vm.assertTrue(ac.isActive(ops[6].addr) && ac.isActive(ops[1].addr) && ac.isActive(ops[2].addr));
        vm.assertFalse(ac.isActive(ops[0].addr) || ac.isActive(ops[3].addr) || ac.isActive(ops[4].addr));
    }

    /// @dev The nodes' per-epoch read costs the same whatever the number of inactive registrations (issue 7,
    ///      item 6: it used to loop over every id ever registered, about 2,300 gas each).
    function test_ActiveRead_GasIndependentOfInactiveRegistrations() public {
        _setPower(3, 0); // one that was active and left the list
        uint256 before = _activeReadGas();
        uint256 pageBefore = _activePageGas();
        _addOperators(300, 0); // 300 throwaway registrations, never active
        _setPower(ops.length - 1, 1); // one more active...
        _setPower(ops.length - 1, 0); // ...and inactive again
        uint256 afterSpam = _activeReadGas();
        uint256 pageAfter = _activePageGas();
        console.log(
            string.concat(
                "getActiveOperatorsDetails gas, 3 active: ",
                vm.toString(before),
                " with 1 inactive id, ",
                vm.toString(afterSpam),
                " with 301"
            )
        );
        console.log(
            string.concat(
                "getActiveOperatorsDetailsPage(0, 100) gas: ", vm.toString(pageBefore), " and ", vm.toString(pageAfter)
            )
        );
        vm.assertEq(afterSpam, before);
        vm.assertEq(pageAfter, pageBefore);
        vm.assertEq(ac.operatorCount(), 304);
        vm.assertEq(ac.numOfActiveOperators(), 3);
    }

    function _activeReadGas() internal returns (uint256) {
        vm.cool(address(ac));
        ac.getActiveOperatorsDetails();
        return vm.lastCallGas().gasTotalUsed;
    }

    function _activePageGas() internal returns (uint256) {
        vm.cool(address(ac));
        ac.getActiveOperatorsDetailsPage(0, 100);
        return vm.lastCallGas().gasTotalUsed;
    }

    // =============================================================================================
    // Storage layout and precompile stipends
    // =============================================================================================

    /// @dev The assembly of `_signersApk` and `_sumNonSigners` reads an ApkEntry's third slot and an
    ///      OperatorData's pkG1 at fixed offsets, and `_entryCovers` decodes the packed words: pin all of it.
    function test_StorageLayout_PinnedOffsets() public {
        vm.roll(REF + 5);
        _setPower(1, 77);
        (uint256 apkSlot, uint256 opsSlot, uint256 powerSlot, uint256 apkMeta, uint256 pkG1Off) = ac.layout();
        vm.assertEq(apkMeta, 2);
        vm.assertEq(pkG1Off, 2);
        uint256 n = ac.apkHistoryLength();
        for (uint256 i = 0; i < n; ++i) {
            IAttestationCenter.ApkEntry memory e = ac.apkHistoryAt(i);
            uint256 base = uint256(keccak256(abi.encode(i, apkSlot)));
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base))), e.apkX);
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base + 1))), e.apkY);
            uint256 meta = uint256(vm.load(address(ac), bytes32(base + apkMeta)));
            vm.assertEq(meta, uint256(e.fromBlock) | (uint256(e.toBlock) << 32) | (uint256(e.totalVotingPower) << 64));
        }
        for (uint256 id = 1; id <= 4; ++id) {
            (address addr, uint256[2] memory pkG1, uint256[4] memory pkG2, uint96 power) = ac.getOperator(id);
            uint256 base = uint256(keccak256(abi.encode(id, opsSlot)));
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base))), uint256(uint160(addr)) | (uint256(power) << 160));
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base + pkG1Off))), pkG1[0]);
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base + pkG1Off + 1))), pkG1[1]);
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base + 4))), pkG2[0]);
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base + 7))), pkG2[3]);
            uint256 inner = uint256(keccak256(abi.encode(id, powerSlot)));
            uint256 len = ac.operatorHistoryLength(id);
            vm.assertEq(uint256(vm.load(address(ac), bytes32(base + 1))) & 0xffffffff, len);
            for (uint256 i = 0; i < len; ++i) {
                IAttestationCenter.VotingPowerEntry memory e = ac.operatorHistoryAt(id, i);
                uint256 word = uint256(vm.load(address(ac), keccak256(abi.encode(i, inner))));
                vm.assertEq(word, uint256(e.fromBlock) | (uint256(e.toBlock) << 32) | (uint256(e.votingPower) << 64));
            }
        }
        // and the one covering rule, at its boundaries
        uint256 w = 10 | (20 << 32);
        vm.assertFalse(ac.entryCovers(w, 9));
        vm.assertTrue(ac.entryCovers(w, 10));
        vm.assertTrue(ac.entryCovers(w, 19));
        vm.assertFalse(ac.entryCovers(w, 20));
        vm.assertTrue(ac.entryCovers(10, type(uint32).max)); // open entry
        vm.assertFalse(ac.entryCovers(0, 5)); // no entry
    }

    /// @dev A G2 point the pairing precompile refuses costs its stipend, not all the gas the caller forwarded.
    function test_PrecompileStipend_BadG2BurnsBoundedGas() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        att.apkG2[3] += 1; // not on the twist
        bytes memory cd =
            abi.encodeCall(ac.submitTask, (t, true, _perfSig(t, REF, ops[0].ecdsaKey), uint32(0), blockhash(REF), att));
        uint256 g = gasleft();
        (bool ok, bytes memory ret) = address(ac).call{gas: 20_000_000}(cd);
        g -= gasleft();
        vm.assertFalse(ok);
        vm.assertEq(
            keccak256(ret), keccak256(abi.encodeWithSelector(IAttestationCenter.InvalidAggregateKeyG2.selector))
        );
        vm.assertLt(g, 400_000, "a bad apkG2 burns its stipend only");

        Op memory o = _keys(78);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        uint256[4] memory bad = o.pkG2;
        bad[0] += 1;
        vm.prank(o.addr);
        g = gasleft();
        (ok, ret) = address(ac).call{gas: 20_000_000}(abi.encodeCall(ac.registerOperator, (o.pkG1, bad, pop)));
        g -= gasleft();
        vm.assertFalse(ok);
        vm.assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(IAttestationCenter.InvalidPublicKeyG2.selector)));
        vm.assertLt(g, 400_000, "a bad pkG2 burns its stipend only");
    }

    // =============================================================================================
    // Task hashes
    // =============================================================================================

    function test_HashViews() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        bytes32 th = ac.taskHash(t);
        vm.assertEq(th, keccak256(abi.encode(t.proofOfTask, t.data, t.taskPerformer, t.taskDefinitionId)));
        vm.assertEq(
            ac.taskSigningDigest(th, REF, bytes32(uint256(0xb10c)), 3),
            keccak256(
                abi.encode(
                    "liveliness/task/v4", block.chainid, address(ac), th, uint256(REF), uint256(0xb10c), uint256(3)
                )
            )
        );
        vm.assertNotEq(ac.taskSigningDigest(th, REF, 0, 0), ac.taskSigningDigest(th, REF + 10, 0, 0));
        vm.assertNotEq(ac.taskSigningDigest(th, REF, 0, 0), ac.taskSigningDigest(th, REF, 0, 1));
        vm.assertNotEq(ac.taskSigningDigest(th, REF, 0, 0), ac.taskSigningDigest(th, REF, bytes32(uint256(1)), 0));
        vm.assertEq(
            ac.voteHash(t, false, REF),
            keccak256(
                abi.encode(
                    t.proofOfTask,
                    t.data,
                    t.taskPerformer,
                    t.taskDefinitionId,
                    address(ac),
                    block.chainid,
                    false,
                    uint256(REF)
                )
            )
        );
        vm.assertNotEq(ac.voteHash(t, true, REF), ac.voteHash(t, false, REF));
        vm.assertNotEq(ac.voteHash(t, false, REF), ac.voteHash(t, false, REF + 10));
        vm.assertEq(ac.taskReferenceBlock(), 0);
    }

    // =============================================================================================
    // submitTask: success paths
    // =============================================================================================

    function test_Submit_AllSign() public {
        IAttestationCenter.TaskInfo memory t = _epochTask(REF, _addrs(ops[2].addr), _noAddrs(), 0);
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        bytes32 th = _taskHash(t);
        vm.assertFalse(ac.submitted(th, REF));
        vm.expectEmit(address(ac));
        emit IAttestationCenter.TaskSubmitted(th, ops[0].addr, REF, 1, t.proofOfTask);
        _submit(t, true, ops[0].ecdsaKey, att);
        vm.assertTrue(ac.submitted(th, REF));
        vm.assertEq(reg.penalties(ops[2].addr), 1);
        vm.assertEq(ac.taskReferenceBlock(), 0);
    }

    function test_Submit_RejectEmitsTaskRejected() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, false, REF, _ids(4)); // 300 of 400 reject
        vm.expectEmit(address(ac));
        emit IAttestationCenter.TaskRejected(_taskHash(t), ops[0].addr, REF, 1, t.proofOfTask);
        _submit(t, false, ops[0].ecdsaKey, att);
        vm.assertEq(reg.penalties(ops[0].addr), 1);
    }

    function test_Submit_WithNonSigner() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        _submit(t, true, ops[0].ecdsaKey, _certify(t, true, REF, _ids(2))); // 300 of 400
        vm.assertTrue(ac.submitted(_taskHash(t), REF));
    }

    function test_Submit_WithoutAvsLogic() public {
        vm.prank(GOV);
        ac.setAvsLogic(address(0));
        IAttestationCenter.TaskInfo memory t = _task0();
        _submit(t, true, ops[0].ecdsaKey, _certify(t, true, REF, _none()));
        vm.assertTrue(ac.submitted(_taskHash(t), REF));
    }

    function test_Submit_HooksSeeReferenceBlockSigmaAndNonSigners() public {
        RecordingAvsLogic logic = new RecordingAvsLogic();
        vm.prank(GOV);
        ac.setAvsLogic(address(logic));
        vm.roll(REF + 5);
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _ids(4));
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
        vm.assertEq(logic.calls(), 2);
        vm.assertEq(logic.beforeRef(), REF);
        vm.assertEq(logic.afterRef(), REF);
        vm.assertTrue(logic.lastApproved());
        vm.assertEq(logic.sigmaHash(), keccak256(abi.encode(att.sigma)));
        vm.assertEq(logic.idsHash(), keccak256(abi.encode(att.nonSignerIds)));
        vm.assertEq(logic.tpSigHash(), keccak256(sig));
        vm.assertEq(ac.taskReferenceBlock(), 0);
    }

    function test_Submit_NestedSubmissionRestoresReferenceBlock() public {
        ReentrantAvsLogic logic = new ReentrantAvsLogic(address(ac));
        vm.prank(GOV);
        ac.setAvsLogic(address(logic));
        IAttestationCenter.TaskInfo memory inner = _epochTask(105, _noAddrs(), _noAddrs(), 1);
        logic.arm(
            abi.encodeCall(
                ac.submitTask,
                (
                    inner,
                    true,
                    _perfSig(inner, 105, ops[1].ecdsaKey),
                    uint32(0),
                    blockhash(105),
                    _certify(inner, true, 105, _none())
                )
            )
        );
        IAttestationCenter.TaskInfo memory t = _task0();
        _submit(t, true, ops[0].ecdsaKey, _certify(t, true, REF, _none()));
        vm.assertEq(logic.seenCount(), 2);
        vm.assertEq(logic.seen(0), 105); // the inner task's hooks
        vm.assertEq(logic.seen(1), REF); // the outer task's after hook, after the inner one returned
        vm.assertTrue(ac.submitted(_taskHash(inner), 105));
        vm.assertEq(ac.taskReferenceBlock(), 0);
    }

    function test_Submit_AvsLogicWithoutCode() public {
        vm.prank(GOV);
        ac.setAvsLogic(address(0x1234));
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.AvsLogicNotAContract.selector, address(0x1234)));
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
    }

    function test_Submit_ReferenceBlockAgeBounds() public {
        // exactly maxTaskAge old: accepted
        vm.roll(REF + MAX_TASK_AGE);
        IAttestationCenter.TaskInfo memory t = _task0();
        _submit(t, true, ops[0].ecdsaKey, _certify(t, true, REF, _none()));
        // one block older: refused
        vm.roll(REF + MAX_TASK_AGE + 1);
        t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAttestationCenter.ReferenceBlockTooOld.selector, REF, REF + MAX_TASK_AGE + 1, MAX_TASK_AGE
            )
        );
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
    }

    function test_Submit_RevertsWhenReferenceBlockNotInPast() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        vm.roll(REF);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.ReferenceBlockNotInPast.selector, REF, REF));
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
        att.referenceBlock = REF + 7;
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.ReferenceBlockNotInPast.selector, REF + 7, REF));
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
    }

    function test_Submit_DuplicateRevertsFirst() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        _submit(t, true, ops[0].ecdsaKey, att);
        bytes32 th = _taskHash(t);
        // the same certificate again
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.TaskAlreadySubmitted.selector, th, REF));
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
        // a reject certificate at the same reference block, garbage everywhere else: still the duplicate error
        IAttestationCenter.Attestation memory junk;
        junk.referenceBlock = REF;
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.TaskAlreadySubmitted.selector, th, REF));
        ac.submitTask(t, false, "", 0, blockhash(junk.referenceBlock), junk);
        vm.assertFalse(ac.submitted(th, REF + 10));
    }

    /// @dev A certificate stays valid against the set at its reference block whatever changes after it.
    function test_Submit_QuorumAtReferenceBlockAfterChanges() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _ids(4)); // 1, 2, 3 sign: 300/400
        // after REF: a signer leaves, a non-signer's power explodes, a new operator joins with big power
        vm.roll(REF + 2);
        vm.prank(ops[1].addr);
        ac.leave();
        _setPower(3, 10_000);
        uint256 newcomer = _addOperator(4242, 50_000);
        vm.roll(REF + 3);
        // the old hints still point at REF's entries: accepted
        _submit(t, true, ops[0].ecdsaKey, att);

        // a certificate at the new set (next epoch): newcomer and op 4 do not sign -> 200 of 60_200: refused
        uint32 ref2 = REF + 10;
        vm.roll(ref2 + 1);
        IAttestationCenter.TaskInfo memory t2 = _epochTask(ref2, _noAddrs(), _noAddrs(), 0);
        IAttestationCenter.Attestation memory att2 = _certify(t2, true, ref2, _ids(4, ops[newcomer].id));
        bytes memory sig2 = _perfSig(t2, ref2, ops[0].ecdsaKey);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, true, 200, 60_200));
        ac.submitTask(t2, true, sig2, 0, blockhash(att2.referenceBlock), att2);
        // the newcomer alone rejects: 50_000 of 60_200 > 2/3 (op 2 left, so it is no non-signer)
        uint256[] memory ns = new uint256[](3);
        (ns[0], ns[1], ns[2]) = (1, 3, 4);
        _submit(t2, false, ops[0].ecdsaKey, _certify(t2, false, ref2, ns));
        vm.assertEq(reg.penalties(ops[0].addr), 1);
    }

    function test_Submit_StaleHintAfterChangeIsRefused() public {
        vm.roll(REF + 2);
        _setPower(3, 10);
        vm.roll(REF + 3);
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _ids(4));
        // hints for the current entries do not cover REF
        att.apkHint = ac.apkHintAt(REF + 2);
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidApkHint.selector, att.apkHint, REF));
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
        att.apkHint = ac.apkHintAt(REF);
        att.nonSignerHints[0] = 1;
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 4, 1, REF));
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
    }

    // =============================================================================================
    // submitTask: thresholds
    // =============================================================================================

    /// @dev Only ops[0] (power s) and ops[1] (power 300 − s) are active; ops[1] does not sign.
    function _thresholdCase(uint96 s, bool approve) internal returns (bool accepted) {
        vm.roll(200);
        _setPower(0, s);
        _setPower(1, 300 - s);
        _setPower(2, 0);
        _setPower(3, 0);
        vm.roll(201);
        IAttestationCenter.TaskInfo memory t = _epochTask(200, _noAddrs(), _noAddrs(), 0);
        IAttestationCenter.Attestation memory att = _certify(t, approve, 200, _ids(2));
        bytes memory sig = _perfSig(t, 200, ops[0].ecdsaKey);
        try ac.submitTask(t, approve, sig, 0, blockhash(att.referenceBlock), att) {
            return true;
        } catch (bytes memory err) {
            vm.assertEq(
                keccak256(err),
                keccak256(abi.encodeWithSelector(IAttestationCenter.QuorumNotReached.selector, approve, s, 300))
            );
            return false;
        }
    }

    function test_Threshold_ApproveJustUnderTwoThirds() public {
        vm.assertFalse(_thresholdCase(199, true));
    }

    function test_Threshold_ApproveAtTwoThirdsIsNotEnough() public {
        vm.assertFalse(_thresholdCase(200, true));
    }

    function test_Threshold_ApproveJustOverTwoThirds() public {
        vm.assertTrue(_thresholdCase(201, true));
    }

    /// @dev Item 4 of issue 7: a blocking minority (more than 1/3, at most 2/3) cannot penalize.
    function test_Threshold_RejectJustOverOneThirdIsNotEnough() public {
        vm.assertFalse(_thresholdCase(101, false));
    }

    function test_Threshold_RejectJustUnderTwoThirds() public {
        vm.assertFalse(_thresholdCase(199, false));
    }

    function test_Threshold_RejectAtTwoThirdsIsNotEnough() public {
        vm.assertFalse(_thresholdCase(200, false));
    }

    function test_Threshold_RejectJustOverTwoThirds() public {
        vm.assertTrue(_thresholdCase(201, false));
    }

    /// @dev Both verdicts need more than 2/3, so two certificates for opposite outcomes need signers in
    ///      common with more than 1/3 of the power; two disjoint signer sets never certify both.
    function testFuzz_ThresholdArithmetic(uint256 total, uint256 sApprove, uint256 sReject) public view {
        total = bound(total, 0, uint256(type(uint96).max) * 1000);
        sApprove = bound(sApprove, 0, total);
        sReject = bound(sReject, 0, total);
        bool a = ac.meetsThreshold(sApprove, total);
        bool r = ac.meetsThreshold(sReject, total);
        vm.assertEq(a, 3 * sApprove > 2 * total);
        vm.assertEq(r, 3 * sReject > 2 * total);
        // both valid => the overlap (at least sApprove + sReject − total) is more than 1/3
        if (a && r) vm.assertGt(3 * (sApprove + sReject - total), total, "overlap of more than 1/3");
        if (total > 0) vm.assertFalse(ac.meetsThreshold((2 * total) / 3, total));
    }

    /// @dev End to end: operators with fuzzed powers each approve, reject or abstain. Both certificates are
    ///      valid BLS certificates; at most one meets its threshold, each iff its arithmetic holds, and the
    ///      one that does lands on-chain.
    struct Split {
        uint256[] notApprove;
        uint256[] notReject;
        uint256 sA;
        uint256 sR;
        uint256 total;
    }

    function testFuzz_ApproveAndRejectNeverBothValid(uint96[4] memory power, uint8[4] memory choice) public {
        vm.roll(200);
        Split memory sp;
        sp.notApprove = new uint256[](4);
        sp.notReject = new uint256[](4);
        uint256 na;
        uint256 nr;
        for (uint256 i = 0; i < 4; ++i) {
            power[i] = uint96(bound(power[i], 1, 1e24));
            _setPower(i, power[i]);
            sp.total += power[i];
            uint8 c = choice[i] % 3; // 0 approve, 1 reject, 2 abstain
            if (c == 0) sp.sA += power[i];
            else sp.notApprove[na++] = i + 1;
            if (c == 1) sp.sR += power[i];
            else sp.notReject[nr++] = i + 1;
        }
        uint256[] memory x = sp.notApprove;
        uint256[] memory y = sp.notReject;
        assembly {
            mstore(x, na)
            mstore(y, nr)
        }
        vm.roll(201);
        IAttestationCenter.TaskInfo memory t = _epochTask(200, _noAddrs(), _noAddrs(), 0);
        bool aValid = _certValid(t, true, sp.notApprove, sp.sA, sp.total);
        bool rValid = _certValid(t, false, sp.notReject, sp.sR, sp.total);
        vm.assertFalse(aValid && rValid, "approve and reject both valid");
        vm.assertEq(aValid, 3 * sp.sA > 2 * sp.total);
        vm.assertEq(rValid, 3 * sp.sR > 2 * sp.total);
        if (aValid || rValid) {
            _submit(t, aValid, ops[0].ecdsaKey, _certify(t, aValid, 200, aValid ? sp.notApprove : sp.notReject));
            vm.assertTrue(ac.submitted(_taskHash(t), 200));
        }
    }

    function _certValid(
        IAttestationCenter.TaskInfo memory t,
        bool approve,
        uint256[] memory nonSigners,
        uint256 expectedSigned,
        uint256 expectedTotal
    ) internal view returns (bool) {
        if (expectedSigned == 0) return false; // no signature at all
        IAttestationCenter.Attestation memory att = _certify(t, approve, 200, nonSigners);
        (uint256 signed, uint256 total,) = ac.verifyAttestationGas(_voteHash(t, approve, 200), att);
        vm.assertEq(signed, expectedSigned);
        vm.assertEq(total, expectedTotal);
        return ac.meetsThreshold(signed, total);
    }

    // =============================================================================================
    // submitTask: performer signature
    // =============================================================================================

    function _expectSubmitRevert(
        IAttestationCenter.TaskInfo memory t,
        bytes memory sig,
        IAttestationCenter.Attestation memory att,
        bytes memory err
    ) internal {
        vm.expectRevert(err);
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
    }

    function test_Performer_WrongSigner() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        _expectSubmitRevert(
            t,
            _perfSig(t, REF, ops[1].ecdsaKey),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignature.selector, ops[1].addr, ops[0].addr)
        );
    }

    function test_Performer_WrongChainDigest() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        bytes32 wrong = keccak256(abi.encode("liveliness/task/v2", block.chainid + 1, address(ac), _taskHash(t), REF));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ops[0].ecdsaKey, _ethSigned(wrong));
        address recovered = ecrecover(_ethSigned(_taskDigest(_taskHash(t), REF)), v, r, s);
        _expectSubmitRevert(
            t,
            abi.encodePacked(r, s, v),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignature.selector, recovered, ops[0].addr)
        );
        // and a raw (non EIP-191) signature of the right digest
        (v, r, s) = vm.sign(ops[0].ecdsaKey, _taskDigest(_taskHash(t), REF));
        recovered = ecrecover(_ethSigned(_taskDigest(_taskHash(t), REF)), v, r, s);
        _expectSubmitRevert(
            t,
            abi.encodePacked(r, s, v),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignature.selector, recovered, ops[0].addr)
        );
    }

    function test_Performer_MalformedLength() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        bytes memory sig = _perfSig(t, REF, ops[0].ecdsaKey);
        bytes memory short = new bytes(64);
        bytes memory long = bytes.concat(sig, hex"00");
        for (uint256 i = 0; i < 64; ++i) {
            short[i] = sig[i];
        }
        _expectSubmitRevert(
            t, short, att, abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignatureLength.selector, 64)
        );
        _expectSubmitRevert(
            t, long, att, abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignatureLength.selector, 66)
        );
        _expectSubmitRevert(
            t, "", att, abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignatureLength.selector, 0)
        );
    }

    function test_Performer_HighSRefused() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ops[0].ecdsaKey, _ethSigned(_taskDigest(_taskHash(t), REF)));
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flipped = v == 27 ? 28 : 27;
        // the malleated copy is a valid ECDSA signature ...
        vm.assertEq(ecrecover(_ethSigned(_taskDigest(_taskHash(t), REF)), flipped, r, highS), ops[0].addr);
        // ... but refused
        _expectSubmitRevert(
            t,
            abi.encodePacked(r, highS, flipped),
            att,
            abi.encodeWithSelector(IAttestationCenter.PerformerSignatureHighS.selector)
        );
    }

    /// @dev The performer signs for its epoch block's hash; a certificate for a block hash this chain does not
    ///      have (a reorged-out block) is refused (the EVM knows the hash: `maxTaskAge ≤ 256`).
    function test_Performer_EpochBlockHashMustBeTheChains() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        vm.assertNotEq(blockhash(REF), bytes32(0)); // the EVM knows the reference block's hash
        bytes32 orphaned = keccak256("a reorged-out block");
        bytes memory sig = _perfSig(_taskHash(t), REF, orphaned, 0, ops[0].ecdsaKey);
        vm.expectRevert(
            abi.encodeWithSelector(IAttestationCenter.EpochBlockHashMismatch.selector, REF, orphaned, blockhash(REF))
        );
        ac.submitTask(t, true, sig, 0, orphaned, att);
        // Signed for the chain's hash, with another hash claimed: the signature does not recover.
        vm.expectRevert(
            abi.encodeWithSelector(IAttestationCenter.EpochBlockHashMismatch.selector, REF, orphaned, blockhash(REF))
        );
        ac.submitTask(t, true, _perfSig(t, REF, ops[0].ecdsaKey), 0, orphaned, att);
        ac.submitTask(t, true, _perfSig(t, REF, ops[0].ecdsaKey), 0, blockhash(REF), att);
        vm.assertTrue(ac.submitted(_taskHash(t), REF));
    }

    function test_Performer_VZeroOneAccepted() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ops[0].ecdsaKey, _ethSigned(_taskDigest(_taskHash(t), REF)));
        ac.submitTask(t, true, abi.encodePacked(r, s, v - 27), 0, blockhash(att.referenceBlock), att);
        vm.assertTrue(ac.submitted(_taskHash(t), REF));
    }

    function test_Performer_BadV() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        (, bytes32 r, bytes32 s) = vm.sign(ops[0].ecdsaKey, _ethSigned(_taskDigest(_taskHash(t), REF)));
        _expectSubmitRevert(
            t,
            abi.encodePacked(r, s, uint8(29)),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignatureV.selector, 29)
        );
        _expectSubmitRevert(
            t,
            abi.encodePacked(r, s, uint8(2)),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidPerformerSignatureV.selector, 2)
        );
    }

    function test_Performer_NotAnOperator() public {
        uint256 key = 0xC0FFEE;
        IAttestationCenter.TaskInfo memory t = _task(_data(REF, _noAddrs(), _noAddrs()), vm.addr(key));
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        _expectSubmitRevert(
            t,
            _perfSig(t, REF, key),
            att,
            abi.encodeWithSelector(IAttestationCenter.PerformerNotOperator.selector, vm.addr(key))
        );
    }

    function test_Performer_InactiveAtReferenceBlock() public {
        vm.roll(REF + 2);
        _setPower(3, 0);
        vm.roll(REF + 3);
        // active at REF: fine
        IAttestationCenter.TaskInfo memory t = _epochTask(REF, _noAddrs(), _noAddrs(), 3);
        _submit(t, true, ops[3].ecdsaKey, _certify(t, true, REF, _none()));
        // inactive at REF + 2
        t = _epochTask(REF, _noAddrs(), _noAddrs(), 3);
        IAttestationCenter.Attestation memory att = _certify(t, true, REF + 2, _none());
        _expectSubmitRevert(
            t,
            _perfSig(t, REF + 2, ops[3].ecdsaKey),
            att,
            abi.encodeWithSelector(IAttestationCenter.PerformerNotActive.selector, ops[3].addr, REF + 2)
        );
        // a wrong hint
        att.performerHint = 0;
        _expectSubmitRevert(
            t,
            _perfSig(t, REF + 2, ops[3].ecdsaKey),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 4, 0, REF + 2)
        );
    }

    function test_Performer_NeverActivated() public {
        uint256 idx = _addOperator(999, 0);
        vm.roll(REF + 2);
        IAttestationCenter.TaskInfo memory t = _epochTask(REF, _noAddrs(), _noAddrs(), idx);
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        _expectSubmitRevert(
            t,
            _perfSig(t, REF, ops[idx].ecdsaKey),
            att,
            abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 5, 0, REF)
        );
    }

    // =============================================================================================
    // submitTask: BLS certificate
    // =============================================================================================

    function _expectBlsRevert(
        IAttestationCenter.TaskInfo memory t,
        IAttestationCenter.Attestation memory att,
        bytes memory err
    ) internal {
        _expectSubmitRevert(t, _perfSig(t, att.referenceBlock, ops[0].ecdsaKey), att, err);
    }

    function test_Bls_WrongMessage() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.TaskInfo memory other = _task0();
        IAttestationCenter.Attestation memory att = _certify(other, true, REF, _none());
        // (with the hash-to-G1 hint of the message the contract computes, as a submitter would give it)
        att.h2cHint = _h2cHint(_voteHash(t, true, REF));
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
        // signed as reject, submitted as approve
        att = _certify(t, false, REF, _none());
        att.h2cHint = _h2cHint(_voteHash(t, true, REF));
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
        // with the hint of the message that was signed: the hint does not match the message
        att = _certify(t, false, REF, _none());
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidHashToG1Hint.selector, 0));
    }

    /// @dev The hinted hash to G1 gives exactly `BN254.hashToG1`, whatever the message.
    function testFuzz_H2CHint_GivesTheHashToG1Point(bytes32 h) public view {
        (uint256 x, uint256 y) = ac.hashToG1Hinted(h, _h2cHint(h));
        (uint256 ex, uint256 ey) = BN254.hashToG1(h);
        vm.assertEq(x, ex);
        vm.assertEq(y, ey);
    }

    /// @dev No hint giving another point passes: a try skipped, a try added, a wrong root, no hint. (The
    ///      negated last word is a hint too: it squares to the same root, so it gives the same point.)
    function test_H2CHint_AnyOtherHintIsRefused() public {
        // A message that needs at least three tries.
        bytes32 h;
        uint256[] memory hint;
        for (uint256 i = 0;; ++i) {
            h = keccak256(abi.encode("h2c", i));
            hint = _h2cHint(h);
            if (hint.length >= 3) break;
        }
        uint256 n = hint.length;
        uint256[] memory skipped = new uint256[](n - 1);
        for (uint256 i = 1; i < n; ++i) {
            skipped[i - 1] = hint[i];
        }
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidHashToG1Hint.selector, 0));
        ac.hashToG1Hinted(h, skipped);
        uint256[] memory added = new uint256[](n + 1);
        for (uint256 i = 0; i < n; ++i) {
            added[i] = hint[i];
        }
        added[n] = hint[n - 1];
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidHashToG1Hint.selector, n - 1));
        ac.hashToG1Hinted(h, added);
        // The last word squared is the root; any other last word (here 1 more) gives no root.
        uint256[] memory other = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            other[i] = hint[i];
        }
        other[n - 1] = addmod(hint[n - 1], 1, BN254.P);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidHashToG1Hint.selector, n - 1));
        ac.hashToG1Hinted(h, other);
        vm.expectRevert(abi.encodeWithSelector(IAttestationCenter.InvalidHashToG1Hint.selector, 0));
        ac.hashToG1Hinted(h, new uint256[](0));
        // The negated last word squares to the same root: the same point.
        other[n - 1] = BN254.P - hint[n - 1];
        (uint256 x, uint256 y) = ac.hashToG1Hinted(h, other);
        (uint256 ex, uint256 ey) = BN254.hashToG1(h);
        vm.assertEq(x, ex);
        vm.assertEq(y, ey);
    }

    function test_Bls_WrongNonSignerSet() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        // everybody signed, but op 4 is claimed as a non-signer
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        IAttestationCenter.Attestation memory claimed = _certify(t, true, REF, _ids(4));
        att.nonSignerIds = claimed.nonSignerIds;
        att.nonSignerHints = claimed.nonSignerHints;
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
        // op 4 did not sign, but is not listed
        att = _certify(t, true, REF, _ids(4));
        att.nonSignerIds = new uint256[](0);
        att.nonSignerHints = new uint32[](0);
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
    }

    function test_Bls_NonSignersNotStrictlyIncreasing() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        att.nonSignerIds = _ids(2, 2);
        att.nonSignerHints = new uint32[](2);
        _expectBlsRevert(
            t, att, abi.encodeWithSelector(IAttestationCenter.NonSignersNotStrictlyIncreasing.selector, 1, 2)
        );
        att.nonSignerIds = _ids(3, 2);
        _expectBlsRevert(
            t, att, abi.encodeWithSelector(IAttestationCenter.NonSignersNotStrictlyIncreasing.selector, 1, 2)
        );
        att.nonSignerIds = _ids(0, 2);
        _expectBlsRevert(
            t, att, abi.encodeWithSelector(IAttestationCenter.NonSignersNotStrictlyIncreasing.selector, 0, 0)
        );
    }

    function test_Bls_InactiveNonSigner() public {
        vm.roll(REF + 2);
        _setPower(3, 0);
        uint256 idle = _addOperator(999, 0); // id 5, never active
        vm.roll(REF + 3);
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF + 2, _none());
        att.nonSignerIds = _ids(4);
        att.nonSignerHints = new uint32[](1);
        att.nonSignerHints[0] = ac.operatorHintAt(4, REF + 2);
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.NonSignerNotActive.selector, 4, REF + 2));
        att.nonSignerIds = _ids(ops[idle].id);
        att.nonSignerHints[0] = 0;
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 5, 0, REF + 2));
        att.nonSignerIds = _ids(77); // unknown id
        _expectBlsRevert(
            t, att, abi.encodeWithSelector(IAttestationCenter.InvalidOperatorHint.selector, 77, 0, REF + 2)
        );
    }

    function test_Bls_NonSignerHintsLengthMismatch() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _ids(4));
        att.nonSignerHints = new uint32[](2);
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.LengthMismatch.selector, 1, 2));
    }

    function test_Bls_TamperedSigma() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        uint256[2] memory good = att.sigma;
        (att.sigma[0], att.sigma[1]) = BN254.add(good[0], good[1], 1, 2); // another valid point
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
        att.sigma = [good[0], good[1] + 1]; // off the curve
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidSignaturePoint.selector));
        att.sigma = [good[0], good[1] + BN254.P]; // coordinate >= p
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidSignaturePoint.selector));
        att.sigma = [uint256(0), 0]; // infinity
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidSignaturePoint.selector));
        (att.sigma[0], att.sigma[1]) = BN254.neg(good[0], good[1]);
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
    }

    function test_Bls_WrongApkG2() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        uint256[4] memory good = att.apkG2;
        att.apkG2 = BN254G2.add(good, BN254G2.generator()); // a valid but wrong key
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
        att.apkG2 = [good[0], good[1], good[2], good[3] + 1]; // not on the twist
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidAggregateKeyG2.selector));
        att.apkG2 = [uint256(0), 0, 0, 0];
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidBlsSignature.selector));
    }

    function test_Bls_WrongApkHint() public {
        vm.roll(REF + 2);
        _setPower(2, 1);
        vm.roll(REF + 3);
        IAttestationCenter.TaskInfo memory t = _task0();
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, _none());
        att.apkHint = 1; // the entry from REF + 2
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidApkHint.selector, 1, REF));
        att.apkHint = 9; // past the end
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidApkHint.selector, 9, REF));
    }

    function test_Bls_NoSignerRefused() public {
        IAttestationCenter.TaskInfo memory t = _task0();
        uint256[] memory all = new uint256[](4);
        (all[0], all[1], all[2], all[3]) = (1, 2, 3, 4);
        IAttestationCenter.Attestation memory att = _certify(t, true, REF, all);
        vm.assertEq(att.sigma[0] | att.sigma[1], 0);
        _expectBlsRevert(t, att, abi.encodeWithSelector(IAttestationCenter.InvalidSignaturePoint.selector));
    }
}
