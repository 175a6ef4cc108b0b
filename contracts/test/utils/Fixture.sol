// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {defaultRegistryParams} from "./Defaults.sol";
import {Test} from "./Test.sol";
import {BN254} from "../../src/libraries/BN254.sol";
import {BN254G2} from "./BN254G2.sol";
import {AttestationCenter} from "../../src/AttestationCenter.sol";
import {LivelinessRegistry} from "../../src/LivelinessRegistry.sol";
import {IAttestationCenter} from "../../src/interfaces/IAttestationCenter.sol";
import {ILivelinessRegistry} from "../../src/interfaces/ILivelinessRegistry.sol";

/// @dev Exposes internals of the AttestationCenter for tests and the gas benchmark.
contract AttestationCenterHarness is AttestationCenter {
    constructor(address owner_, uint32 maxTaskAge_, address avsLogic_)
        AttestationCenter(owner_, maxTaskAge_, avsLogic_)
    {}

    /// @dev The BLS part of `submitTask` (aggregate-key lookup, non-signers, hash to G1, pairing), with its gas.
    function verifyAttestationGas(bytes32 vh, Attestation calldata att)
        external
        view
        returns (uint256 signedPower, uint256 totalPower, uint256 gasUsed)
    {
        uint256 g = gasleft();
        (signedPower, totalPower) = _verifyAttestation(vh, att);
        gasUsed = g - gasleft();
    }

    function hashToG1Hinted(bytes32 h, uint256[] calldata hint) external pure returns (uint256, uint256) {
        return _hashToG1Hinted(h, hint);
    }

    /// @dev Base slots of the histories and operator records, and the offsets the assembly hard-codes.
    function layout()
        external
        pure
        returns (uint256 apkSlot, uint256 operatorsSlot, uint256 powerSlot, uint256 apkMeta, uint256 pkG1Offset)
    {
        assembly {
            apkSlot := _apkHistory.slot
            operatorsSlot := _operators.slot
            powerSlot := _powerHistory.slot
        }
        return (apkSlot, operatorsSlot, powerSlot, APK_ENTRY_META_SLOT, OPERATOR_PK_G1_SLOT);
    }

    function entryCovers(uint256 word, uint256 b) external pure returns (bool) {
        return _entryCovers(word, b);
    }

    function meetsThreshold(uint256 signedPower, uint256 totalPower) external pure returns (bool) {
        return _meetsThreshold(signedPower, totalPower);
    }
}

