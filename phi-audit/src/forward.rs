//! Forwarding to a SIEM: RFC 5424 messages over RFC 5425 TLS (`rustls`, ring provider),
//! the log itself as the spool, a durable cursor, at-least-once delivery with `seq` in every
//! message for de-duplication, and every forwarded range closed by its signed checkpoint
//! (external anchoring: a rollback of the host's log shows against what the SIEM holds).
//!
//! The forwarder reads the segment files; it never touches the writer, so a slow or
//! unreachable receiver never blocks appends. Messages carry no sealed field.

use crate::error::LogError;
use crate::event::{Kind, Outcome, Record};
use crate::merkle::leaf_hash;
use crate::scan::{scan_log, Mode};
use crate::storage::Storage;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::io::Write;

/// The structured-data id: `phi@32473` (32473 is the IANA example enterprise number of
/// RFC 5612; deployments with their own PEN can change it in [`Format`]).
pub const DEFAULT_SD_ID: &str = "phi@32473";
/// The file holding the next seq to forward.
pub const CURSOR: &str = "forward.cursor";

/// Header fields of the messages.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Format {
    /// HOSTNAME field.
    pub hostname: String,
    /// APP-NAME field.
    pub app_name: String,
    /// SD-ID of the structured data element.
    pub sd_id: String,
    /// Largest message in octets (receivers must accept 2,048 and should accept 8,192).
    pub max_len: usize,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            hostname: "-".into(),
            app_name: "phi-audit".into(),
            sd_id: DEFAULT_SD_ID.into(),
            max_len: 8192,
        }
    }
}

/// RFC 5424 PARAM-VALUE escaping: `"`, `\` and `]` get a backslash.
fn sd_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '"' | '\\' | ']') {
            o.push('\\');
        }
        if c.is_control() {
            o.push(' ');
        } else {
            o.push(c);
        }
    }
    o
}

/// A header field: printable US-ASCII without spaces, or `-`.
fn header_field(s: &str, max: usize) -> String {
    let f: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(max)
        .collect();
    if f.is_empty() {
        "-".into()
    } else {
        f
    }
}

/// Severity: alerts for break-glass, warnings for failures, notices otherwise.
fn severity(r: &Record) -> u8 {
    if r.event.kind == Kind::AuthBreakGlass {
        1
    } else if r.event.outcome != Outcome::Success {
        4
    } else {
        5
    }
}

/// Facility 13 (log audit).
const FACILITY: u8 = 13;

impl Format {
    /// The RFC 5424 message for one event (no sealed fields; `leaf` is the leaf hash).
    pub fn event(&self, r: &Record, record_bytes: &[u8]) -> String {
        let pri = u16::from(FACILITY) * 8 + u16::from(severity(r));
        let msg = format!(
            "{} by {} ({}): {}",
            r.event.kind.as_str(),
            r.event.actor.principal,
            r.event.actor.role,
            r.event.outcome.as_str()
        );
        let mut m = format!(
            "<{pri}>1 {} {} {} - {} [{} seq=\"{}\" leaf=\"{}\" outcome=\"{}\" user=\"{}\"] {}",
            crate::time::rfc3339(r.time_ns),
            header_field(&self.hostname, 255),
            header_field(&self.app_name, 48),
            header_field(r.event.kind.as_str(), 32),
            self.sd_id,
            r.seq,
            crate::hex(&leaf_hash(record_bytes)),
            r.event.outcome.as_str(),
            sd_escape(&r.event.actor.principal),
            msg.replace(|c: char| c.is_control(), " ")
        );
        truncate_utf8(&mut m, self.max_len);
        m
    }

    /// The RFC 5424 message for a signed checkpoint (the note in base64, exactly).
    pub fn checkpoint(&self, note: &str, size: u64, now_ns: i64) -> String {
        let pri = u16::from(FACILITY) * 8 + 5;
        format!(
            "<{pri}>1 {} {} {} - checkpoint [{} size=\"{size}\" note=\"{}\"] checkpoint of {size} events",
            crate::time::rfc3339(now_ns),
            header_field(&self.hostname, 255),
            header_field(&self.app_name, 48),
            self.sd_id,
            B64.encode(note),
        )
    }
}

