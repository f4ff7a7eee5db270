//! Certificates made at test time, and clusters that serve TLS with them.
//!
//! [`TestPki::create`] runs the `openssl` command line (installed with PostgreSQL's own
//! packages) into a private temporary directory: a test CA, a server certificate for
//! `localhost` and `127.0.0.1` signed by it, the same for a second CA no client trusts, a
//! certificate signed by the test CA for another host name, and a client certificate. Keys are
//! ECDSA P-256 (fast to make) and every signature is ECDSA with SHA-256, so the SCRAM
//! `tls-server-end-point` hash is SHA-256 (32 bytes).

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};

use crate::{ClusterOptions, HarnessError};

/// The user name in the client certificate's CN, for `cert` authentication.
pub const CLIENT_CERT_USER: &str = "sq_cert";

/// Which certificate a TLS cluster presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerCert {
    /// For `localhost` and `127.0.0.1`, signed by the test CA.
    Trusted,
    /// For `localhost` and `127.0.0.1`, signed by a CA no client is given.
    UnknownCa,
    /// Signed by the test CA, for `other.example.com` only.
    WrongHost,
}

/// A certificate and its private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFiles {
    /// The certificate.
    pub cert: Utf8PathBuf,
    /// Its private key (mode 0600).
    pub key: Utf8PathBuf,
}

/// The test-time certificates; the directory goes when this is dropped.
#[derive(Debug)]
pub struct TestPki {
    dir: tempfile::TempDir,
    /// The CA clients are told to trust.
    pub ca: CertFiles,
    /// A CA no client trusts.
    pub other_ca: CertFiles,
    /// `localhost` / `127.0.0.1`, signed by [`ca`](TestPki::ca).
    pub server: CertFiles,
    /// `localhost` / `127.0.0.1`, signed by [`other_ca`](TestPki::other_ca).
    pub unknown_ca_server: CertFiles,
    /// `other.example.com`, signed by [`ca`](TestPki::ca).
    pub wrong_host_server: CertFiles,
    /// CN [`CLIENT_CERT_USER`], signed by [`ca`](TestPki::ca), for client authentication.
    pub client: CertFiles,
}

impl TestPki {
    /// Makes all the certificates.
    ///
    /// # Errors
    /// `openssl` is missing or fails; the error has its output.
    pub fn create() -> Result<TestPki, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("sq-pki-")
            .tempdir()
            .map_err(|e| HarnessError::io("cannot create a directory for certificates", e))?;
        let root = Utf8Path::from_path(dir.path())
            .ok_or_else(|| HarnessError::Unexpected("temporary directory is not UTF-8".into()))?
            .to_owned();
        let ca = make_ca(&root, "ca")?;
        let other_ca = make_ca(&root, "other-ca")?;
        let server_ext = "subjectAltName=DNS:localhost,IP:127.0.0.1\n\
                          extendedKeyUsage=serverAuth\n";
        let server = make_leaf(&root, "server", "localhost", server_ext, &ca)?;
        let unknown_ca_server = make_leaf(
            &root,
            "unknown-ca-server",
            "localhost",
            server_ext,
            &other_ca,
        )?;
        let wrong_host_server = make_leaf(
            &root,
            "wrong-host-server",
            "other.example.com",
            "subjectAltName=DNS:other.example.com\nextendedKeyUsage=serverAuth\n",
            &ca,
        )?;
        let client = make_leaf(
            &root,
            "client",
            CLIENT_CERT_USER,
            "extendedKeyUsage=clientAuth\n",
            &ca,
        )?;
        Ok(TestPki {
            dir,
            ca,
            other_ca,
            server,
            unknown_ca_server,
            wrong_host_server,
            client,
        })
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Options for a cluster with `ssl = on`, presenting `which`, trusting the test CA for
    /// client certificates, with `hba_lines` before the harness's own `pg_hba.conf` lines.
    ///
    /// # Errors
    /// A certificate file cannot be read.
    pub fn cluster_options(
        &self,
        which: ServerCert,
        hba_lines: &[&str],
    ) -> Result<ClusterOptions, HarnessError> {
        let files = match which {
            ServerCert::Trusted => &self.server,
            ServerCert::UnknownCa => &self.unknown_ca_server,
            ServerCert::WrongHost => &self.wrong_host_server,
        };
        let read = |path: &Utf8Path| {
            std::fs::read(path).map_err(|e| HarnessError::io(format!("cannot read {path}"), e))
        };
        Ok(ClusterOptions {
            extra_conf: vec![
                "ssl = on".to_owned(),
                "ssl_cert_file = 'server.crt'".to_owned(),
                "ssl_key_file = 'server.key'".to_owned(),
                "ssl_ca_file = 'root.crt'".to_owned(),
            ],
            data_files: vec![
                ("server.crt".to_owned(), read(&files.cert)?),
                ("server.key".to_owned(), read(&files.key)?),
                ("root.crt".to_owned(), read(&self.ca.cert)?),
            ],
            hba_lines: hba_lines.iter().map(|l| (*l).to_owned()).collect(),
            ..ClusterOptions::default()
        })
    }
}

fn openssl(dir: &Utf8Path, args: &[&str]) -> Result<(), HarnessError> {
    let mut cmd = Command::new("openssl");
    cmd.args(args).current_dir(dir);
    let out = cmd
        .output()
        .map_err(|e| HarnessError::io(format!("cannot run {cmd:?} (is openssl installed?)"), e))?;
    crate::os::check(&cmd, out).map(|_| ())
}

fn make_ca(dir: &Utf8Path, name: &str) -> Result<CertFiles, HarnessError> {
    let files = files(dir, name);
    let subject = format!("/CN=sequelae test {name}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-sha256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &subject,
            "-keyout",
            files.key.as_str(),
            "-out",
            files.cert.as_str(),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    )?;
    private(files)
}

fn make_leaf(
    dir: &Utf8Path,
    name: &str,
    cn: &str,
    extensions: &str,
    issuer: &CertFiles,
) -> Result<CertFiles, HarnessError> {
    let files = files(dir, name);
    let csr = dir.join(format!("{name}.csr"));
    let ext = dir.join(format!("{name}.ext"));
    std::fs::write(
        &ext,
        format!("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n{extensions}"),
    )
    .map_err(|e| HarnessError::io(format!("cannot write {ext}"), e))?;
    let subject = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            &subject,
            "-keyout",
            files.key.as_str(),
            "-out",
            csr.as_str(),
        ],
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-sha256",
            "-days",
            "2",
            "-in",
            csr.as_str(),
            "-CA",
            issuer.cert.as_str(),
            "-CAkey",
            issuer.key.as_str(),
            "-CAcreateserial",
            "-extfile",
            ext.as_str(),
            "-out",
            files.cert.as_str(),
        ],
    )?;
    private(files)
}

/// libpq refuses a client key others can read, and the server its own key: 0600, whatever
/// the umask made of it.
fn private(files: CertFiles) -> Result<CertFiles, HarnessError> {
    std::fs::set_permissions(
        &files.key,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .map_err(|e| HarnessError::io(format!("cannot chmod {}", files.key), e))?;
    Ok(files)
}

fn files(dir: &Utf8Path, name: &str) -> CertFiles {
    CertFiles {
        cert: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    }
}
