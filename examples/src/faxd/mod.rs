//! `faxd`: the T.38 fax server that receives into `phi-store` (encrypted) and sends queued
//! faxes, with every step recorded in `phi-audit`.
//!
//! # Running it
//!
//! ```text
//! faxd init --data DIR [--listen 127.0.0.1:4000] [--number NUM]   # a new data directory
//! faxd --config DIR/faxd.toml [--check]                            # run (or only validate)
//! faxctl submit --data DIR --to NUMBER FILE [--cover-to NAME] [--cover-from NAME]
//!               [--patient REF] [--subject TEXT] [--callback NUM] [--no-cover]
//!               [--allow-unverified --reason TEXT] [--principal ID --role ROLE]
//! faxctl status --data DIR [--json]
//! faxctl inbox list --data DIR --inbox NAME --principal ID --role ROLE [--purpose P]
//! faxctl inbox get  --data DIR --inbox NAME --principal ID --role ROLE OBJECT_ID OUT.tif
//! ```
//!
//! faxd runs in the foreground until SIGTERM or SIGINT, then stops taking calls, lets the
//! active ones finish for `grace_period_secs` (default 60), aborts the rest and parks their
//! jobs as pending, closes the audit log and exits 0.
//!
//! # How it fits together
//!
//! - [`config`]: `faxd.toml` (every field with its default; unknown fields and group- or
//!   world-readable files refused).
//! - [`data`]: the data directory layout, atomic writes.
//! - [`server`]: the single loop that owns every [`call::Call`] (a T.38 terminal with its
//!   UDPTL pair, keyed by peer address), the queue, the store and the audit log.
//! - [`queue`]: one atomic JSON file per send job (no PHI: ids, states, counts).
//! - [`document`]: TIFF Class F pages and the encrypted outbound envelope.
//! - [`store`]: phi-store with faxd's policy (inbox roles per tenant), retention and audit
//!   hook. [`audit`]: the single-writer protocol between faxd and `faxctl`.
//! - [`status`]: `DIR/run/status.json`, rewritten about once a second.
//! - [`client`]: what the `faxctl` commands do.
//!
//! # What is never logged
//!
//! Log lines (`tracing`, level from `FAXD_LOG` or the configuration) carry call ids, job
//! ids, object ids, counts and T.30 results. Fax numbers, names, subaddresses, patient
//! references, file names and page content never reach a log line at any level; they live
//! only in the encrypted store and in the audit log's sealed fields.
//!
//! # Example
//!
//! ```
//! use faxkit_examples::faxd::config::Config;
//!
//! let cfg = Config::parse(
//!     r#"
//!     pacing = "unpaced"
//!     [[line]]
//!     number = "+15550100"
//!     listen = "127.0.0.1:0"
//!     [[inbox]]
//!     name = "main"
//!     line = "+15550100"
//!     roles = ["clinician"]
//!     "#,
//! )?;
//! assert_eq!(cfg.route("+15550100", "").map(|i| i.name.as_str()), Some("main"));
//! assert_eq!(cfg.limits.max_pages("default"), 25);
//! # Ok::<(), faxkit_examples::faxd::error::FaxdError>(())
//! ```

pub mod audit;
pub mod call;
pub mod client;
pub mod config;
pub mod data;
pub mod document;
pub mod error;
pub mod init;
pub mod queue;
pub mod server;
pub mod status;
pub mod store;
