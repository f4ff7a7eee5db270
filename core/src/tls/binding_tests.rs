use super::*;
use rstest::rstest;

use ChannelBindingMode::{Disable, Prefer, Require};

const BOTH: &[&str] = &[SCRAM_SHA_256_PLUS, SCRAM_SHA_256];
const PLAIN: &[&str] = &[SCRAM_SHA_256];

#[rstest]
// Over TLS, offered PLUS: bind unless disabled.
#[case(Prefer, true, BOTH, Ok(ScramChoice::Plus))]
#[case(Require, true, BOTH, Ok(ScramChoice::Plus))]
#[case(Disable, true, BOTH, Ok(ScramChoice::Plain))]
// Over TLS, no PLUS offered: say we could have bound ('y').
#[case(Prefer, true, PLAIN, Ok(ScramChoice::PlainCouldBind))]
#[case(Disable, true, PLAIN, Ok(ScramChoice::Plain))]
#[case(Require, true, PLAIN, Err(TlsError::BindingNotOffered))]
// In the clear.
#[case(Prefer, false, PLAIN, Ok(ScramChoice::Plain))]
#[case(Disable, false, PLAIN, Ok(ScramChoice::Plain))]
#[case(Require, false, PLAIN, Err(TlsError::BindingNotOffered))]
#[case(Prefer, false, BOTH, Err(TlsError::PlusWithoutTls))]
#[case(Disable, false, BOTH, Err(TlsError::PlusWithoutTls))]
// Nothing we know.
#[case(Prefer, true, &["SCRAM-SHA-512"], Err(TlsError::NoSupportedMechanism { offered: "SCRAM-SHA-512".into() }))]
fn scram_mechanism_follows_libpq(
    #[case] mode: ChannelBindingMode,
    #[case] over_tls: bool,
    #[case] offered: &[&str],
    #[case] expected: Result<ScramChoice, TlsError>,
) {
    assert_eq!(choose_scram(mode, over_tls, offered), expected);
}

#[rstest]
#[case(ScramChoice::Plus, SCRAM_SHA_256_PLUS)]
#[case(ScramChoice::PlainCouldBind, SCRAM_SHA_256)]
#[case(ScramChoice::Plain, SCRAM_SHA_256)]
fn mechanism_names(#[case] choice: ScramChoice, #[case] name: &str) {
    assert_eq!(choice.mechanism(), name);
}

#[rstest]
#[case(Prefer, AuthRequest::Other("md5"), Ok(()))]
#[case(Prefer, AuthRequest::Ok { bound: false }, Ok(()))]
#[case(Disable, AuthRequest::Other("password"), Ok(()))]
#[case(Require, AuthRequest::Sasl, Ok(()))]
#[case(Require, AuthRequest::Ok { bound: true }, Ok(()))]
#[case(Require, AuthRequest::Ok { bound: false }, Err(TlsError::AuthenticatedWithoutBinding))]
#[case(Require, AuthRequest::Other("md5"), Err(TlsError::BindingNotSupported { method: "md5".into() }))]
#[case(Require, AuthRequest::Other("password"), Err(TlsError::BindingNotSupported { method: "password".into() }))]
fn require_refuses_what_cannot_bind(
    #[case] mode: ChannelBindingMode,
    #[case] request: AuthRequest<'_>,
    #[case] expected: Result<(), TlsError>,
) {
    assert_eq!(check_auth_request(mode, request), expected);
}

/// A certificate shell: an empty tbsCertificate, the algorithm, an empty
/// signature. Only the algorithm matters to tls-server-end-point.
fn certificate(algorithm: &[u8], params: &[u8]) -> Vec<u8> {
    let mut alg = vec![0x06, len(algorithm)];
    alg.extend_from_slice(algorithm);
    alg.extend_from_slice(params);
    let mut body = vec![0x30, 0x00, 0x30, len(&alg)];
    body.extend(alg);
    body.extend([0x03, 0x01, 0x00]);
    let mut cert = vec![0x30, len(&body)];
    cert.extend(body);
    cert
}

