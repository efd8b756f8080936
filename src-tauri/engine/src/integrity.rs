//! Integrity of downloaded files: the checksum a user expects (`algo:hex` or the Subresource
//! Integrity form `algo-base64`), the digests a server sends (`Repr-Digest` and
//! `Content-Digest` of RFC 9530, the older `Digest` of RFC 3230), and the hashers that compute
//! a file's digests while its bytes are written.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use reqwest::header::HeaderMap;

/// A hash algorithm Ferry can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// SHA-256 (always computed: every finished file shows it).
    Sha256,
    /// SHA-512.
    Sha512,
    /// SHA-1 (only for checksums published that way).
    Sha1,
    /// MD5 (only for checksums published that way).
    Md5,
}

impl Algorithm {
    /// The name in a normalised checksum, e.g. `sha256`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Sha1 => "sha1",
            Algorithm::Md5 => "md5",
        }
    }

    /// The algorithm a user names (`sha256`, `SHA-256`, `md5`, ...).
    fn from_user(name: &str) -> Option<Algorithm> {
        match name.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Some(Algorithm::Sha256),
            "sha512" => Some(Algorithm::Sha512),
            "sha1" => Some(Algorithm::Sha1),
            "md5" => Some(Algorithm::Md5),
            _ => None,
        }
    }

    /// Length of a digest in bytes.
    fn length(self) -> usize {
        match self {
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
            Algorithm::Sha1 => 20,
            Algorithm::Md5 => 16,
        }
    }

    fn hasher(self) -> Box<dyn Hasher> {
        match self {
            Algorithm::Sha256 => Box::new(RingSha256(ring::digest::Context::new(
                &ring::digest::SHA256,
            ))),
            Algorithm::Sha512 => Box::new(sha2::Sha512::default()),
            Algorithm::Sha1 => Box::new(sha1::Sha1::default()),
            Algorithm::Md5 => Box::new(md5::Md5::default()),
        }
    }
}

/// A running hash of one algorithm.
trait Hasher: Send {
    fn update(&mut self, data: &[u8]);
    fn finish(self: Box<Self>) -> Vec<u8>;
}

impl<D: digest::Digest + Send> Hasher for D {
    fn update(&mut self, data: &[u8]) {
        digest::Digest::update(self, data);
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        self.finalize().to_vec()
    }
}

/// SHA-256 by `ring`, whose assembly uses the CPU's SHA extensions: 1 GiB in 0.66 s here
/// against the `sha2` crate's 0.76 s, and every downloaded byte goes through it.
struct RingSha256(ring::digest::Context);

impl Hasher for RingSha256 {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finish(self: Box<Self>) -> Vec<u8> {
        self.0.finish().as_ref().to_vec()
    }
}

/// A digest: its algorithm and bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// How it was computed.
    pub algorithm: Algorithm,
    /// The digest's bytes.
    pub bytes: Vec<u8>,
}

impl Digest {
    /// Parses a checksum given by a user: `algo:hex` (`sha256:9f86d0…`) or the Subresource
    /// Integrity form `algo-base64` (`sha256-n4bQ…=`), for SHA-256, SHA-512, SHA-1 and MD5.
    /// The error says what is wrong in words.
    pub fn parse_checksum(text: &str) -> Result<Digest, String> {
        let text = text.trim();
        let (algorithm, value, hex_form) = if let Some((name, value)) = text.split_once(':') {
            (name, value, true)
        } else if let Some((name, value)) = text.split_once('-') {
            (name, value, false)
        } else {
            return Err(format!(
                "the checksum {text:?} names no algorithm; write it as sha256:HEX (or sha512, \
                 sha1, md5), or as sha256-BASE64 like Subresource Integrity"
            ));
        };
        let algorithm = Algorithm::from_user(algorithm).ok_or_else(|| {
            format!(
                "the checksum algorithm {algorithm:?} is not supported; use sha256, sha512, sha1 \
                 or md5"
            )
        })?;
        let bytes = if hex_form {
            hex::decode(value).map_err(|_| {
                format!("the checksum value {value:?} is not hexadecimal (0-9, a-f)")
            })?
        } else {
            BASE64
                .decode(value)
                .map_err(|_| format!("the checksum value {value:?} is not base64"))?
        };
        if bytes.len() != algorithm.length() {
            return Err(format!(
                "a {} checksum is {} bytes ({} hexadecimal digits); {value:?} is {} bytes",
                algorithm.name(),
                algorithm.length(),
                algorithm.length() * 2,
                bytes.len()
            ));
        }
        Ok(Digest { algorithm, bytes })
    }

    /// The normalised form `algo:hex`, lower case.
    pub fn normalised(&self) -> String {
        format!("{}:{}", self.algorithm.name(), hex::encode(&self.bytes))
    }
}

/// Hashes bytes with several algorithms at once.
pub struct Hashes {
    hashers: Vec<(Algorithm, Box<dyn Hasher>)>,
}

impl Hashes {
    /// Hashers for `algorithms` (each once).
    pub fn new(algorithms: &[Algorithm]) -> Hashes {
        let mut hashers: Vec<(Algorithm, Box<dyn Hasher>)> = Vec::new();
        for &algorithm in algorithms {
            if !hashers.iter().any(|(a, _)| *a == algorithm) {
                hashers.push((algorithm, algorithm.hasher()));
            }
        }
        Hashes { hashers }
    }

    /// Whether nothing is hashed.
    pub fn is_empty(&self) -> bool {
        self.hashers.is_empty()
    }

    /// Feeds bytes to every hasher.
    pub fn update(&mut self, data: &[u8]) {
        for (_, hasher) in &mut self.hashers {
            hasher.update(data);
        }
    }

