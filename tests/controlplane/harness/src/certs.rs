//! The credentials of one control plane: a CA, the API server's serving certificate, the
//! service-account signing key and an admin client certificate, all generated in memory.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use crate::{Error, Result};

/// PEM text of everything the API server and its clients need.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub(crate) ca_cert: String,
    pub(crate) serving_cert: String,
    pub(crate) serving_key: String,
    pub(crate) service_account_key: String,
    pub(crate) service_account_public_key: String,
    pub(crate) admin_cert: String,
    pub(crate) admin_key: String,
}

fn cert_error(what: &str) -> impl FnOnce(rcgen::Error) -> Error + '_ {
    move |e| Error::new(format!("generating the {what}: {e}"))
}

impl Credentials {
    /// Fresh keys (ECDSA P-256) for every call: no two control planes share a credential.
    pub(crate) fn generate() -> Result<Self> {
        let ca_key = KeyPair::generate().map_err(cert_error("CA key"))?;
        let mut ca = CertificateParams::default();
        ca.distinguished_name
            .push(DnType::CommonName, "podscale test control plane CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca.self_signed(&ca_key).map_err(cert_error("CA"))?;
        let issuer = Issuer::new(ca, &ca_key);

        // The names a client may dial: loopback, and the in-cluster names of the `kubernetes`
        // service (its ClusterIP is the first address of --service-cluster-ip-range).
        let serving_key = KeyPair::generate().map_err(cert_error("serving key"))?;
        let mut serving = CertificateParams::new(vec![
            "localhost".to_owned(),
            "kubernetes".to_owned(),
            "kubernetes.default".to_owned(),
            "kubernetes.default.svc".to_owned(),
        ])
        .map_err(cert_error("serving certificate"))?;
        serving.subject_alt_names.extend([
            SanType::IpAddress([127, 0, 0, 1].into()),
            SanType::IpAddress([10, 0, 0, 1].into()),
        ]);
        serving
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        serving.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let serving_cert = serving
            .signed_by(&serving_key, &issuer)
            .map_err(cert_error("serving certificate"))?;

        // The API server maps CN to the user name and O to its groups: system:masters is
        // always authorized, whatever RBAC holds.
        let admin_key = KeyPair::generate().map_err(cert_error("admin key"))?;
        let mut admin = CertificateParams::default();
        admin.distinguished_name.push(DnType::CommonName, "admin");
        admin
            .distinguished_name
            .push(DnType::OrganizationName, "system:masters");
        admin.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        admin.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let admin_cert = admin
            .signed_by(&admin_key, &issuer)
            .map_err(cert_error("admin certificate"))?;

        let service_account_key = KeyPair::generate().map_err(cert_error("service-account key"))?;

        Ok(Self {
            ca_cert: ca_cert.pem(),
            serving_cert: serving_cert.pem(),
            serving_key: serving_key.serialize_pem(),
            service_account_key: service_account_key.serialize_pem(),
            service_account_public_key: service_account_key.public_key_pem(),
            admin_cert: admin_cert.pem(),
            admin_key: admin_key.serialize_pem(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_distinct_pem_credentials() {
        let a = Credentials::generate().unwrap();
        let b = Credentials::generate().unwrap();
        for pem in [&a.ca_cert, &a.serving_cert, &a.admin_cert] {
            assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
        }
        for pem in [&a.serving_key, &a.admin_key, &a.service_account_key] {
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        }
        assert!(
            a.service_account_public_key
                .starts_with("-----BEGIN PUBLIC KEY-----\n")
        );
        assert_ne!(a.ca_cert, b.ca_cert);
        assert_ne!(a.admin_key, b.admin_key);
        // Both leaves parse as certificates for rustls, the client side of the smoke test.
        ureq::tls::Certificate::from_pem(a.serving_cert.as_bytes()).unwrap();
        ureq::tls::PrivateKey::from_pem(a.admin_key.as_bytes()).unwrap();
    }
}
