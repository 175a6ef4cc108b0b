// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {Fixture} from "./utils/Fixture.sol";
import {LivelinessRegistry} from "../src/LivelinessRegistry.sol";
import {ILivelinessRegistry} from "../src/interfaces/ILivelinessRegistry.sol";
import {IAttestationCenter} from "../src/interfaces/IAttestationCenter.sol";
import {Owned2Step} from "../src/utils/Owned2Step.sol";

/// @dev Stands in for the AttestationCenter: operator set, and a hook caller with a chosen reference block.
contract MockAttestationCenter {
    mapping(address => uint256) public operatorsIdsByAddress;
    mapping(address => bool) public isActive;
    uint256 public taskReferenceBlock;
    uint256 private _nextId = 1;

    function setOperator(address op, bool active) external {
        if (operatorsIdsByAddress[op] == 0) operatorsIdsByAddress[op] = _nextId++;
        isActive[op] = active;
    }

    function callAfter(LivelinessRegistry reg, IAttestationCenter.TaskInfo calldata t, bool approved, uint256 ref)
        external
    {
        taskReferenceBlock = ref;
        reg.afterTaskSubmission(t, approved, "", [uint256(0), 0], new uint256[](0));
        taskReferenceBlock = 0;
    }

    function callBefore(LivelinessRegistry reg, IAttestationCenter.TaskInfo calldata t) external view {
        reg.beforeTaskSubmission(t, true, "", [uint256(0), 0], new uint256[](0));
    }
}

