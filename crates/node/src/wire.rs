//! Wire formats (written by helper).
