// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "../../src/libraries/BN254.sol";

/// @dev Test-only G2 arithmetic on BN254 (there is no G2 precompile): Fp2 = Fp[i]/(i² + 1), the twist
///      y² = x³ + 3/(9 + i). Jacobian coordinates, double-and-add scalar multiplication, inversion through the
///      modexp precompile. Affine points use the EIP-197 order `[x.c1, x.c0, y.c1, y.c0]`; `[0,0,0,0]` is
///      the point at infinity. Jacobian points are `uint256[6] = [x0, x1, y0, y1, z0, z1]` (c0 first), z = 0
///      at infinity. Functions work in place on a few fixed buffers so that long loops do not grow memory.
library BN254G2 {
    uint256 internal constant P = BN254.P;

    // ---------------------------------------------------------------- Fp2
    function _add(uint256 a0, uint256 a1, uint256 b0, uint256 b1) private pure returns (uint256, uint256) {
        return (addmod(a0, b0, P), addmod(a1, b1, P));
    }

    function _sub(uint256 a0, uint256 a1, uint256 b0, uint256 b1) private pure returns (uint256, uint256) {
        return (addmod(a0, P - b0, P), addmod(a1, P - b1, P));
    }

    function _mul(uint256 a0, uint256 a1, uint256 b0, uint256 b1) private pure returns (uint256, uint256) {
        return (addmod(mulmod(a0, b0, P), P - mulmod(a1, b1, P), P), addmod(mulmod(a0, b1, P), mulmod(a1, b0, P), P));
    }

    function _sqr(uint256 a0, uint256 a1) private pure returns (uint256, uint256) {
        // (a0 + a1 i)² = (a0 + a1)(a0 − a1) + 2 a0 a1 i
        return (mulmod(addmod(a0, a1, P), addmod(a0, P - a1, P), P), mulmod(addmod(a0, a0, P), a1, P));
    }

    function _inv(uint256 a0, uint256 a1) private view returns (uint256, uint256) {
        uint256 n = addmod(mulmod(a0, a0, P), mulmod(a1, a1, P), P);
        uint256 t = BN254.expMod(n, P - 2, P);
        return (mulmod(a0, t, P), mulmod(P - a1, t, P));
    }

    // ---------------------------------------------------------------- Jacobian group law
    function _isInf(uint256[6] memory p) private pure returns (bool) {
        return p[4] == 0 && p[5] == 0;
    }

    /// @dev p = 2p (dbl-2009-l, a = 0).
    function _double(uint256[6] memory p) private pure {
        if (_isInf(p)) return;
        (uint256 a0, uint256 a1) = _sqr(p[0], p[1]); // A = X²
        (uint256 b0, uint256 b1) = _sqr(p[2], p[3]); // B = Y²
        (uint256 c0, uint256 c1) = _sqr(b0, b1); // C = B²
        (uint256 d0, uint256 d1) = _add(p[0], p[1], b0, b1);
        (d0, d1) = _sqr(d0, d1);
        (d0, d1) = _sub(d0, d1, a0, a1);
        (d0, d1) = _sub(d0, d1, c0, c1);
        (d0, d1) = _add(d0, d1, d0, d1); // D = 2((X + B)² − A − C)
        (uint256 e0, uint256 e1) = (mulmod(a0, 3, P), mulmod(a1, 3, P)); // E = 3A
        (b0, b1) = _mul(p[2], p[3], p[4], p[5]);
        (p[4], p[5]) = _add(b0, b1, b0, b1); // Z3 = 2YZ
        (a0, a1) = _sqr(e0, e1); // F = E²
        (a0, a1) = _sub(a0, a1, addmod(d0, d0, P), addmod(d1, d1, P)); // X3 = F − 2D
        (p[0], p[1]) = (a0, a1);
        (d0, d1) = _sub(d0, d1, a0, a1);
        (d0, d1) = _mul(e0, e1, d0, d1);
        (p[2], p[3]) = _sub(d0, d1, mulmod(c0, 8, P), mulmod(c1, 8, P)); // Y3 = E(D − X3) − 8C
    }

    /// @dev p = p + q with q affine (x0, x1, y0, y1), not infinity (madd-2007-bl). `t` is scratch.
    function _maddAffine(uint256[6] memory p, uint256[4] memory q, uint256[12] memory t) private pure {
        if (_isInf(p)) {
            (p[0], p[1], p[2], p[3], p[4], p[5]) = (q[0], q[1], q[2], q[3], 1, 0);
            return;
        }
        (t[0], t[1]) = _sqr(p[4], p[5]); // Z1Z1
        (t[2], t[3]) = _mul(q[0], q[1], t[0], t[1]); // U2
        (t[4], t[5]) = _mul(p[4], p[5], t[0], t[1]);
        (t[4], t[5]) = _mul(q[2], q[3], t[4], t[5]); // S2
        (t[2], t[3]) = _sub(t[2], t[3], p[0], p[1]); // H = U2 − X1
        (t[4], t[5]) = _sub(t[4], t[5], p[2], p[3]); // S2 − Y1
        if (t[2] == 0 && t[3] == 0) {
            if (t[4] == 0 && t[5] == 0) {
                _double(p); // p == q
            } else {
                (p[0], p[1], p[2], p[3], p[4], p[5]) = (1, 0, 1, 0, 0, 0); // p == −q
            }
            return;
        }
        (t[4], t[5]) = _add(t[4], t[5], t[4], t[5]); // r = 2(S2 − Y1)
        (t[6], t[7]) = _sqr(t[2], t[3]); // HH
        (t[8], t[9]) = _add(t[6], t[7], t[6], t[7]);
        (t[8], t[9]) = _add(t[8], t[9], t[8], t[9]); // I = 4HH
        (t[10], t[11]) = _mul(t[2], t[3], t[8], t[9]); // J = H·I
        (t[8], t[9]) = _mul(p[0], p[1], t[8], t[9]); // V = X1·I
        // Z3 = (Z1 + H)² − Z1Z1 − HH
        (uint256 z0, uint256 z1) = _add(p[4], p[5], t[2], t[3]);
        (z0, z1) = _sqr(z0, z1);
        (z0, z1) = _sub(z0, z1, t[0], t[1]);
        (p[4], p[5]) = _sub(z0, z1, t[6], t[7]);
        // X3 = r² − J − 2V
        (uint256 x0, uint256 x1) = _sqr(t[4], t[5]);
        (x0, x1) = _sub(x0, x1, t[10], t[11]);
        (x0, x1) = _sub(x0, x1, addmod(t[8], t[8], P), addmod(t[9], t[9], P));
        // Y3 = r(V − X3) − 2·Y1·J
        (uint256 y0, uint256 y1) = _sub(t[8], t[9], x0, x1);
        (y0, y1) = _mul(t[4], t[5], y0, y1);
        (z0, z1) = _mul(p[2], p[3], t[10], t[11]);
        (p[2], p[3]) = _sub(y0, y1, addmod(z0, z0, P), addmod(z1, z1, P));
        (p[0], p[1]) = (x0, x1);
    }

    function _toAffine(uint256[6] memory p) private view returns (uint256[4] memory out) {
        if (_isInf(p)) return out;
        (uint256 i0, uint256 i1) = _inv(p[4], p[5]);
        (uint256 i20, uint256 i21) = _sqr(i0, i1);
        (uint256 x0, uint256 x1) = _mul(p[0], p[1], i20, i21);
        (i0, i1) = _mul(i20, i21, i0, i1);
        (uint256 y0, uint256 y1) = _mul(p[2], p[3], i0, i1);
        out = [x1, x0, y1, y0];
    }

    // ---------------------------------------------------------------- public API (EIP-197 order)

    /// @notice The generator g2.
    function generator() internal pure returns (uint256[4] memory) {
        return BN254.g2();
    }

    /// @notice s·q for an affine G2 point q (EIP-197 order).
    function mul(uint256[4] memory q, uint256 s) internal view returns (uint256[4] memory) {
        s %= BN254.R;
        uint256[4] memory qa = [q[1], q[0], q[3], q[2]]; // c0 first
        uint256[6] memory acc; // infinity
        uint256[12] memory t;
        if (s == 0 || (q[0] | q[1] | q[2] | q[3]) == 0) return [uint256(0), 0, 0, 0];
        uint256 bit = 1 << 255;
        while (s & bit == 0) bit >>= 1;
        for (; bit != 0; bit >>= 1) {
            _double(acc);
            if (s & bit != 0) _maddAffine(acc, qa, t);
        }
        return _toAffine(acc);
    }

    /// @notice s·g2.
    function mulGen(uint256 s) internal view returns (uint256[4] memory) {
        return mul(BN254.g2(), s);
    }

    /// @notice a + b for affine G2 points (EIP-197 order).
    function add(uint256[4] memory a, uint256[4] memory b) internal view returns (uint256[4] memory) {
        if ((a[0] | a[1] | a[2] | a[3]) == 0) return b;
        if ((b[0] | b[1] | b[2] | b[3]) == 0) return a;
        uint256[6] memory acc = [a[1], a[0], a[3], a[2], 1, 0];
        uint256[4] memory qb = [b[1], b[0], b[3], b[2]];
        uint256[12] memory t;
        _maddAffine(acc, qb, t);
        return _toAffine(acc);
    }

    /// @notice −a (EIP-197 order).
    function neg(uint256[4] memory a) internal pure returns (uint256[4] memory) {
        if ((a[0] | a[1] | a[2] | a[3]) == 0) return a;
        return [a[0], a[1], (P - a[2]) % P, (P - a[3]) % P];
    }
}