/// @dev Registry rules against a mock AttestationCenter (no cryptography needed).
contract LivelinessRegistryTest is Test {
    address internal constant GOV = address(0x60F);
    MockAttestationCenter internal mac;
    LivelinessRegistry internal reg;
    address internal alice = address(0xA11CE);
    address internal bob = address(0xB0B);
    address internal carol = address(0xCA201);
    address internal dave = address(0xDA5E);
    address internal performer = address(0x9E2F);

    function setUp() public {
        vm.roll(1000);
        mac = new MockAttestationCenter();
        reg = new LivelinessRegistry(address(mac), GOV);
        mac.setOperator(alice, true);
        mac.setOperator(bob, true);
        mac.setOperator(carol, true);
        mac.setOperator(dave, true);
        mac.setOperator(performer, true);
    }

    function _reg(address op) internal {
        vm.prank(op);
        reg.register("http://node.example.org:8545/health");
    }

    function _task(bytes memory data) internal view returns (IAttestationCenter.TaskInfo memory t) {
        t.proofOfTask = "bafkreiexample";
        t.data = data;
        t.taskPerformer = performer;
        t.taskDefinitionId = 1;
    }

    function _data(uint256 epochBlock, address[] memory unhealthy, address[] memory missed)
        internal
        view
        returns (bytes memory)
    {
        return abi.encode(epochBlock, blockhash(epochBlock), unhealthy, missed);
    }

    function _one(address a) internal pure returns (address[] memory xs) {
        xs = new address[](1);
        xs[0] = a;
    }

    function _two(address a, address b) internal pure returns (address[] memory xs) {
        xs = new address[](2);
        (xs[0], xs[1]) = (a, b);
    }

    function _none() internal pure returns (address[] memory) {
        return new address[](0);
    }

    /// @dev Approved task for `epochBlock` (its reference block) naming `unhealthy` and `missed`.
    function _approve(uint256 epochBlock, address[] memory unhealthy, address[] memory missed) internal {
        mac.callAfter(reg, _task(_data(epochBlock, unhealthy, missed)), true, epochBlock);
    }

    function _expectApproveRevert(uint256 ref, bytes memory data, bytes memory err) internal {
        IAttestationCenter.TaskInfo memory t = _task(data);
        vm.expectRevert(err);
        mac.callAfter(reg, t, true, ref);
    }

    // =============================================================================================
    // Deployment and parameters
    // =============================================================================================

    function test_Defaults() public view {
        ILivelinessRegistry.Params memory p = reg.params();
        vm.assertEq(p.C, 1000);
        vm.assertEq(p.epochLength, 10);
        vm.assertEq(p.sampleSize, 8);
        vm.assertEq(p.performerTimeoutBlocks, 5);
        vm.assertEq(p.taskValidityBlocks, 40);
        vm.assertEq(p.confirmationDepth, 2);
        vm.assertEq(p.healthTimeoutMs, 2000);
        vm.assertEq(reg.C(), 1000);
        vm.assertEq(reg.epochLength(), 10);
        vm.assertEq(reg.sampleSize(), 8);
        vm.assertEq(reg.performerTimeoutBlocks(), 5);
        vm.assertEq(reg.taskValidityBlocks(), 40);
        vm.assertEq(reg.confirmationDepth(), 2);
        vm.assertEq(reg.healthTimeoutMs(), 2000);
        vm.assertEq(reg.attestationCenter(), address(mac));
        vm.assertEq(reg.owner(), GOV);
        vm.assertEq(reg.MAX_ENDPOINT_LENGTH(), 256);
    }

    function test_Constructor_RevertsOnZeroAddresses() public {
        vm.expectRevert(ILivelinessRegistry.ZeroAddress.selector);
        new LivelinessRegistry(address(0), GOV);
        vm.expectRevert(Owned2Step.ZeroOwner.selector);
        new LivelinessRegistry(address(mac), address(0));
    }

    function test_Params_Setters() public {
        vm.startPrank(GOV);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("C", 7);
        reg.setC(7);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("epochLength", 20);
        reg.setEpochLength(20);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("sampleSize", 32);
        reg.setSampleSize(32);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("performerTimeoutBlocks", 3);
        reg.setPerformerTimeoutBlocks(3);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("taskValidityBlocks", 60);
        reg.setTaskValidityBlocks(60);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("confirmationDepth", 0);
        reg.setConfirmationDepth(0);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChanged("healthTimeoutMs", 1500);
        reg.setHealthTimeoutMs(1500);
        vm.stopPrank();
        ILivelinessRegistry.Params memory p = reg.params();
        vm.assertEq(p.C, 7);
        vm.assertEq(p.epochLength, 20);
        vm.assertEq(p.sampleSize, 32);
        vm.assertEq(p.performerTimeoutBlocks, 3);
        vm.assertEq(p.taskValidityBlocks, 60);
        vm.assertEq(p.confirmationDepth, 0);
        vm.assertEq(p.healthTimeoutMs, 1500);
    }

    function test_Params_SanityChecks() public {
        vm.startPrank(GOV);
        uint256 big = uint256(type(uint32).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("epochLength"), 0)
        );
        reg.setEpochLength(0);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("epochLength"), big)
        );
        reg.setEpochLength(big);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("sampleSize"), 0));
        reg.setSampleSize(0);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("sampleSize"), 257)
        );
        reg.setSampleSize(257);
        reg.setSampleSize(256);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("performerTimeoutBlocks"), 0)
        );
        reg.setPerformerTimeoutBlocks(0);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("taskValidityBlocks"), 0)
        );
        reg.setTaskValidityBlocks(0);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("confirmationDepth"), big)
        );
        reg.setConfirmationDepth(big);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("healthTimeoutMs"), 0)
        );
        reg.setHealthTimeoutMs(0);
        uint256 tooBigC = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("C"), tooBigC));
        reg.setC(tooBigC);
        reg.setC(0);
        vm.assertEq(reg.C(), 0);
        vm.stopPrank();
    }

    function test_Params_OnlyOwner() public {
        vm.startPrank(alice);
        bytes memory err = abi.encodeWithSelector(Owned2Step.Unauthorized.selector, alice);
        vm.expectRevert(err);
        reg.setC(1);
        vm.expectRevert(err);
        reg.setEpochLength(1);
        vm.expectRevert(err);
        reg.setSampleSize(1);
        vm.expectRevert(err);
        reg.setPerformerTimeoutBlocks(1);
        vm.expectRevert(err);
        reg.setTaskValidityBlocks(1);
        vm.expectRevert(err);
        reg.setConfirmationDepth(1);
        vm.expectRevert(err);
        reg.setHealthTimeoutMs(1);
        vm.stopPrank();
    }

    // =============================================================================================
    // Registration
    // =============================================================================================

    function test_Register() public {
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorRegistered(alice, "http://10.0.0.1:8080", 1000);
        vm.prank(alice);
        reg.register("http://10.0.0.1:8080");
        vm.assertTrue(reg.isRegistered(alice));
        vm.assertEq(reg.endpointOf(alice), "http://10.0.0.1:8080");
        vm.assertEq(reg.registeredOperatorsCount(), 1);
        (ILivelinessRegistry.Registration memory r, string memory ep) = reg.registrations(alice);
        vm.assertEq(r.registeredAtBlock, 1000);
        vm.assertEq(r.penaltyPoints, 0);
        vm.assertEq(r.penaltyCount, 0);
        vm.assertEq(r.lastPenaltyEpoch, 0);
        vm.assertEq(r.index, 1);
        vm.assertEq(ep, "http://10.0.0.1:8080");
        vm.assertEq(reg.getLivelinessScore(alice), 0);
        vm.roll(1025);
        vm.assertEq(reg.getLivelinessScore(alice), 25);
    }

    function test_Register_Reverts() public {
        vm.prank(address(0xF00));
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.NotAnOperator.selector, address(0xF00)));
        reg.register("http://a.b");
        mac.setOperator(alice, false);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.OperatorNotActive.selector, alice));
        reg.register("http://a.b");
        mac.setOperator(alice, true);
        _reg(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.AlreadyRegistered.selector, alice));
        reg.register("http://a.b");
        vm.prank(bob);
        vm.expectRevert(ILivelinessRegistry.EndpointBadScheme.selector);
        reg.register("ftp://a.b");
        vm.prank(bob);
        vm.expectRevert(ILivelinessRegistry.EndpointBadScheme.selector);
        reg.register("https://a.b"); // the health checker speaks plain http only
        vm.assertFalse(reg.isRegistered(bob));
    }

    function test_ChangeEndpoint() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.NotRegistered.selector, alice));
        reg.changeEndpoint("http://a.b");
        _reg(alice);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.EndpointChanged(alice, "http://new.example:9000/h");
        vm.prank(alice);
        reg.changeEndpoint("http://new.example:9000/h");
        vm.assertEq(reg.endpointOf(alice), "http://new.example:9000/h");
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointHasUserinfo.selector, 8));
        reg.changeEndpoint("http://u@evil");
        vm.prank(alice);
        vm.expectRevert(ILivelinessRegistry.EndpointBadScheme.selector);
        reg.changeEndpoint("https://new.example:9000/h");
        vm.assertEq(reg.endpointOf(alice), "http://new.example:9000/h"); // unchanged
        // still registered at the same block, score unaffected
        (ILivelinessRegistry.Registration memory r,) = reg.registrations(alice);
        vm.assertEq(r.registeredAtBlock, 1000);
    }

    function test_Unregister() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.NotRegistered.selector, alice));
        reg.unregister();
        _reg(alice);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.StillActive.selector, alice));
        reg.unregister();

        _approve(1000, _one(alice), _none()); // one penalty, kept for life
        mac.setOperator(alice, false); // left the AVS
        vm.roll(1050);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorUnregistered(alice, 1050);
        vm.prank(alice);
        reg.unregister();
        vm.assertFalse(reg.isRegistered(alice));
        vm.assertEq(reg.endpointOf(alice), "");
        vm.assertEq(reg.registeredOperatorsCount(), 0);
        vm.assertEq(reg.getLivelinessScore(alice), 0);
        vm.assertEq(reg.penalties(alice), 1);
        vm.assertEq(reg.penaltyPoints(alice), 0);
        (ILivelinessRegistry.Registration memory r,) = reg.registrations(alice);
        vm.assertEq(r.registeredAtBlock, 0);
        vm.assertEq(r.index, 0);
        vm.assertEq(r.lastPenaltyEpoch, 1001);
    }

    function test_Reregister_FreshScoreKeepsLifetimeCount() public {
        _reg(alice);
        _approve(1000, _one(alice), _none());
        vm.roll(3000);
        vm.assertEq(reg.getLivelinessScore(alice), 1000); // 2000 blocks − 1000
        mac.setOperator(alice, false);
        vm.prank(alice);
        reg.unregister();
        vm.roll(3100);
        mac.setOperator(alice, true);
        _reg(alice);
        vm.assertEq(reg.getLivelinessScore(alice), 0);
        vm.assertEq(reg.penalties(alice), 1);
        vm.assertEq(reg.penaltyPoints(alice), 0);
        vm.roll(3110);
        vm.assertEq(reg.getLivelinessScore(alice), 10);
        _approve(3100, _one(alice), _none());
        vm.assertEq(reg.penalties(alice), 2);
        vm.assertEq(reg.getLivelinessScore(alice), 0);
    }

    // =============================================================================================
    // Endpoint validation
    // =============================================================================================

    function test_Endpoint_Valid() public view {
        reg.checkEndpoint("http://a");
        reg.checkEndpoint("http://127.0.0.1:8545");
        reg.checkEndpoint("http://node-1.example.org:443/health?x=1#frag");
        reg.checkEndpoint("http://[::1]:8080/");
        bytes memory max = bytes.concat("http://", new bytes(249));
        for (uint256 i = 7; i < max.length; ++i) {
            max[i] = "a";
        }
        vm.assertEq(max.length, 256);
        reg.checkEndpoint(string(max));
    }

    function test_Endpoint_TooLong() public {
        bytes memory long = bytes.concat("http://", new bytes(250));
        for (uint256 i = 7; i < long.length; ++i) {
            long[i] = "a";
        }
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointTooLong.selector, 257, 256));
        reg.checkEndpoint(string(long));
    }

    function test_Endpoint_BadScheme() public {
        // Plain lower-case `http://` only: `https://` is refused like any other scheme.
        string[15] memory bad = [
            "",
            "h",
            "http:/",
            "ftp://a",
            "HTTP://a",
            "Http://a",
            "http:/a",
            "https:a",
            "httpx://a",
            "ws://a",
            "https://a",
            "https://",
            "https://:8080",
            "HTTPS://a",
            " http://a"
        ];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(ILivelinessRegistry.EndpointBadScheme.selector);
            reg.checkEndpoint(bad[i]);
        }
    }

    /// @dev Any input of acceptable length that does not start with exactly `http://` is refused for its scheme.
    function testFuzz_Endpoint_NotHttpIsBadScheme(bytes memory raw) public {
        if (raw.length > 256) {
            assembly {
                mstore(raw, 256)
            }
        }
        bytes memory http = "http://";
        bool isHttp = raw.length >= 7;
        for (uint256 i = 0; isHttp && i < 7; ++i) {
            isHttp = raw[i] == http[i];
        }
        vm.assume(!isHttp);
        vm.expectRevert(ILivelinessRegistry.EndpointBadScheme.selector);
        reg.checkEndpoint(string(raw));
    }

    /// @dev The same host and path is accepted after `http://` and refused after `https://`.
    function testFuzz_Endpoint_HttpAcceptedHttpsRefused(bytes memory rest) public {
        if (rest.length > 248) {
            assembly {
                mstore(rest, 248) // "https://" + 248 bytes is the longest acceptable length
            }
        }
        if (rest.length == 0) rest = "a";
        for (uint256 i = 0; i < rest.length; ++i) {
            bytes1 c = bytes1(uint8(rest[i]) % 94 + 0x21); // printable ASCII, no space
            if (c == "@") c = "a";
            rest[i] = c;
        }
        if (rest[0] == "/" || rest[0] == "?" || rest[0] == "#" || rest[0] == ":") rest[0] = "a";
        reg.checkEndpoint(string(bytes.concat("http://", rest)));
        vm.expectRevert(ILivelinessRegistry.EndpointBadScheme.selector);
        reg.checkEndpoint(string(bytes.concat("https://", rest)));
    }

    function test_Endpoint_MissingHost() public {
        string[5] memory bad = ["http://", "http:///path", "http://:8080", "http://?q", "http://#f"];
        for (uint256 i = 0; i < bad.length; ++i) {
            vm.expectRevert(ILivelinessRegistry.EndpointMissingHost.selector);
            reg.checkEndpoint(bad[i]);
        }
    }

    function test_Endpoint_Userinfo() public {
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointHasUserinfo.selector, 8));
        reg.checkEndpoint("http://u@host");
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointHasUserinfo.selector, 17));
        reg.checkEndpoint("http://good.host/@evil");
    }

    function test_Endpoint_InvalidCharacters() public {
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointInvalidCharacter.selector, 8, bytes1(" ")));
        reg.checkEndpoint("http://a b");
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointInvalidCharacter.selector, 7, bytes1(0x0a)));
        reg.checkEndpoint("http://\nhost");
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointInvalidCharacter.selector, 8, bytes1(0x00)));
        reg.checkEndpoint(string(bytes.concat("http://a", hex"00")));
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointInvalidCharacter.selector, 8, bytes1(0x7f)));
        reg.checkEndpoint(string(bytes.concat("http://a", hex"7f")));
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointInvalidCharacter.selector, 8, bytes1(0xc3)));
        reg.checkEndpoint(unicode"http://aé");
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.EndpointInvalidCharacter.selector, 7, bytes1(0x09)));
        reg.checkEndpoint("http://\thost");
    }

    // =============================================================================================
    // Scores and penalties
    // =============================================================================================

    function test_Score_FormulaAndFloor() public {
        _reg(alice);
        vm.roll(1500);
        vm.assertEq(reg.getLivelinessScore(alice), 500);
        _approve(1490, _one(alice), _none());
        vm.assertEq(reg.getLivelinessScore(alice), 0); // 500 − 1000, floored
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        vm.roll(2000);
        vm.assertEq(reg.getLivelinessScore(alice), 0); // exactly 1000 − 1000
        vm.roll(2001);
        vm.assertEq(reg.getLivelinessScore(alice), 1);
        vm.assertEq(reg.getLivelinessScore(bob), 0); // never registered
    }

    function test_Score_ChangeOfCDoesNotRewritePast() public {
        _reg(alice);
        _reg(bob);
        vm.roll(5000);
        _approve(4990, _one(alice), _none()); // C = 1000
        vm.prank(GOV);
        reg.setC(10);
        _approve(5000 - 10, _none(), _none()); // nothing
        vm.roll(5020);
        _approve(5010, _one(bob), _none()); // C = 10
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        vm.assertEq(reg.penaltyPoints(bob), 10);
        vm.assertEq(reg.getLivelinessScore(alice), 4020 - 1000);
        vm.assertEq(reg.getLivelinessScore(bob), 4020 - 10);
        _approve(5000, _one(alice), _none()); // a later epoch, new C
        vm.assertEq(reg.penaltyPoints(alice), 1010);
    }

    function test_Penalty_SaturatesAtUint64() public {
        _reg(alice);
        vm.prank(GOV);
        reg.setC(type(uint64).max);
        vm.roll(1100);
        _approve(1010, _one(alice), _none());
        _approve(1020, _one(alice), _none());
        vm.assertEq(reg.penaltyPoints(alice), type(uint64).max);
        vm.assertEq(reg.penalties(alice), 2);
        vm.assertEq(reg.getLivelinessScore(alice), 0);
    }

    function test_Penalty_UnregisteredCountsButNoPoints() public {
        vm.roll(1100);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(carol, 1090, 0, false);
        _approve(1090, _one(carol), _none());
        vm.assertEq(reg.penalties(carol), 1);
        vm.assertEq(reg.penaltyPoints(carol), 0);
    }

    function testFuzz_Score(uint256 age, uint8 nPenalties, uint64 c) public {
        age = bound(age, 0, 10_000_000);
        nPenalties = uint8(bound(nPenalties, 0, 20));
        c = uint64(bound(c, 0, 1_000_000));
        vm.prank(GOV);
        reg.setC(c);
        _reg(alice);
        uint256 start = block.number;
        vm.roll(start + 10 * uint256(nPenalties) + 10);
        for (uint256 i = 0; i < nPenalties; ++i) {
            _approve(start + 10 * i, _one(alice), _none());
        }
        vm.roll(start + age);
        uint256 points = uint256(nPenalties) * c;
        uint256 expected = age > points ? age - points : 0;
        vm.assertEq(reg.getLivelinessScore(alice), expected);
        vm.assertEq(reg.penalties(alice), nPenalties);
        vm.assertEq(reg.penaltyPoints(alice), points);
    }

    function test_Approved_PenalizesUnhealthyAndMissedPerformers() public {
        _reg(alice);
        _reg(bob);
        vm.roll(1100);
        address[] memory unhealthy = _two(alice, bob); // alice < bob? sort below
        if (unhealthy[0] > unhealthy[1]) (unhealthy[0], unhealthy[1]) = (unhealthy[1], unhealthy[0]);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(unhealthy[0], 1090, 1000, false);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(unhealthy[1], 1090, 1000, false);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(dave, 1090, 0, true);
        _approve(1090, unhealthy, _one(dave));
        vm.assertEq(reg.penalties(alice), 1);
        vm.assertEq(reg.penalties(bob), 1);
        vm.assertEq(reg.penalties(dave), 1);
        vm.assertEq(reg.penalties(performer), 0);
        vm.assertEq(reg.getLivelinessScore(alice), 0);
    }

    function test_Rejected_PenalizesPerformerWithoutDecodingData() public {
        _reg(performer);
        vm.roll(1100);
        IAttestationCenter.TaskInfo memory t = _task(hex"deadbeef"); // not even decodable
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(performer, 1090, 1000, true);
        mac.callAfter(reg, t, false, 1090);
        vm.assertEq(reg.penalties(performer), 1);
        vm.assertEq(reg.penaltyPoints(performer), 1000);
    }

    /// @dev A reject's reference block is the epoch block its performer signed: one that is no epoch block is
    ///      refused, and the penalty is keyed to it.
    function test_Rejected_RefusedOffAnEpochBlockAndKeyedToIt() public {
        vm.roll(1100);
        IAttestationCenter.TaskInfo memory t = _task("");
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.NotAnEpochBlock.selector, 1083, 10));
        mac.callAfter(reg, t, false, 1083);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(performer, 1080, 0, true);
        mac.callAfter(reg, t, false, 1080);
        (ILivelinessRegistry.Registration memory r,) = reg.registrations(performer);
        vm.assertEq(r.lastPenaltyEpoch, 1081);
        // another rejected task of the same epoch: no second penalty
        mac.callAfter(reg, _task("x"), false, 1080);
        vm.assertEq(reg.penalties(performer), 1);
    }

    function test_NoDoublePenaltyPerEpoch() public {
        _reg(alice);
        _reg(performer);
        vm.roll(1100);
        _approve(1090, _one(alice), _none());
        // another task for the same epoch naming alice again, and alice both unhealthy and missed
        _approve(1090, _one(alice), _one(alice));
        vm.assertEq(reg.penalties(alice), 1);
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        // the performer: missed performer in an approved task, then performer of a rejected task, same epoch
        _approve(1090, _none(), _one(performer));
        mac.callAfter(reg, _task(""), false, 1090);
        vm.assertEq(reg.penalties(performer), 1);
        // an older epoch arriving after a newer one is skipped too (one slot keeps the latest epoch)
        _approve(1080, _one(alice), _none());
        vm.assertEq(reg.penalties(alice), 1);
        // the next epoch penalizes again
        vm.roll(1110);
        _approve(1100, _one(alice), _none());
        vm.assertEq(reg.penalties(alice), 2);
    }

    // =============================================================================================
    // afterTaskSubmission checks
    // =============================================================================================

    function test_After_NotAnEpochBlock() public {
        vm.roll(1100);
        _expectApproveRevert(
            1095,
            _data(1095, _none(), _none()),
            abi.encodeWithSelector(ILivelinessRegistry.NotAnEpochBlock.selector, 1095, 10)
        );
    }

    function test_After_ReferenceBlockMismatch() public {
        vm.roll(1100);
        _expectApproveRevert(
            1091,
            _data(1090, _none(), _none()),
            abi.encodeWithSelector(ILivelinessRegistry.ReferenceBlockMismatch.selector, 1091, 1090)
        );
    }

    function test_After_BlockHashMismatch() public {
        vm.roll(1100);
        bytes32 wrong = keccak256("not the hash");
        bytes memory data = abi.encode(uint256(1090), wrong, _none(), _none());
        _expectApproveRevert(
            1090,
            data,
            abi.encodeWithSelector(ILivelinessRegistry.EpochBlockHashMismatch.selector, 1090, blockhash(1090), wrong)
        );
        // 256 blocks later the hash is still checked ...
        vm.roll(1090 + 256);
        _expectApproveRevert(
            1090,
            data,
            abi.encodeWithSelector(ILivelinessRegistry.EpochBlockHashMismatch.selector, 1090, blockhash(1090), wrong)
        );
        // ... but once the chain no longer has it, it cannot be
        vm.roll(1090 + 257);
        mac.callAfter(reg, _task(data), true, 1090);
    }

    function test_After_UnsortedOrDuplicateLists() public {
        vm.roll(1100);
        address[] memory desc = _two(address(2), address(1));
        address[] memory dup = _two(address(1), address(1));
        _expectApproveRevert(
            1090,
            _data(1090, desc, _none()),
            abi.encodeWithSelector(ILivelinessRegistry.UnhealthyNotStrictlyAscending.selector, 1)
        );
        _expectApproveRevert(
            1090,
            _data(1090, dup, _none()),
            abi.encodeWithSelector(ILivelinessRegistry.UnhealthyNotStrictlyAscending.selector, 1)
        );
        _expectApproveRevert(
            1090,
            _data(1090, _none(), desc),
            abi.encodeWithSelector(ILivelinessRegistry.MissedPerformersNotStrictlyAscending.selector, 1)
        );
        _expectApproveRevert(
            1090,
            _data(1090, _none(), dup),
            abi.encodeWithSelector(ILivelinessRegistry.MissedPerformersNotStrictlyAscending.selector, 1)
        );
    }

    function _ascending(uint256 n) internal pure returns (address[] memory xs) {
        xs = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            xs[i] = address(uint160(0x1000 + i));
        }
    }

    function test_After_ListsTooLong() public {
        vm.roll(1100);
        _expectApproveRevert(
            1090,
            _data(1090, _ascending(9), _none()),
            abi.encodeWithSelector(ILivelinessRegistry.TooManyUnhealthy.selector, 9, 8)
        );
        _expectApproveRevert(
            1090,
            _data(1090, _none(), _ascending(9)),
            abi.encodeWithSelector(ILivelinessRegistry.TooManyMissedPerformers.selector, 9, 8)
        );
        _approve(1090, _ascending(8), _ascending(8));
        vm.assertEq(reg.penalties(address(0x1007)), 1);
    }

    function test_Hooks_OnlyAttestationCenter() public {
        IAttestationCenter.TaskInfo memory t = _task(_data(990, _none(), _none()));
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.OnlyAttestationCenter.selector, address(this)));
        reg.afterTaskSubmission(t, true, "", [uint256(0), 0], new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.OnlyAttestationCenter.selector, address(this)));
        reg.beforeTaskSubmission(t, true, "", [uint256(0), 0], new uint256[](0));
        mac.callBefore(reg, t); // the AttestationCenter may
    }

    // =============================================================================================
    // Pagination
    // =============================================================================================

    function test_Pagination_AndSwapAndPop() public {
        _reg(alice);
        _reg(bob);
        _reg(carol);
        _reg(dave);
        (address[] memory a, string[] memory e) = reg.getRegisteredOperators(0, 10);
        vm.assertEq(a.length, 4);
        vm.assertEq(e.length, 4);
        vm.assertEq(a[0], alice);
        vm.assertEq(a[3], dave);
        vm.assertEq(e[2], "http://node.example.org:8545/health");
        (a,) = reg.getRegisteredOperators(1, 2);
        vm.assertEq(a.length, 2);
        vm.assertEq(a[0], bob);
        vm.assertEq(a[1], carol);
        (a,) = reg.getRegisteredOperators(3, type(uint256).max);
        vm.assertEq(a.length, 1);
        vm.assertEq(a[0], dave);
        (a, e) = reg.getRegisteredOperators(4, 5);
        vm.assertEq(a.length, 0);
        vm.assertEq(e.length, 0);
        (a,) = reg.getRegisteredOperators(type(uint256).max, type(uint256).max);
        vm.assertEq(a.length, 0);
        (a,) = reg.getRegisteredOperators(0, 0);
        vm.assertEq(a.length, 0);

        // remove bob: dave moves into position 2
        mac.setOperator(bob, false);
        vm.prank(bob);
        reg.unregister();
        (a,) = reg.getRegisteredOperators(0, 10);
        vm.assertEq(a.length, 3);
        vm.assertEq(a[0], alice);
        vm.assertEq(a[1], dave);
        vm.assertEq(a[2], carol);
        (ILivelinessRegistry.Registration memory r,) = reg.registrations(dave);
        vm.assertEq(r.index, 2);
        // remove the last one
        mac.setOperator(carol, false);
        vm.prank(carol);
        reg.unregister();
        (a,) = reg.getRegisteredOperators(0, 10);
        vm.assertEq(a.length, 2);
        vm.assertEq(a[1], dave);
        // remove the first one
        mac.setOperator(alice, false);
        vm.prank(alice);
        reg.unregister();
        (a,) = reg.getRegisteredOperators(0, 10);
        vm.assertEq(a.length, 1);
        vm.assertEq(a[0], dave);
        (r,) = reg.registrations(dave);
        vm.assertEq(r.index, 1);
        // and back in at the end
        mac.setOperator(bob, true);
        _reg(bob);
        (a,) = reg.getRegisteredOperators(0, 10);
        vm.assertEq(a.length, 2);
        vm.assertEq(a[1], bob);
        vm.assertEq(reg.registeredOperatorsCount(), 2);
    }
}

