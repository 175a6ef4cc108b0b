// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

// Gas stipends of the precompile calls. A precompile that rejects its input consumes all the gas it was given,
// so every call gets a fixed stipend rather than all the gas left: a bad point (a submitter's G2 key, say) then
// costs at most its stipend, not the transaction's remaining gas. Each stipend is the current price (EIP-1108,
// EIP-2565) with headroom for a repricing; file-level constants so that inline assembly elsewhere can use them.

/// @dev ecAdd (0x06); price 150.
uint256 constant BN254_ECADD_GAS = 500;
/// @dev ecMul (0x07); price 6,000.
uint256 constant BN254_ECMUL_GAS = 10_000;
/// @dev ecPairing (0x08) over two pairs; price 45,000 + 2·34,000 = 113,000.
uint256 constant BN254_PAIRING2_GAS = 150_000;
/// @dev modexp (0x05) with 32-byte operands and a 254-bit exponent; price 1,349 (EIP-2565), 4,048 under EIP-7883.
uint256 constant BN254_MODEXP_GAS = 10_000;

/// @title BN254 (alt_bn128) helpers on the EIP-196/197 precompiles.
/// @notice G1 points are `(x, y)` with the point at infinity encoded as `(0, 0)`, as the precompiles do.
///         G2 points are `uint256[4]` in the precompile's order, imaginary part first:
///         `[x.c1, x.c0, y.c1, y.c0]`.
/// @dev Every precompile call gets a fixed gas stipend (see `BN254_*_GAS`) and is checked; a failed call (for instance a point that is not on the curve)
///      reverts with the error named after the precompile, except `pairing2`, which reports failure to its
///      caller so that the caller can name the bad input.
library BN254 {
    /// @notice Base-field modulus p.
    uint256 internal constant P = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47;
    /// @notice Scalar-field modulus r (order of G1 and G2).
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// @dev (p + 1) / 4: since p ≡ 3 (mod 4), beta^((p+1)/4) is a square root of beta when one exists.
    uint256 internal constant SQRT_EXPONENT = 0xc19139cb84c680a6e14116da060561765e05aa45a1c72a34f082305b61f3f52;

    /// @notice Generator of G1.
    uint256 internal constant G1_X = 1;
    uint256 internal constant G1_Y = 2;

    /// @notice Generator of G2, EIP-197 order.
    uint256 internal constant G2_X1 = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_X0 = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_Y1 = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y0 = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @notice y coordinate of −g2 (same x as g2).
    uint256 internal constant NEG_G2_Y1 = 17805874995975841540914202342111839520379459829704422454583296818431106115052;
    uint256 internal constant NEG_G2_Y0 = 13392588948715843804641432497768002650278120570034223513918757245338268106653;

    error EcAddFailed();
    error EcMulFailed();
    error ModExpFailed();

    /// @notice a + b in G1. Reverts `EcAddFailed` if either input is not a valid G1 point.
    function add(uint256 ax, uint256 ay, uint256 bx, uint256 by) internal view returns (uint256 x, uint256 y) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, ax)
            mstore(add(m, 0x20), ay)
            mstore(add(m, 0x40), bx)
            mstore(add(m, 0x60), by)
            ok := staticcall(BN254_ECADD_GAS, 0x06, m, 0x80, m, 0x40)
            x := mload(m)
            y := mload(add(m, 0x20))
        }
        if (!ok) revert EcAddFailed();
    }

    /// @notice s·p in G1. Reverts `EcMulFailed` if p is not a valid G1 point.
    function mul(uint256 px, uint256 py, uint256 s) internal view returns (uint256 x, uint256 y) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, px)
            mstore(add(m, 0x20), py)
            mstore(add(m, 0x40), s)
            ok := staticcall(BN254_ECMUL_GAS, 0x07, m, 0x60, m, 0x40)
            x := mload(m)
            y := mload(add(m, 0x20))
        }
        if (!ok) revert EcMulFailed();
    }

    /// @notice −p in G1 (the point at infinity stays itself). Expects coordinates below p.
    function neg(uint256 x, uint256 y) internal pure returns (uint256, uint256) {
        if (y == 0) return (x, 0);
        return (x, P - y);
    }

    /// @notice True iff (x, y) is an affine point of y² = x³ + 3 with both coordinates below p.
    ///         The point at infinity (0, 0) is NOT on the curve by this definition.
    function isOnCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x >= P || y >= P) return false;
        return mulmod(y, y, P) == addmod(mulmod(mulmod(x, x, P), x, P), 3, P);
    }

    /// @notice The pairing check e(a1, b1) · e(a2, b2) == 1.
    /// @return success false when the precompile rejected an input (a coordinate ≥ p, a point off its
    ///         curve or, for G2, outside the prime-order subgroup).
    /// @return valid the result of the check (false when `success` is false).
    function pairing2(uint256 a1x, uint256 a1y, uint256[4] memory b1, uint256 a2x, uint256 a2y, uint256[4] memory b2)
        internal
        view
        returns (bool success, bool valid)
    {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, a1x)
            mstore(add(m, 0x20), a1y)
            mstore(add(m, 0x40), mload(b1))
            mstore(add(m, 0x60), mload(add(b1, 0x20)))
            mstore(add(m, 0x80), mload(add(b1, 0x40)))
            mstore(add(m, 0xa0), mload(add(b1, 0x60)))
            mstore(add(m, 0xc0), a2x)
            mstore(add(m, 0xe0), a2y)
            mstore(add(m, 0x100), mload(b2))
            mstore(add(m, 0x120), mload(add(b2, 0x20)))
            mstore(add(m, 0x140), mload(add(b2, 0x40)))
            mstore(add(m, 0x160), mload(add(b2, 0x60)))
            success := staticcall(BN254_PAIRING2_GAS, 0x08, m, 0x180, m, 0x20)
            valid := and(success, eq(mload(m), 1))
        }
    }

    /// @notice e(a1, −g2) · e(a2, b2) == 1, the shape of every BLS check here.
    function pairingWithNegG2(uint256 a1x, uint256 a1y, uint256 a2x, uint256 a2y, uint256[4] memory b2)
        internal
        view
        returns (bool success, bool valid)
    {
        return pairing2(a1x, a1y, negG2(), a2x, a2y, b2);
    }

    /// @notice The G2 generator, EIP-197 order.
    function g2() internal pure returns (uint256[4] memory) {
        return [G2_X1, G2_X0, G2_Y1, G2_Y0];
    }

    /// @notice −g2, EIP-197 order.
    function negG2() internal pure returns (uint256[4] memory) {
        return [G2_X1, G2_X0, NEG_G2_Y1, NEG_G2_Y0];
    }

    /// @notice base^exponent mod modulus through the modexp precompile (0x05), 32-byte operands.
    function expMod(uint256 base, uint256 exponent, uint256 modulus) internal view returns (uint256 result) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, 0x20)
            mstore(add(m, 0x20), 0x20)
            mstore(add(m, 0x40), 0x20)
            mstore(add(m, 0x60), base)
            mstore(add(m, 0x80), exponent)
            mstore(add(m, 0xa0), modulus)
            ok := staticcall(BN254_MODEXP_GAS, 0x05, m, 0xc0, m, 0x20)
            result := mload(m)
        }
        if (!ok) revert ModExpFailed();
    }

    /// @notice Hash to G1 by try-and-increment, identical to EigenLayer's `BN254.hashToG1`:
    ///         x = h mod p; loop { β = x³ + 3; y = β^((p+1)/4); if y² == β return (x, y); x = x + 1 }.
    ///         y is exactly that power (not the other square root), so off-chain code can reproduce it.
    function hashToG1(bytes32 h) internal view returns (uint256 x, uint256 y) {
        x = uint256(h) % P;
        while (true) {
            uint256 beta = addmod(mulmod(mulmod(x, x, P), x, P), 3, P);
            y = expMod(beta, SQRT_EXPONENT, P);
            if (mulmod(y, y, P) == beta) return (x, y);
            x = addmod(x, 1, P);
        }
    }
}
