//! Just enough DER to find an X.509 certificate's signature algorithm.
//!
//! The certificate comes from the network before anything is trusted, so
//! every read is bounds-checked and nothing here can panic.

use std::fmt::Write as _;

const SEQUENCE: u8 = 0x30;
const OBJECT_IDENTIFIER: u8 = 0x06;
const CONTEXT_0: u8 = 0xa0;

/// Where the certificate stopped making sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(super) struct DerError(&'static str);

/// One element: its tag, its content, and what follows it.
fn element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or(DerError("truncated element"))?;
    let (&first, rest) = rest.split_first().ok_or(DerError("truncated length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return Err(DerError("unsupported length encoding"));
        }
        let bytes = rest.get(..count).ok_or(DerError("truncated length"))?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[count..])
    };
    if len > rest.len() {
        return Err(DerError("element longer than the certificate"));
    }
    let (content, after) = rest.split_at(len);
    Ok((tag, content, after))
}

fn expect<'a>(
    input: &'a [u8],
    tag: u8,
    what: &'static str,
) -> Result<(&'a [u8], &'a [u8]), DerError> {
    match element(input)? {
        (t, content, rest) if t == tag => Ok((content, rest)),
        _ => Err(DerError(what)),
    }
}

/// The signature algorithm's object identifier (content bytes) and its
/// parameters (the rest of the AlgorithmIdentifier).
pub(super) fn signature_algorithm(cert: &[u8]) -> Result<(&[u8], &[u8]), DerError> {
    let (cert, _) = expect(cert, SEQUENCE, "certificate is not a SEQUENCE")?;
    let (_, rest) = expect(cert, SEQUENCE, "tbsCertificate is not a SEQUENCE")?;
    let (algorithm, _) = expect(rest, SEQUENCE, "signatureAlgorithm is not a SEQUENCE")?;
    expect(
        algorithm,
        OBJECT_IDENTIFIER,
        "signatureAlgorithm has no OID",
    )
}

/// The hash of RSASSA-PSS parameters; `None` when absent (SHA-1 by
/// default).
pub(super) fn pss_hash(params: &[u8]) -> Result<Option<&[u8]>, DerError> {
    if params.is_empty() {
        return Ok(None);
    }
    let (fields, _) = expect(params, SEQUENCE, "RSASSA-PSS parameters are not a SEQUENCE")?;
    if fields.is_empty() {
        return Ok(None);
    }
    let (tag, content, _) = element(fields)?;
    if tag != CONTEXT_0 {
        return Ok(None);
    }
    let (algorithm, _) = expect(content, SEQUENCE, "PSS hashAlgorithm is not a SEQUENCE")?;
    let (hash, _) = expect(algorithm, OBJECT_IDENTIFIER, "PSS hashAlgorithm has no OID")?;
    Ok(Some(hash))
}

/// An object identifier in dotted form, for messages.
pub(super) fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &byte in oid {
        value = value
            .saturating_mul(128)
            .saturating_add(u64::from(byte & 0x7f));
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    let mut text = String::new();
    for (i, arc) in arcs.iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        let _ = write!(text, "{arc}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b], "1.2.840.113549.1.1.11")]
    #[case(&[0x2b, 0x65, 0x70], "1.3.101.112")]
    #[case(&[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01], "2.16.840.1.101.3.4.2.1")]
    fn prints_oids_dotted(#[case] oid: &[u8], #[case] text: &str) {
        assert_eq!(dotted(oid), text);
    }

    #[test]
    fn long_form_length_is_read() {
        let mut input = vec![SEQUENCE, 0x81, 0x80];
        input.extend([0u8; 0x80]);
        input.push(0xff);
        let (tag, content, rest) = element(&input).expect("valid");
        assert_eq!((tag, content.len(), rest), (SEQUENCE, 0x80, &[0xffu8][..]));
    }

    #[test]
    fn every_prefix_of_a_certificate_fails_cleanly() {
        let cert = [
            SEQUENCE,
            0x0b,
            SEQUENCE,
            0x00,
            SEQUENCE,
            0x05,
            OBJECT_IDENTIFIER,
            0x03,
            0x2b,
            0x65,
            0x70,
            0x03,
            0x00,
        ];
        assert!(signature_algorithm(&cert).is_ok());
        for end in 0..cert.len() - 2 {
            assert!(signature_algorithm(&cert[..end]).is_err(), "prefix {end}");
        }
    }

    #[rstest]
    #[case(&[SEQUENCE, 0x84, 0xff, 0xff, 0xff, 0xff])]
    #[case(&[SEQUENCE, 0x85, 0, 0, 0, 0, 1])]
    #[case(&[SEQUENCE, 0x80])]
    fn hostile_lengths_are_refused(#[case] input: &[u8]) {
        assert!(element(input).is_err());
    }
}