/// @dev The registry behind a real AttestationCenter: BLS-certified tasks drive the penalties.
contract LivelinessRegistryIntegrationTest is Fixture {
    function setUp() public {
        vm.roll(100);
        _deploy();
        _addOperators(4, 100);
        for (uint256 i = 0; i < 4; ++i) {
            _registerEndpoint(i);
        }
        vm.roll(121);
    }

    function test_ApprovedTaskPenalizesOnceAcrossResubmissions() public {
        address victim = ops[2].addr;
        vm.assertEq(reg.getLivelinessScore(victim), 21);
        _submitEpoch(120, _addrs(victim), _noAddrs(), 0);
        vm.assertEq(reg.penalties(victim), 1);
        vm.assertEq(reg.getLivelinessScore(victim), 0);
        // another (different) certified task for the same epoch by the next performer
        _submitEpoch(120, _addrs(victim), _addrs(ops[0].addr), 1);
        vm.assertEq(reg.penalties(victim), 1);
        vm.assertEq(reg.penalties(ops[0].addr), 1); // missed performer
        vm.roll(1200);
        vm.assertEq(reg.getLivelinessScore(victim), 1100 - 1000);
    }

    function test_RejectedTaskPenalizesPerformer() public {
        IAttestationCenter.TaskInfo memory t = _epochTask(120, _addrs(ops[2].addr), _noAddrs(), 1);
        _submit(t, false, ops[1].ecdsaKey, _certify(t, false, 120, _none()));
        vm.assertEq(reg.penalties(ops[1].addr), 1);
        vm.assertEq(reg.penalties(ops[2].addr), 0);
    }

    function test_ApprovedTaskWithWrongEpochDataReverts() public {
        // the data names epoch 110 but the certificate's reference block is 120
        IAttestationCenter.TaskInfo memory t = _epochTask(110, _addrs(ops[2].addr), _noAddrs(), 1);
        IAttestationCenter.Attestation memory att = _certify(t, true, 120, _none());
        bytes memory sig = _perfSig(t, 120, ops[1].ecdsaKey);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.ReferenceBlockMismatch.selector, 120, 110));
        ac.submitTask(t, true, sig, att);
        vm.assertFalse(ac.submitted(_taskHash(t), 120)); // the whole submission reverted
    }

    function test_LeaveThenUnregister() public {
        vm.prank(ops[3].addr);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.StillActive.selector, ops[3].addr));
        reg.unregister();
        vm.prank(ops[3].addr);
        ac.leave();
        vm.prank(ops[3].addr);
        reg.unregister();
        vm.assertEq(reg.registeredOperatorsCount(), 3);
        vm.prank(ops[3].addr);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.OperatorNotActive.selector, ops[3].addr));
        reg.register("http://back.example");
        uint256 stranger = _addOperator(555, 0);
        vm.prank(address(0xF00));
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.NotAnOperator.selector, address(0xF00)));
        reg.register("http://x.example");
        vm.prank(ops[stranger].addr);
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.OperatorNotActive.selector, ops[stranger].addr));
        reg.register("http://x.example");
    }
}
