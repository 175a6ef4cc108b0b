//! The on-disk encoding of stored records.
//!
//! Every value starts with a one-byte format version ([`FORMAT_VERSION`]),
//! followed by the record's fields in a fixed order:
//!
//! | field            | encoding                                   |
//! | ---------------- | ------------------------------------------ |
//! | `u8`, `bool`     | one byte (`bool` is `0` or `1`)            |
//! | `u32`, `u64`     | big-endian                                 |
//! | `B256`, `Address`| the raw 32 or 20 bytes                     |
//! | bytes, string    | `u32` big-endian length, then the bytes    |
//! | `Option<T>`      | tag byte `0` (none) or `1` (some), then `T`|
//!
//! Decoding checks the version, every length and tag, UTF-8 and that no
//! bytes are left over, and reports a [`DecodeError`] instead of panicking.

use alloy_primitives::{Address, B256};

/// Version byte that prefixes every stored value.
pub(crate) const FORMAT_VERSION: u8 = 1;

/// Why a stored value could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The value is empty: not even a version byte.
    #[error("empty value")]
    Empty,
    /// The value was written in a format this build does not know.
    #[error("unknown format version {0}")]
    UnknownVersion(u8),
    /// The value ends before a field it announces.
    #[error("truncated: {field} needs {needed} bytes, {remaining} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the value.
        remaining: usize,
    },
    /// A tag byte (boolean, option, enum) has a value outside its range.
    #[error("invalid tag {tag} for {field}")]
    InvalidTag {
        /// The field being read.
        field: &'static str,
        /// The byte found.
        tag: u8,
    },
    /// A string field is not UTF-8.
    #[error("{field} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
    },
    /// Bytes are left after the last field.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
}

/// A byte field longer than `u32::MAX` cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooLong(pub(crate) usize);

/// Builds one encoded value.
#[derive(Debug)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self {
            buf: vec![FORMAT_VERSION],
        }
    }

    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn b256(&mut self, v: &B256) -> &mut Self {
        self.buf.extend_from_slice(v.as_slice());
        self
    }

    pub(crate) fn address(&mut self, v: &Address) -> &mut Self {
        self.buf.extend_from_slice(v.as_slice());
        self
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) -> Result<&mut Self, TooLong> {
        let len = u32::try_from(v.len()).map_err(|_| TooLong(v.len()))?;
        self.u32(len);
        self.buf.extend_from_slice(v);
        Ok(self)
    }

    pub(crate) fn opt_u64(&mut self, v: Option<u64>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => self.u8(1).u64(v),
        }
    }

    pub(crate) fn opt_b256(&mut self, v: Option<&B256>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => self.u8(1).b256(v),
        }
    }

    pub(crate) fn opt_str(&mut self, v: Option<&str>) -> Result<&mut Self, TooLong> {
        match v {
            None => Ok(self.u8(0)),
            Some(v) => self.u8(1).bytes(v.as_bytes()),
        }
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
}

/// Reads one encoded value, field by field.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Checks the version byte and positions the reader on the first field.
    pub(crate) fn new(value: &'a [u8]) -> Result<Self, DecodeError> {
        let (&version, rest) = value.split_first().ok_or(DecodeError::Empty)?;
        if version != FORMAT_VERSION {
            return Err(DecodeError::UnknownVersion(version));
        }
        Ok(Self { rest })
    }

    fn take(&mut self, field: &'static str, needed: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < needed {
            return Err(DecodeError::Truncated {
                field,
                needed,
                remaining: self.rest.len(),
            });
        }
        let (head, tail) = self.rest.split_at(needed);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::InvalidTag { field, tag }),
        }
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn b256(&mut self, field: &'static str) -> Result<B256, DecodeError> {
        Ok(B256::from(self.array::<32>(field)?))
    }

    pub(crate) fn address(&mut self, field: &'static str) -> Result<Address, DecodeError> {
        Ok(Address::from(self.array::<20>(field)?))
    }

    pub(crate) fn bytes(&mut self, field: &'static str) -> Result<Vec<u8>, DecodeError> {
        let len = self.u32(field)?;
        // A length that does not fit in usize cannot fit in the value either.
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        Ok(self.take(field, len)?.to_vec())
    }

    fn option(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(DecodeError::InvalidTag { field, tag }),
        }
    }

    pub(crate) fn opt_u64(&mut self, field: &'static str) -> Result<Option<u64>, DecodeError> {
        if self.option(field)? {
            self.u64(field).map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn opt_b256(&mut self, field: &'static str) -> Result<Option<B256>, DecodeError> {
        if self.option(field)? {
            self.b256(field).map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn opt_string(
        &mut self,
        field: &'static str,
    ) -> Result<Option<String>, DecodeError> {
        if !self.option(field)? {
            return Ok(None);
        }
        let bytes = self.bytes(field)?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    /// Fails unless every byte of the value was read.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.rest.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(7).b256(&B256::repeat_byte(1)).bool(true);
        w.bytes(b"abc").unwrap();
        w.opt_str(Some("why")).unwrap();
        w.finish()
    }

    fn read(value: &[u8]) -> Result<(), DecodeError> {
        let mut r = Reader::new(value)?;
        r.u64("a")?;
        r.b256("b")?;
        r.bool("c")?;
        r.bytes("d")?;
        r.opt_string("e")?;
        r.finish()
    }

    #[test]
    fn round_trip() {
        let v = sample();
        let mut r = Reader::new(&v).unwrap();
        assert_eq!(r.u64("a").unwrap(), 7);
        assert_eq!(r.b256("b").unwrap(), B256::repeat_byte(1));
        assert!(r.bool("c").unwrap());
        assert_eq!(r.bytes("d").unwrap(), b"abc");
        assert_eq!(r.opt_string("e").unwrap().as_deref(), Some("why"));
        r.finish().unwrap();
    }

    #[test]
    fn every_truncation_is_an_error() {
        let v = sample();
        for len in 0..v.len() {
            assert!(read(&v[..len]).is_err(), "prefix of {len} bytes decoded");
        }
    }

    #[test]
    fn structural_corruption_is_reported() {
        assert_eq!(read(&[]), Err(DecodeError::Empty));
        assert_eq!(read(&[9]), Err(DecodeError::UnknownVersion(9)));
        let mut v = sample();
        v.push(0);
        assert_eq!(read(&v), Err(DecodeError::TrailingBytes(1)));
        let mut v = sample();
        v[1 + 8 + 32] = 2;
        assert_eq!(
            read(&v),
            Err(DecodeError::InvalidTag { field: "c", tag: 2 })
        );
        let mut v = sample();
        let len_at = 1 + 8 + 32 + 1;
        v[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(read(&v), Err(DecodeError::Truncated { .. })));
    }
}
