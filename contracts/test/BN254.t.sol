// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Test} from "./utils/Test.sol";
import {BN254} from "../src/libraries/BN254.sol";
import {BN254G2} from "./utils/BN254G2.sol";

/// @dev Exposes the library's internal functions as external calls.
contract BN254Harness {
    function add(uint256 ax, uint256 ay, uint256 bx, uint256 by) external view returns (uint256, uint256) {
        return BN254.add(ax, ay, bx, by);
    }

    function mul(uint256 px, uint256 py, uint256 s) external view returns (uint256, uint256) {
        return BN254.mul(px, py, s);
    }

    function hashToG1(bytes32 h) external view returns (uint256, uint256) {
        return BN254.hashToG1(h);
    }

    function pairing2(uint256 a1x, uint256 a1y, uint256[4] memory b1, uint256 a2x, uint256 a2y, uint256[4] memory b2)
        external
        view
        returns (bool, bool)
    {
        return BN254.pairing2(a1x, a1y, b1, a2x, a2y, b2);
    }
}

contract BN254Test is Test {
    BN254Harness internal h = new BN254Harness();

    function test_G2ScalarMulMatchesPairing() public view {
        uint256 sk = uint256(keccak256("sk")) % BN254.R;
        uint256[4] memory pk2 = BN254G2.mulGen(sk);
        (uint256 x, uint256 y) = BN254.mul(1, 2, sk);
        (bool ok, bool valid) = BN254.pairingWithNegG2(x, y, 1, 2, pk2);
        vm.assertTrue(ok && valid, "e(sk*g1, -g2) * e(g1, sk*g2) == 1");
        // and not for another secret
        (x, y) = BN254.mul(1, 2, sk + 1);
        (ok, valid) = BN254.pairingWithNegG2(x, y, 1, 2, pk2);
        vm.assertTrue(ok && !valid, "wrong secret fails");
    }

    function test_G2AddMatchesScalarMul() public view {
        uint256 a = uint256(keccak256("a")) % BN254.R;
        uint256 b = uint256(keccak256("b")) % BN254.R;
        uint256[4] memory sum = BN254G2.add(BN254G2.mulGen(a), BN254G2.mulGen(b));
        uint256[4] memory direct = BN254G2.mulGen(addmod(a, b, BN254.R));
        for (uint256 i = 0; i < 4; ++i) {
            vm.assertEq(sum[i], direct[i]);
        }
        // doubling through add, and p + (−p) = infinity
        uint256[4] memory dbl = BN254G2.add(BN254G2.mulGen(a), BN254G2.mulGen(a));
        uint256[4] memory twice = BN254G2.mulGen(mulmod(a, 2, BN254.R));
        for (uint256 i = 0; i < 4; ++i) {
            vm.assertEq(dbl[i], twice[i]);
        }
        uint256[4] memory zero = BN254G2.add(BN254G2.mulGen(a), BN254G2.neg(BN254G2.mulGen(a)));
        for (uint256 i = 0; i < 4; ++i) {
            vm.assertEq(zero[i], 0);
        }
        // (r − 1)·g2 = −g2
        uint256[4] memory m = BN254G2.mulGen(BN254.R - 1);
        uint256[4] memory n = BN254.negG2();
        for (uint256 i = 0; i < 4; ++i) {
            vm.assertEq(m[i], n[i]);
        }
    }

    /// @dev Vectors computed independently (Python, pow(β, (p+1)/4, p)); the Rust side pins the same ones.
    function test_HashToG1Vectors() public view {
        _vector(
            keccak256("liveliness/test-vector"),
            19025108403112487783256879618204728701866040888247546873396163872263604241722,
            8927570575181485047394383939281772750201156364615879589312654188043019742292
        );
        _vector(bytes32(0), 1, 2); // x = 0 has no root; x = 1 gives y = 4^((p+1)/4) = 2
        _vector(
            bytes32(BN254.P - 1),
            BN254.P - 1,
            17918450306617730576773466553562392805212959031101866706334976164702657599807
        );
        _vector(
            bytes32(type(uint256).max),
            6350874878119819312338956282401532409788428879151445726012394534686998597020,
            9382425333525343773979589293970912874995880615911074345993039062358358671562
        );
    }

    function _vector(bytes32 m, uint256 x, uint256 y) internal view {
        (uint256 hx, uint256 hy) = h.hashToG1(m);
        vm.assertEq(hx, x);
        vm.assertEq(hy, y);
    }

    function testFuzz_HashToG1OnCurve(bytes32 m) public view {
        (uint256 x, uint256 y) = h.hashToG1(m);
        vm.assertTrue(BN254.isOnCurve(x, y));
        // the root is exactly β^((p+1)/4)
        uint256 beta = addmod(mulmod(mulmod(x, x, BN254.P), x, BN254.P), 3, BN254.P);
        vm.assertEq(y, BN254.expMod(beta, BN254.SQRT_EXPONENT, BN254.P));
        // x is the first candidate at or after m mod p with a root (few tries in practice)
        vm.assertLt((x + BN254.P - (uint256(m) % BN254.P)) % BN254.P, 64, "tries");
    }

    function test_AddMulNeg() public view {
        (uint256 x2, uint256 y2) = h.mul(1, 2, 2);
        (uint256 ax, uint256 ay) = h.add(1, 2, 1, 2);
        vm.assertEq(x2, ax);
        vm.assertEq(y2, ay);
        (uint256 nx, uint256 ny) = BN254.neg(1, 2);
        vm.assertEq(nx, 1);
        vm.assertEq(ny, BN254.P - 2);
        (ax, ay) = h.add(1, 2, nx, ny);
        vm.assertEq(ax | ay, 0);
        (nx, ny) = BN254.neg(0, 0);
        vm.assertEq(nx | ny, 0);
        (ax, ay) = h.mul(1, 2, BN254.R);
        vm.assertEq(ax | ay, 0);
        vm.assertTrue(BN254.isOnCurve(1, 2));
        vm.assertFalse(BN254.isOnCurve(0, 0));
        vm.assertFalse(BN254.isOnCurve(1, 2 + BN254.P));
        vm.assertFalse(BN254.isOnCurve(1, 3));
    }

    function test_PrecompileFailures() public {
        vm.expectRevert(BN254.EcAddFailed.selector);
        h.add(1, 3, 1, 2);
        vm.expectRevert(BN254.EcMulFailed.selector);
        h.mul(1, 3, 5);
        (bool ok, bool valid) = h.pairing2(1, 2, [uint256(1), 2, 3, 4], 1, 2, BN254.g2());
        vm.assertFalse(ok);
        vm.assertFalse(valid);
        (ok, valid) = h.pairing2(1, 2, BN254.g2(), 1, 2, BN254.negG2());
        vm.assertTrue(ok && valid, "e(g1, g2) * e(g1, -g2) == 1");
        (ok, valid) = h.pairing2(1, 2, BN254.g2(), 1, 2, BN254.g2());
        vm.assertTrue(ok && !valid);
    }

    function test_GasOfG2Mul() public view {
        uint256 g = gasleft();
        BN254G2.mulGen(uint256(keccak256("x")) % BN254.R);
        g -= gasleft();
        vm.assertLt(g, 5_000_000, "g2 mul stays cheap enough for tests");
    }
}