    /// The digests of everything fed.
    pub fn finish(self) -> Vec<Digest> {
        self.hashers
            .into_iter()
            .map(|(algorithm, hasher)| Digest {
                algorithm,
                bytes: hasher.finish(),
            })
            .collect()
    }
}

/// The digest of `algorithm` among `digests`.
pub fn find(digests: &[Digest], algorithm: Algorithm) -> Option<&Digest> {
    digests.iter().find(|d| d.algorithm == algorithm)
}

/// What a server digest describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole file (`Repr-Digest`, RFC 3230 `Digest`).
    WholeFile,
    /// The bytes of this answer (`Content-Digest`: the whole file for a 200, the range for a
    /// 206).
    Message,
}

/// A digest sent by the server, from the header named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerDigest {
    /// The header it came from, as written in messages (`Repr-Digest`, ...).
    pub header: &'static str,
    /// What it describes.
    pub scope: Scope,
    /// The digest.
    pub digest: Digest,
}

impl ServerDigest {
    /// The form kept with a file's validators: header name and `algo:hex`.
    pub fn stored(&self) -> (String, String) {
        (self.header.to_owned(), self.digest.normalised())
    }

    /// A whole-file digest kept by [`ServerDigest::stored`]; `None` for anything else.
    pub fn from_stored((header, value): &(String, String)) -> Option<ServerDigest> {
        let header = ["Repr-Digest", "Content-Digest", "Digest"]
            .into_iter()
            .find(|name| name == header)?;
        Some(ServerDigest {
            header,
            scope: Scope::WholeFile,
            digest: Digest::parse_checksum(value).ok()?,
        })
    }
}

/// The SHA-256 and SHA-512 digests of an answer's `Repr-Digest`, `Content-Digest` (RFC 9530
/// structured-field dictionaries, `sha-256=:base64:`) and `Digest` (RFC 3230,
/// `SHA-256=base64`). Other algorithms and unreadable values are ignored, as the RFCs ask.
pub fn server_digests(headers: &HeaderMap) -> Vec<ServerDigest> {
    let mut found = Vec::new();
    for (header, scope) in [
        ("Repr-Digest", Scope::WholeFile),
        ("Content-Digest", Scope::Message),
    ] {
        for value in headers.get_all(header) {
            found.extend(
                structured(value.as_bytes())
                    .into_iter()
                    .map(|digest| ServerDigest {
                        header,
                        scope,
                        digest,
                    }),
            );
        }
    }
    for value in headers.get_all("Digest") {
        let text = value.to_str().unwrap_or("");
        found.extend(legacy(text).into_iter().map(|digest| ServerDigest {
            header: "Digest",
            scope: Scope::WholeFile,
            digest,
        }));
    }
    found
}

/// The digests of an RFC 9530 dictionary.
fn structured(value: &[u8]) -> Vec<Digest> {
    let Ok(dictionary) = sfv::Parser::new(value).parse::<sfv::Dictionary>() else {
        return Vec::new();
    };
    dictionary
        .iter()
        .filter_map(|(key, entry)| {
            let algorithm = server_algorithm(key.as_str())?;
            let sfv::ListEntry::Item(item) = entry else {
                return None;
            };
            let bytes = item.bare_item.as_byte_sequence()?.to_vec();
            (bytes.len() == algorithm.length()).then_some(Digest { algorithm, bytes })
        })
        .collect()
}

/// The digests of an RFC 3230 `Digest` value: `SHA-256=base64, SHA-512=base64`.
fn legacy(value: &str) -> Vec<Digest> {
    value
        .split(',')
        .filter_map(|part| {
            let (name, encoded) = part.trim().split_once('=')?;
            let algorithm = server_algorithm(&name.to_ascii_lowercase())?;
            let bytes = BASE64.decode(encoded.trim()).ok()?;
            (bytes.len() == algorithm.length()).then_some(Digest { algorithm, bytes })
        })
        .collect()
}

/// The algorithms of the HTTP Digest Algorithm registry that Ferry checks.
fn server_algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "sha-256" => Some(Algorithm::Sha256),
        "sha-512" => Some(Algorithm::Sha512),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const TEST_SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn both_checksum_forms_normalise_to_hex() {
        let hex = Digest::parse_checksum(&format!("SHA256:{}", TEST_SHA256.to_uppercase()));
        let sri = Digest::parse_checksum("sha256-n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=");
        assert_eq!(hex.unwrap().normalised(), format!("sha256:{TEST_SHA256}"));
        assert_eq!(sri.unwrap().normalised(), format!("sha256:{TEST_SHA256}"));
    }

    #[test]
    fn malformed_checksums_are_refused_in_words() {
        for bad in [
            "",
            "sha256",
            "crc32:00",
            "sha256:zz",
            "sha256:abcd",
            "md5-!!",
        ] {
            assert!(Digest::parse_checksum(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_digests_of_every_header_are_read() {
        let mut headers = HeaderMap::new();
        let b64 = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";
        headers.insert(
            "repr-digest",
            HeaderValue::from_str(&format!("sha-256=:{b64}:, md5=:AAAA:")).unwrap(),
        );
        headers.insert(
            "content-digest",
            HeaderValue::from_str(&format!("sha-256=:{b64}:")).unwrap(),
        );
        headers.insert(
            "digest",
            HeaderValue::from_str(&format!("MD5=AAAA, SHA-256={b64}")).unwrap(),
        );
        let found = server_digests(&headers);
        let headers: Vec<_> = found.iter().map(|d| (d.header, d.scope)).collect();
        assert_eq!(
            headers,
            [
                ("Repr-Digest", Scope::WholeFile),
                ("Content-Digest", Scope::Message),
                ("Digest", Scope::WholeFile)
            ]
        );
        assert!(found
            .iter()
            .all(|d| hex::encode(&d.digest.bytes) == TEST_SHA256));
    }
}