/// @dev Deploys the contracts, makes operators with real keys, and builds certificates.
abstract contract Fixture is Test {
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    address internal constant GOV = address(0x60F);
    uint32 internal constant MAX_TASK_AGE = 100;

    AttestationCenterHarness internal ac;
    LivelinessRegistry internal reg;

    struct Op {
        uint256 ecdsaKey;
        address addr;
        uint256 sk;
        uint256[2] pkG1;
        uint256[4] pkG2;
        uint256 id;
    }

    /// @dev ops[i] has operator id i + 1 when every operator was added through `_addOperator`.
    Op[] internal ops;
    uint256 internal taskNonce;

    function _deploy() internal {
        _deployWith(defaultRegistryParams());
    }

    function _deployWith(ILivelinessRegistry.Params memory params) internal {
        ac = new AttestationCenterHarness(GOV, MAX_TASK_AGE, address(0));
        reg = new LivelinessRegistry(address(ac), GOV, params);
        vm.prank(GOV);
        ac.setAvsLogic(address(reg));
    }

    // ------------------------------------------------------------------ keys and operators

    function _keys(uint256 seed) internal view returns (Op memory o) {
        o.ecdsaKey = uint256(keccak256(abi.encode("ecdsa", seed))) % (SECP256K1_N - 1) + 1;
        o.addr = vm.addr(o.ecdsaKey);
        o.sk = uint256(keccak256(abi.encode("bls", seed))) % (BN254.R - 1) + 1;
        (o.pkG1[0], o.pkG1[1]) = BN254.mul(BN254.G1_X, BN254.G1_Y, o.sk);
        o.pkG2 = BN254G2.mulGen(o.sk);
    }

    function _pop(address center, address operator, uint256 sk) internal view returns (uint256[2] memory pop) {
        (uint256 hx, uint256 hy) = BN254.hashToG1(AttestationCenter(center).popMessage(operator));
        (pop[0], pop[1]) = BN254.mul(hx, hy, sk);
    }

    /// @dev Registers a new operator made from `seed` and gives it `power`; returns its index in `ops`.
    function _addOperator(uint256 seed, uint96 power) internal returns (uint256 index) {
        Op memory o = _keys(seed);
        uint256[2] memory pop = _pop(address(ac), o.addr, o.sk);
        vm.prank(o.addr);
        o.id = ac.registerOperator(o.pkG1, o.pkG2, pop);
        if (power != 0) {
            vm.prank(GOV);
            ac.setVotingPower(o.id, power);
        }
        ops.push(o);
        return ops.length - 1;
    }

    function _addOperators(uint256 n, uint96 power) internal {
        for (uint256 i = 0; i < n; ++i) {
            _addOperator(ops.length + 1000, power);
        }
    }

    function _setPower(uint256 index, uint96 power) internal {
        vm.prank(GOV);
        ac.setVotingPower(ops[index].id, power);
    }

    function _registerEndpoint(uint256 index) internal {
        vm.prank(ops[index].addr);
        reg.register(string.concat("http://op", vm.toString(index), ".example.org:8545/health"));
    }

    // ------------------------------------------------------------------ tasks

    function _data(uint256 epochBlock, address[] memory unhealthy, address[] memory missed)
        internal
        view
        returns (bytes memory)
    {
        return abi.encode(epochBlock, blockhash(epochBlock), unhealthy, missed);
    }

    function _task(bytes memory data, address performer) internal returns (IAttestationCenter.TaskInfo memory t) {
        t.proofOfTask =
            string.concat("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z", vm.toString(++taskNonce));
        t.data = data;
        t.taskPerformer = performer;
        t.taskDefinitionId = 1;
    }

    /// @dev A well-formed approved-or-rejected task for `epochBlock` performed by ops[performer].
    function _epochTask(uint256 epochBlock, address[] memory unhealthy, address[] memory missed, uint256 performer)
        internal
        returns (IAttestationCenter.TaskInfo memory)
    {
        return _task(_data(epochBlock, unhealthy, missed), ops[performer].addr);
    }

    function _taskHash(IAttestationCenter.TaskInfo memory t) internal pure returns (bytes32) {
        return keccak256(abi.encode(t.proofOfTask, t.data, t.taskPerformer, t.taskDefinitionId));
    }

    function _voteHash(IAttestationCenter.TaskInfo memory t, bool approve, uint32 ref) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                t.proofOfTask, t.data, t.taskPerformer, t.taskDefinitionId, address(ac), block.chainid, approve, ref
            )
        );
    }

    function _ethSigned(bytes32 digest) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
    }

    function _taskDigest(bytes32 th, uint32 epochBlock) internal view returns (bytes32) {
        return _taskDigest(th, epochBlock, 0);
    }

    /// @dev The task signing digest for `round` of the epoch at `epochBlock`, with the block's hash as the EVM
    ///      knows it now.
    function _taskDigest(bytes32 th, uint32 epochBlock, uint32 round) internal view returns (bytes32) {
        return _taskDigest(th, epochBlock, blockhash(epochBlock), round);
    }

    function _taskDigest(bytes32 th, uint32 epochBlock, bytes32 epochBlockHash, uint32 round)
        internal
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode("liveliness/task/v4", block.chainid, address(ac), th, epochBlock, epochBlockHash, round)
        );
    }

    /// @dev The performer's signature of `t` as its task of the epoch starting at `epochBlock`.
    function _perfSig(IAttestationCenter.TaskInfo memory t, uint32 epochBlock, uint256 key)
        internal
        view
        returns (bytes memory)
    {
        return _perfSig(_taskHash(t), epochBlock, 0, key);
    }

    /// @dev The performer's signature of the task `th` as its task of round `round` of the epoch starting at
    ///      `epochBlock`.
    function _perfSig(bytes32 th, uint32 epochBlock, uint32 round, uint256 key) internal view returns (bytes memory) {
        return _perfSig(th, epochBlock, blockhash(epochBlock), round, key);
    }

    /// @dev As above, for an epoch block with the hash `epochBlockHash`.
    function _perfSig(bytes32 th, uint32 epochBlock, bytes32 epochBlockHash, uint32 round, uint256 key)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, _ethSigned(_taskDigest(th, epochBlock, epochBlockHash, round)));
        return abi.encodePacked(r, s, v);
    }

    // ------------------------------------------------------------------ certificates

    function _contains(uint256[] memory xs, uint256 x) internal pure returns (bool) {
        for (uint256 i = 0; i < xs.length; ++i) {
            if (xs[i] == x) return true;
        }
        return false;
    }

    /// @dev A certificate over `t`/`approve` at `ref`, signed by every operator active at `ref` except
    ///      `nonSignerIds` (operator ids, ascending). The signers' G2 key is the sum of their pkG2.
    function _certify(IAttestationCenter.TaskInfo memory t, bool approve, uint32 ref, uint256[] memory nonSignerIds)
        internal
        view
        returns (IAttestationCenter.Attestation memory att)
    {
        uint256 skSum;
        for (uint256 i = 0; i < ops.length; ++i) {
            if (!ac.isActiveAt(ops[i].id, ref) || _contains(nonSignerIds, ops[i].id)) continue;
            skSum = addmod(skSum, ops[i].sk, BN254.R);
            att.apkG2 = BN254G2.add(att.apkG2, ops[i].pkG2);
        }
        _finish(att, t, approve, ref, nonSignerIds, skSum);
    }

    /// @dev As `_certify`, but the signers' G2 key is computed as (Σ sk)·g2 (faster for many signers).
    function _certifyFast(IAttestationCenter.TaskInfo memory t, bool approve, uint32 ref, uint256[] memory nonSignerIds)
        internal
        view
        returns (IAttestationCenter.Attestation memory att)
    {
        uint256 skSum;
        uint256 k = 0;
        for (uint256 i = 0; i < ops.length; ++i) {
            if (k < nonSignerIds.length && nonSignerIds[k] == ops[i].id) {
                ++k;
                continue;
            }
            skSum = addmod(skSum, ops[i].sk, BN254.R);
        }
        att.apkG2 = BN254G2.mulGen(skSum);
        _finish(att, t, approve, ref, nonSignerIds, skSum);
    }

    /// @dev The hash-to-G1 hint of `h` (`Attestation.h2cHint`): for each failed try a root of `−(x³ + 3)`,
    ///      then a root of `y`, where `y` is the root of `x³ + 3` that `BN254.hashToG1` takes.
    function _h2cHint(bytes32 h) internal view returns (uint256[] memory hint) {
        uint256 p = BN254.P;
        uint256 x = uint256(h) % p;
        uint256[] memory words = new uint256[](256);
        uint256 n;
        while (true) {
            uint256 beta = addmod(mulmod(mulmod(x, x, p), x, p), 3, p);
            uint256 y = BN254.expMod(beta, BN254.SQRT_EXPONENT, p);
            if (mulmod(y, y, p) == beta) {
                words[n++] = BN254.expMod(y, BN254.SQRT_EXPONENT, p);
                break;
            }
            words[n++] = BN254.expMod(p - beta, BN254.SQRT_EXPONENT, p);
            x = addmod(x, 1, p);
        }
        hint = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            hint[i] = words[i];
        }
    }

    function _finish(
        IAttestationCenter.Attestation memory att,
        IAttestationCenter.TaskInfo memory t,
        bool approve,
        uint32 ref,
        uint256[] memory nonSignerIds,
        uint256 skSum
    ) internal view {
        bytes32 vh = _voteHash(t, approve, ref);
        (uint256 hx, uint256 hy) = BN254.hashToG1(vh);
        (att.sigma[0], att.sigma[1]) = BN254.mul(hx, hy, skSum);
        att.h2cHint = _h2cHint(vh);
        att.referenceBlock = ref;
        att.apkHint = ac.apkHintAt(ref);
        uint256 performerId = ac.operatorsIdsByAddress(t.taskPerformer);
        if (performerId != 0 && ac.operatorHistoryLength(performerId) != 0) {
            att.performerHint = ac.operatorHintAt(performerId, ref);
        }
        att.nonSignerIds = nonSignerIds;
        att.nonSignerHints = new uint32[](nonSignerIds.length);
        for (uint256 i = 0; i < nonSignerIds.length; ++i) {
            att.nonSignerHints[i] = ac.operatorHintAt(nonSignerIds[i], ref);
        }
    }

    function _submit(
        IAttestationCenter.TaskInfo memory t,
        bool approve,
        uint256 performerKey,
        IAttestationCenter.Attestation memory att
    ) internal {
        ac.submitTask(t, approve, _perfSig(t, att.referenceBlock, performerKey), 0, blockhash(att.referenceBlock), att);
    }

    /// @dev Builds, signs (all active operators sign) and submits an approved task for `epochBlock` performed
    ///      by ops[performer], at the current block.
    function _submitEpoch(uint256 epochBlock, address[] memory unhealthy, address[] memory missed, uint256 performer)
        internal
        returns (IAttestationCenter.TaskInfo memory t)
    {
        t = _epochTask(epochBlock, unhealthy, missed, performer);
        IAttestationCenter.Attestation memory att = _certify(t, true, uint32(epochBlock), new uint256[](0));
        _submit(t, true, ops[performer].ecdsaKey, att);
    }

    function _none() internal pure returns (uint256[] memory) {
        return new uint256[](0);
    }

    function _addrs(address a) internal pure returns (address[] memory xs) {
        xs = new address[](1);
        xs[0] = a;
    }

    function _noAddrs() internal pure returns (address[] memory) {
        return new address[](0);
    }

    function _sorted(address[] memory xs) internal pure returns (address[] memory) {
        for (uint256 i = 1; i < xs.length; ++i) {
            for (uint256 j = i; j > 0 && xs[j - 1] > xs[j]; --j) {
                (xs[j - 1], xs[j]) = (xs[j], xs[j - 1]);
            }
        }
        return xs;
    }
}