fn truncate_utf8(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

/// RFC 5425 octet-counting frame: `MSG-LEN SP SYSLOG-MSG`.
pub fn frame(msg: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(msg.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(msg.as_bytes());
}

/// Reads the cursor (next seq to forward; 0 if none).
///
/// # Errors
/// [`LogError::Io`].
pub fn cursor(storage: &dyn Storage) -> Result<u64, LogError> {
    Ok(storage
        .read(CURSOR)
        .map_err(LogError::io("read forward cursor"))?
        .and_then(|b| std::str::from_utf8(&b).ok()?.trim().parse().ok())
        .unwrap_or(0))
}

/// Forwards every event from the cursor on, then the newest checkpoint, over `sink`; after
/// the sink has flushed, stores the new cursor durably. Returns how many events went out.
/// A crash between the write and the cursor update sends those events again (at-least-once;
/// receivers de-duplicate by `seq`).
///
/// # Errors
/// [`LogError::Corrupt`] if the log does not verify (nothing is forwarded from a log that
/// fails verification), [`LogError::Io`] on sink or storage errors.
pub fn forward_once(
    storage: &dyn Storage,
    format: &Format,
    sink: &mut dyn Write,
    now_ns: i64,
) -> Result<u64, LogError> {
    let root = crate::log::root_key(storage)?;
    let sc = scan_log(storage, &root, Mode::Verify, true, None).map_err(|f| LogError::Corrupt {
        seq: f.seq,
        reason: f.reason,
    })?;
    let from = cursor(storage)?;
    let size = sc.tree.size();
    if from >= size {
        return Ok(0);
    }
    let mut buf = Vec::new();
    for (r, b) in sc
        .records
        .iter()
        .zip(&sc.record_bytes)
        .skip(usize::try_from(from).unwrap_or(usize::MAX))
    {
        frame(&format.event(r, b), &mut buf);
    }
    if let Some(note) = &sc.last_note {
        frame(&format.checkpoint(note, size, now_ns), &mut buf);
    }
    sink.write_all(&buf)
        .and_then(|()| sink.flush())
        .map_err(LogError::io("forward to syslog"))?;
    storage
        .write_atomic(CURSOR, format!("{size}\n").as_bytes())
        .map_err(LogError::io("write forward cursor"))?;
    Ok(size - from)
}

/// RFC 5425 transport: a TLS client (rustls, ring provider, TLS 1.2/1.3) that verifies the
/// receiver's certificate against the given CA certificates.
pub mod tls {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use std::net::TcpStream;
    use std::sync::Arc;

    /// A TLS stream to a syslog receiver.
    pub type Stream = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

    /// Error while setting up TLS.
    #[derive(Debug, thiserror::Error)]
    #[non_exhaustive]
    pub enum TlsError {
        /// A CA file that cannot be read or holds no certificate.
        #[error("CA certificates: {0}")]
        Ca(String),
        /// TLS configuration or handshake failure.
        #[error("TLS: {0}")]
        Tls(#[from] rustls::Error),
        /// Connection failure.
        #[error("connect: {0}")]
        Io(#[from] std::io::Error),
        /// The server name is not a valid DNS name or IP address.
        #[error("invalid server name")]
        Name,
    }

    /// Connects to `addr`, verifying the certificate for `server_name` against the PEM CA
    /// certificates in `ca_pem`. The handshake completes before this returns.
    ///
    /// # Errors
    /// [`TlsError`].
    pub fn connect(addr: &str, server_name: &str, ca_pem: &[u8]) -> Result<Stream, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(ca_pem) {
            let c = c.map_err(|e| TlsError::Ca(e.to_string()))?;
            roots.add(c).map_err(|e| TlsError::Ca(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(TlsError::Ca("no certificate found".into()));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = ServerName::try_from(server_name.to_owned()).map_err(|_| TlsError::Name)?;
        let conn = rustls::ClientConnection::new(Arc::new(config), name)?;
        let sock = TcpStream::connect(addr)?;
        let mut s = rustls::StreamOwned::new(conn, sock);
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock)?;
        }
        Ok(s)
    }
}