fn len(bytes: &[u8]) -> u8 {
    u8::try_from(bytes.len()).expect("short test element")
}

fn pss_params(hash: Option<&[u8]>) -> Vec<u8> {
    let Some(hash) = hash else {
        return vec![0x30, 0x00];
    };
    let mut oid = vec![0x06, len(hash)];
    oid.extend_from_slice(hash);
    let mut alg = vec![0x30, len(&oid)];
    alg.extend(oid);
    let mut tagged = vec![0xa0, len(&alg)];
    tagged.extend(alg);
    let mut seq = vec![0x30, len(&tagged)];
    seq.extend(tagged);
    seq
}

#[rstest]
#[case::md5_rsa(oid::MD5_RSA, EndPointHash::Sha256)]
#[case::sha1_rsa(oid::SHA1_RSA, EndPointHash::Sha256)]
#[case::sha256_rsa(oid::SHA256_RSA, EndPointHash::Sha256)]
#[case::sha224_rsa(oid::SHA224_RSA, EndPointHash::Sha224)]
#[case::sha384_rsa(oid::SHA384_RSA, EndPointHash::Sha384)]
#[case::sha512_rsa(oid::SHA512_RSA, EndPointHash::Sha512)]
#[case::ecdsa_sha1(oid::ECDSA_SHA1, EndPointHash::Sha256)]
#[case::ecdsa_sha256(oid::ECDSA_SHA256, EndPointHash::Sha256)]
#[case::ecdsa_sha384(oid::ECDSA_SHA384, EndPointHash::Sha384)]
#[case::ecdsa_sha512(oid::ECDSA_SHA512, EndPointHash::Sha512)]
#[case::dsa_sha1(oid::DSA_SHA1, EndPointHash::Sha256)]
fn hash_follows_the_signature(#[case] algorithm: &[u8], #[case] hash: EndPointHash) {
    let cert = certificate(algorithm, &[0x05, 0x00]);
    assert_eq!(EndPointHash::for_certificate(&cert), Ok(hash));
}

#[rstest]
#[case::default_sha1(None, EndPointHash::Sha256)]
#[case::sha256(Some(oid::SHA256), EndPointHash::Sha256)]
#[case::sha384(Some(oid::SHA384), EndPointHash::Sha384)]
#[case::sha512(Some(oid::SHA512), EndPointHash::Sha512)]
fn pss_uses_its_hash_parameter(#[case] hash: Option<&[u8]>, #[case] expected: EndPointHash) {
    let cert = certificate(oid::RSA_PSS, &pss_params(hash));
    assert_eq!(EndPointHash::for_certificate(&cert), Ok(expected));
}

#[test]
fn ed25519_has_no_hash_to_bind_with() {
    let cert = certificate(&[0x2b, 0x65, 0x70], &[]);
    let err = EndPointHash::for_certificate(&cert).expect_err("no hash");
    assert_eq!(
        err,
        TlsError::UnsupportedSignature {
            algorithm: "1.3.101.112".into()
        }
    );
    assert!(err.to_string().contains("set channel_binding=disable"));
}

#[rstest]
#[case(&[])]
#[case(&[0x30])]
#[case(&[0x04, 0x00])]
#[case(&[0x30, 0x02, 0x30, 0x00])]
fn garbage_is_malformed_not_a_panic(#[case] bytes: &[u8]) {
    assert!(matches!(
        EndPointHash::for_certificate(bytes),
        Err(TlsError::MalformedCertificate(_))
    ));
}

#[test]
fn end_point_data_is_the_hash_of_the_whole_certificate() {
    let cert = certificate(oid::SHA256_RSA, &[0x05, 0x00]);
    let data = tls_server_end_point(&cert).expect("supported");
    assert_eq!(data, Sha256::digest(&cert).to_vec());
    assert_eq!(data.len(), 32);
    let cert = certificate(oid::ECDSA_SHA384, &[]);
    assert_eq!(tls_server_end_point(&cert).map(|d| d.len()), Ok(48));
}
