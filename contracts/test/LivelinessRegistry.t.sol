// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {defaultRegistryParams} from "./utils/Defaults.sol";
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

    mapping(address => uint256) private _activeSince;
    mapping(address => uint256) private _activeBlocks;

    function setOperator(address op, bool active) external {
        if (operatorsIdsByAddress[op] == 0) operatorsIdsByAddress[op] = _nextId++;
        if (active && !isActive[op]) _activeSince[op] = block.number;
        if (!active && isActive[op]) _activeBlocks[op] += block.number - _activeSince[op];
        isActive[op] = active;
    }

    /// @dev As the AttestationCenter's: blocks active over the operator's lifetime.
    function activeBlocksOf(address op) external view returns (uint256) {
        return _activeBlocks[op] + (isActive[op] ? block.number - _activeSince[op] : 0);
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
        reg = new LivelinessRegistry(address(mac), GOV, defaultRegistryParams());
        mac.setOperator(alice, true);
        mac.setOperator(bob, true);
        mac.setOperator(carol, true);
        mac.setOperator(dave, true);
        mac.setOperator(performer, true);
    }

    /// @dev A fresh registry whose C is `c` from deployment.
    function _redeployWithC(uint256 c) internal {
        ILivelinessRegistry.Params memory p = defaultRegistryParams();
        p.C = uint64(c);
        reg = new LivelinessRegistry(address(mac), GOV, p);
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
        new LivelinessRegistry(address(0), GOV, defaultRegistryParams());
        vm.expectRevert(Owned2Step.ZeroOwner.selector);
        new LivelinessRegistry(address(mac), address(0), defaultRegistryParams());
    }

    function test_Constructor_InitialParamsApplyAtOnceAndAreChecked() public {
        ILivelinessRegistry.Params memory p = defaultRegistryParams();
        p.C = 5;
        p.epochLength = 7;
        LivelinessRegistry r = new LivelinessRegistry(address(mac), GOV, p);
        vm.assertEq(r.C(), 5);
        vm.assertEq(r.epochLength(), 7);
        (, uint256 from) = r.pendingParams();
        vm.assertEq(from, 0);
        ILivelinessRegistry.Params memory d = r.defaultParams();
        vm.assertEq(keccak256(abi.encode(d)), keccak256(abi.encode(defaultRegistryParams())));
        p.C = 0;
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("C"), 0));
        new LivelinessRegistry(address(mac), GOV, p);
        p.C = 1;
        p.healthTimeoutMs = 60_001;
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, bytes32("healthTimeoutMs"), 60_001)
        );
        new LivelinessRegistry(address(mac), GOV, p);
    }

    function test_Params_ChangesApplyOnlyAfterTheDelay() public {
        uint256 from = block.number + 1000;
        vm.assertEq(reg.PARAMETER_CHANGE_DELAY(), 1000);
        vm.startPrank(GOV);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("C", 7, from);
        reg.setC(7);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("epochLength", 20, from);
        reg.setEpochLength(20);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("sampleSize", 32, from);
        reg.setSampleSize(32);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("performerTimeoutBlocks", 3, from);
        reg.setPerformerTimeoutBlocks(3);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("taskValidityBlocks", 60, from);
        reg.setTaskValidityBlocks(60);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("confirmationDepth", 0, from);
        reg.setConfirmationDepth(0);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.ParameterChangeScheduled("healthTimeoutMs", 1500, from);
        reg.setHealthTimeoutMs(1500);
        vm.stopPrank();

        // Nothing changes before the announced block.
        vm.roll(from - 1);
        vm.assertEq(keccak256(abi.encode(reg.params())), keccak256(abi.encode(defaultRegistryParams())));
        vm.assertEq(reg.C(), 1000);
        (ILivelinessRegistry.Params memory pending, uint256 at) = reg.pendingParams();
        vm.assertEq(at, from);
        vm.assertEq(pending.C, 7);
        vm.assertEq(pending.epochLength, 20);

        // Everything applies from it.
        vm.roll(from);
        ILivelinessRegistry.Params memory p = reg.params();
        vm.assertEq(p.C, 7);
        vm.assertEq(p.epochLength, 20);
        vm.assertEq(p.sampleSize, 32);
        vm.assertEq(p.performerTimeoutBlocks, 3);
        vm.assertEq(p.taskValidityBlocks, 60);
        vm.assertEq(p.confirmationDepth, 0);
        vm.assertEq(p.healthTimeoutMs, 1500);
        vm.assertEq(reg.C(), 7);
        vm.assertEq(reg.epochLength(), 20);
        vm.assertEq(reg.sampleSize(), 32);
        vm.assertEq(reg.performerTimeoutBlocks(), 3);
        vm.assertEq(reg.taskValidityBlocks(), 60);
        vm.assertEq(reg.confirmationDepth(), 0);
        vm.assertEq(reg.healthTimeoutMs(), 1500);
        (, at) = reg.pendingParams();
        vm.assertEq(at, 0);
    }

    function test_Params_LaterChangeKeepsAppliedOnesAndRestartsTheDelay() public {
        vm.prank(GOV);
        reg.setC(7);
        vm.roll(block.number + 1000); // C = 7 in force, not yet folded in
        vm.prank(GOV);
        reg.setSampleSize(3);
        vm.assertEq(reg.C(), 7, "an applied change stays applied");
        vm.assertEq(reg.sampleSize(), 8);
        vm.roll(block.number + 500);
        vm.prank(GOV);
        reg.setC(9); // pending: sampleSize 3 and C 9, both from now + 1000
        vm.roll(block.number + 999);
        vm.assertEq(reg.C(), 7);
        vm.assertEq(reg.sampleSize(), 8);
        vm.roll(block.number + 1);
        vm.assertEq(reg.C(), 9);
        vm.assertEq(reg.sampleSize(), 3);
    }

    function test_Params_PenaltyUsesCInForceWhenItLands() public {
        _reg(alice);
        vm.prank(GOV);
        reg.setC(7);
        vm.roll(1010);
        _approve(1000, _one(alice), _none());
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        vm.roll(2000);
        _approve(1990, _one(alice), _none());
        vm.assertEq(reg.penaltyPoints(alice), 1007);
    }

    function test_Params_Bounds() public {
        vm.startPrank(GOV);
        _bounds("C", reg.setC, 1, 1_000_000);
        _bounds("epochLength", reg.setEpochLength, 1, 100_000);
        _bounds("sampleSize", reg.setSampleSize, 1, 256);
        _bounds("performerTimeoutBlocks", reg.setPerformerTimeoutBlocks, 1, 100_000);
        _bounds("taskValidityBlocks", reg.setTaskValidityBlocks, 1, 1_000_000);
        _bounds("confirmationDepth", reg.setConfirmationDepth, 0, 1000);
        _bounds("healthTimeoutMs", reg.setHealthTimeoutMs, 1, 60_000);
        vm.stopPrank();
    }

    function _bounds(bytes32 name, function(uint256) external setter, uint256 min, uint256 max) internal {
        if (min > 0) {
            vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, name, min - 1));
            setter(min - 1);
        }
        vm.expectRevert(abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, name, max + 1));
        setter(max + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.InvalidParameter.selector, name, uint256(type(uint64).max) + 1)
        );
        setter(uint256(type(uint64).max) + 1);
        setter(min);
        setter(max);
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
        vm.assertEq(r.activeBlocksAtRegistration, 0); // the mock made alice active at this block
        vm.assertEq(r.servedBlocks, 0);
        vm.assertEq(r.index, 1);
        vm.assertEq(reg.penaltyPoints(alice), 0);
        vm.assertEq(reg.penalties(alice), 0);
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
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        vm.assertEq(reg.servedBlocks(alice), 0, "it left at block 1000, the block it registered in");
        (ILivelinessRegistry.Registration memory r,) = reg.registrations(alice);
        vm.assertEq(r.registeredAtBlock, 0);
        vm.assertEq(r.index, 0);
        vm.assertEq(reg.penaltyRecordOf(alice).newestEpochBlock, 1001);
    }

    function test_Reregister_KeepsPenaltyPointsAndBlocksServed() public {
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
        // Unregistering and registering again erases nothing: the score resumes where it stopped.
        vm.assertEq(reg.getLivelinessScore(alice), 1000);
        vm.assertEq(reg.penalties(alice), 1);
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        vm.assertEq(reg.servedBlocks(alice), 2000);
        vm.roll(3110);
        vm.assertEq(reg.getLivelinessScore(alice), 1010);
        _approve(3100, _one(alice), _none());
        vm.assertEq(reg.penalties(alice), 2);
        vm.assertEq(reg.getLivelinessScore(alice), 10);
    }

    function test_Reregister_CannotShedPenaltyPoints() public {
        _reg(alice);
        _approve(1000, _one(alice), _none());
        _approve(1000 - 10, _one(alice), _none()); // an older epoch lands late: counted too
        vm.roll(1500);
        vm.assertEq(reg.getLivelinessScore(alice), 0); // 500 blocks − 2000 points
        mac.setOperator(alice, false);
        vm.prank(alice);
        reg.unregister();
        mac.setOperator(alice, true);
        _reg(alice);
        vm.roll(3000);
        vm.assertEq(reg.getLivelinessScore(alice), 0, "2000 blocks served, 2000 points owed");
        vm.roll(3001);
        vm.assertEq(reg.getLivelinessScore(alice), 1);
    }

    function test_Score_StopsGrowingWhileInactive() public {
        _reg(alice);
        _reg(bob);
        vm.roll(1100);
        mac.setOperator(alice, false); // left the AVS but stays registered
        vm.roll(5000);
        vm.assertEq(reg.getLivelinessScore(alice), 100, "no score for blocks not served");
        vm.assertEq(reg.getLivelinessScore(bob), 4000);
        vm.assertTrue(reg.getLivelinessScore(bob) > reg.getLivelinessScore(alice));
        mac.setOperator(alice, true); // back (with its consent, in the AttestationCenter)
        vm.roll(5010);
        vm.assertEq(reg.getLivelinessScore(alice), 110);
        vm.assertEq(reg.servedBlocks(alice), 110);
    }

    function test_Score_NotRegisteredServesNothing() public {
        // Active in the AttestationCenter since block 999 but registered here only at 2000.
        vm.roll(2000);
        _reg(alice);
        vm.roll(2010);
        vm.assertEq(reg.getLivelinessScore(alice), 10);
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
        reg.setC(10); // from block 6000
        vm.roll(6020);
        _approve(6010, _one(bob), _none()); // C = 10
        vm.assertEq(reg.penaltyPoints(alice), 1000);
        vm.assertEq(reg.penaltyPoints(bob), 10);
        vm.assertEq(reg.getLivelinessScore(alice), 5020 - 1000);
        vm.assertEq(reg.getLivelinessScore(bob), 5020 - 10);
        _approve(6000, _one(alice), _none()); // a later epoch, new C
        vm.assertEq(reg.penaltyPoints(alice), 1010);
    }

    function test_Penalty_OneAtMaxCIsRecoverable() public {
        _redeployWithC(reg.MAX_C());
        _reg(alice);
        vm.roll(1100);
        _approve(1090, _one(alice), _none());
        vm.assertEq(reg.penaltyPoints(alice), 1_000_000);
        vm.roll(1000 + 1_000_000);
        vm.assertEq(reg.getLivelinessScore(alice), 0);
        vm.roll(1000 + 1_000_001);
        vm.assertEq(reg.getLivelinessScore(alice), 1, "MAX_C blocks of service pay one penalty back");
    }

    function test_Penalty_UnregisteredStillGetsPoints() public {
        vm.roll(1100);
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(carol, 1090, 1000, false);
        _approve(1090, _one(carol), _none());
        vm.assertEq(reg.penalties(carol), 1);
        vm.assertEq(reg.penaltyPoints(carol), 1000, "kept for when it registers");
        vm.roll(1500);
        _reg(carol);
        vm.roll(1600);
        vm.assertEq(reg.getLivelinessScore(carol), 0);
        vm.roll(2501);
        vm.assertEq(reg.getLivelinessScore(carol), 1);
    }

    function testFuzz_Score(uint256 age, uint8 nPenalties, uint64 c) public {
        age = bound(age, 0, 10_000_000);
        nPenalties = uint8(bound(nPenalties, 0, 20));
        c = uint64(bound(c, 1, 1_000_000));
        _redeployWithC(c);
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
        emit ILivelinessRegistry.OperatorPenalized(dave, 1090, 1000, true);
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
        emit ILivelinessRegistry.OperatorPenalized(performer, 1080, 1000, true);
        mac.callAfter(reg, t, false, 1080);
        vm.assertEq(reg.penaltyRecordOf(performer).newestEpochBlock, 1081);
        vm.assertTrue(reg.isPenalized(performer, 1080));
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
        // the next epoch penalizes again, once
        vm.roll(1110);
        _approve(1100, _one(alice), _none());
        _approve(1100, _one(alice), _none());
        vm.assertEq(reg.penalties(alice), 2);
    }

    // =============================================================================================
    // Penalty window: late penalties for older epochs land
    // =============================================================================================

    function test_LatePenalty_OlderEpochAfterNewerLands() public {
        _reg(alice);
        vm.roll(1100);
        _approve(1090, _one(alice), _none());
        // An older epoch's task, submitted after the newer one (anyone can order submissions): it counts.
        vm.expectEmit(address(reg));
        emit ILivelinessRegistry.OperatorPenalized(alice, 1080, 1000, false);
        _approve(1080, _one(alice), _none());
        vm.assertEq(reg.penalties(alice), 2);
        vm.assertEq(reg.penaltyPoints(alice), 2000);
        // ...but still only once per epoch, whichever order the duplicates come in.
        _approve(1080, _one(alice), _none());
        _approve(1090, _one(alice), _none());
        mac.callAfter(reg, _task(""), false, 1080); // a rejected task alice performed, epoch 1080
        vm.assertEq(reg.penalties(alice), 2);
        vm.assertTrue(reg.isPenalized(alice, 1080));
        vm.assertTrue(reg.isPenalized(alice, 1090));
        vm.assertFalse(reg.isPenalized(alice, 1070));
        vm.assertFalse(reg.isPenalized(alice, 1100));
        ILivelinessRegistry.PenaltyRecord memory r = reg.penaltyRecordOf(alice);
        vm.assertEq(r.newestEpochBlock, 1091);
        vm.assertEq(r.window, 3); // bits 0 (1090) and 1 (1080)
    }

    function test_LatePenalty_OrderDoesNotMatter() public {
        // The same three penalties in two orders give the same record.
        _reg(alice);
        _reg(bob);
        vm.roll(1400);
        _approve(1390, _one(alice), _none());
        _approve(1100, _one(alice), _none());
        _approve(1250, _one(alice), _none());
        _approve(1100, _one(bob), _none());
        _approve(1250, _one(bob), _none());
        _approve(1390, _one(bob), _none());
        vm.assertEq(reg.penalties(alice), 3);
        vm.assertEq(reg.penalties(bob), 3);
        ILivelinessRegistry.PenaltyRecord memory a = reg.penaltyRecordOf(alice);
        ILivelinessRegistry.PenaltyRecord memory b = reg.penaltyRecordOf(bob);
        vm.assertEq(a.newestEpochBlock, b.newestEpochBlock);
        vm.assertEq(a.window, b.window);
        vm.assertEq(a.window, (1 << 0) | (1 << 14) | (1 << 29));
    }

    function test_LatePenalty_WindowBoundary() public {
        _reg(alice);
        // At block 1325 the current epoch is 1320; the window is the 32 epochs 1010 ... 1320.
        vm.roll(1325);
        vm.assertEq(reg.PENALTY_WINDOW_EPOCHS(), 32);
        _approve(1320, _one(alice), _none());
        _approve(1010, _one(alice), _none()); // the oldest epoch in the window: lands
        vm.assertEq(reg.penalties(alice), 2);
        vm.assertEq(reg.penaltyRecordOf(alice).window, (1 << 0) | (1 << 31));
        // one epoch older: refused, whoever it names
        _expectApproveRevert(
            1000,
            _data(1000, _one(bob), _none()),
            abi.encodeWithSelector(ILivelinessRegistry.EpochOutsidePenaltyWindow.selector, bob, 1000, 1010)
        );
        mac.setOperator(performer, true);
        vm.expectRevert(
            abi.encodeWithSelector(ILivelinessRegistry.EpochOutsidePenaltyWindow.selector, performer, 1000, 1010)
        );
        mac.callAfter(reg, _task(""), false, 1000);
        // a task naming nobody is not refused
        _approve(1000, _none(), _none());
        // The window slides: a new epoch penalty moves 1010 out of the bitmap and the window.
        vm.roll(1331);
        _approve(1330, _one(alice), _none());
        vm.assertEq(reg.penaltyRecordOf(alice).window, (1 << 0) | (1 << 1));
        vm.assertEq(reg.penalties(alice), 3);
    }

    function test_LatePenalty_FarNewerEpochResetsWindow() public {
        _reg(alice);
        vm.roll(1100);
        _approve(1090, _one(alice), _none());
        vm.roll(5000);
        _approve(4990, _one(alice), _none());
        vm.assertEq(reg.penaltyRecordOf(alice).window, 1);
        vm.assertEq(reg.penalties(alice), 2);
    }

    function testFuzz_LatePenalty_EachEpochOnceInAnyOrder(uint256 seed) public {
        _reg(alice);
        vm.roll(1315); // current epoch 1310: the window is 1000 ... 1310
        uint256 count;
        bool[32] memory seen;
        for (uint256 i = 0; i < 64; ++i) {
            uint256 k = uint256(keccak256(abi.encode(seed, i))) % 32;
            _approve(1000 + 10 * k, _one(alice), _none());
            if (!seen[k]) {
                seen[k] = true;
                ++count;
            }
            vm.assertEq(reg.penalties(alice), count);
        }
        for (uint256 k = 0; k < 32; ++k) {
            vm.assertEq(reg.isPenalized(alice, 1000 + 10 * k), seen[k]);
        }
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
        ac.submitTask(t, true, sig, 0, blockhash(att.referenceBlock), att);
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
