//! Command-line syntax (clap derive). The command and flag names are a stable contract.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Inspect, convert and code fax images: TIFF (Class F and other bi-level TIFFs), PBM, PNG
/// and headerless T.4 / T.6 streams.
///
/// Exit status: 0 success, 1 usage error, 2 invalid input (or a file that cannot be read or
/// written), 3 a limit exceeded (the input declares a larger image than allowed).
#[derive(Debug, Parser)]
#[command(name = "faxctl", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The whole stack in one command: two faxd servers on 127.0.0.1 (fresh data
    /// directories), a generated 3-page fax with a cover page sent from one to the other over
    /// T.38, stored encrypted, both audit logs and the delivery receipt verified, the pages
    /// decrypted back to PNG. Prints where everything is.
    Demo(DemoArgs),
    /// Show how every page is stored: coding, options, fill order, size, resolution and
    /// damaged rows (decoded, and the file's BadFaxLines tags). Prints no pixel data and no
    /// identity tags (Artist, HostComputer, ImageDescription, DocumentName, ...).
    Info {
        /// A .tif/.tiff, .pbm or .png file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Convert between TIFF, PBM and PNG (formats by file extension).
    ///
    /// TIFF output is TIFF Class F, MMR (T.6) unless --coding or --k says otherwise; PBM output
    /// holds every page; PNG output holds one page (--page, default 1: with several pages and
    /// no --page, page 1 is written and a note says so). The coding flags apply to TIFF output
    /// only.
    Convert(ConvertArgs),
    /// Decode a headerless T.4 / T.6 stream (a PDF CCITTFaxDecode stream, a raw TIFF strip)
    /// to an image.
    ///
    /// The output looks the way a PDF viewer shows the stream as a DeviceGray image with the
    /// default Decode array. Without --black-is-1 (PDF's default) coded black runs become 0
    /// samples, shown black: the image is what the fax shows. With --black-is-1 (PDF BlackIs1
    /// true) coded black runs become 1 samples, shown white: the image comes out inverted,
    /// as a viewer shows such a stream. The format follows OUT's extension (.tif/.tiff is
    /// written as MMR TIFF, .png as PNG); anything else is written as PBM.
    ///
    /// Damaged rows are concealed and reported on standard error unless --strict; data that
    /// cannot be decoded further ends the image there (with a warning), or fails with --strict.
    DecodeRaw(DecodeArgs),
    /// Encode one page to a headerless T.4 / T.6 stream.
    ///
    /// Default coding MH (PDF K = 0, so that decode-raw's defaults read it back). MH and MR
    /// rows each start with an EOL, as in TIFF Class F; MMR has none; nothing ends the data
    /// unless --rtc.
    EncodeRaw(EncodeArgs),
    /// Encrypted object store (phi-store): init, put, get, rotate, rewrap, shred, verify,
    /// sweep. The passphrase comes from FAXKIT_PASSPHRASE or --passphrase-file.
    Store(super::store::StoreArgs),
    /// The tamper-evident audit log (phi-audit): init, example-event, append, verify, prove,
    /// check-proof, verify-receipt, forward, export. See `faxctl audit --help`.
    Audit(super::audit::AuditArgs),
    /// Send a fax over T.38 (UDPTL over UDP) as the calling party, in real time.
    ///
    /// Prints one final line (or a JSON object with --json) and exits 0 only when the fax
    /// completed; 4 when the call failed.
    Send(SendArgs),
    /// Receive faxes over T.38 (UDPTL over UDP) as the answering party, in real time; each
    /// fax is written to --out as a TIFF Class F.
    ///
    /// Prints one line per call (or a JSON object with --json); exits 0 only when every
    /// call completed, 4 otherwise.
    Receive(ReceiveArgs),
    /// Queue a fax for faxd to send (durably, encrypted); prints only the job id.
    ///
    /// Refuses a number that is not in the recipient directory, an unverified one unless
    /// --allow-unverified --reason (audited), and more pages than the destination class
    /// allows (exit 3).
    Submit(super::server::SubmitArgs),
    /// faxd's queue, calls and counters (from DIR/queue and DIR/run/status.json).
    Status(super::server::StatusArgs),
    /// List or read an inbox of received faxes (access by role; every decision audited).
    Inbox(super::server::InboxArgs),
    /// Render a fax cover page (to, from, patient reference, subject, pages, callback
    /// number, confidentiality notice) to a PNG, TIFF (MMR) or PBM file.
    ///
    /// Text the page cannot hold is refused (exit 2) with the field to shorten; characters
    /// outside printable ASCII are drawn as '?'. Prints nothing on success.
    Cover(CoverArgs),
}

/// The resolution of a cover page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CoverResolution {
    /// 1728 x 1100 (3.85 lines/mm).
    Standard,
    /// 1728 x 2200 (7.7 lines/mm).
    Fine,
}

/// Arguments of `Cover`.
#[derive(Debug, Args)]
pub(crate) struct CoverArgs {
    /// The recipient.
    #[arg(long)]
    pub(crate) to: String,
    /// The sender.
    #[arg(long)]
    pub(crate) from: String,
    /// The patient reference (left out if not given).
    #[arg(long)]
    pub(crate) patient: Option<String>,
    /// The subject.
    #[arg(long)]
    pub(crate) subject: Option<String>,
    /// Pages that follow the cover page.
    #[arg(long, default_value_t = 0)]
    pub(crate) pages: u32,
    /// The callback number.
    #[arg(long)]
    pub(crate) callback: Option<String>,
    /// The date line (free text; left out if not given).
    #[arg(long)]
    pub(crate) date: Option<String>,
    /// The confidentiality notice (default: the standard PHI notice).
    #[arg(long)]
    pub(crate) notice: Option<String>,
    /// Resolution (default fine).
    #[arg(long, value_enum, default_value_t = CoverResolution::Fine)]
    pub(crate) resolution: CoverResolution,
    /// The file to write (.png, .tif/.tiff or .pbm).
    pub(crate) output: PathBuf,
}

/// `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// UDPTL error recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EcArg {
    /// None.
    None,
    /// Redundancy, depth 3.
    Redundancy,
    /// Parity FEC, 3 entries over 3 packets.
    Fec,
}

/// Arguments of `Send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The document (.tif/.tiff, .pbm, .png); 1728 pels wide pages go as they are.
    pub(crate) file: PathBuf,
    /// The answering T.38 endpoint, HOST:PORT.
    #[arg(long)]
    pub(crate) to: String,
    /// Local address to bind (default: any address, any port).
    #[arg(long)]
    pub(crate) local: Option<String>,
    /// Error correction mode (default on).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub(crate) ecm: OnOff,
    /// Best coding to offer (default: the best both sides have, MMR with ECM).
    #[arg(long, value_enum)]
    pub(crate) coding: Option<CodingArg>,
    /// UDPTL error recovery (default redundancy).
    #[arg(long, value_enum, default_value_t = EcArg::Redundancy)]
    pub(crate) ec: EcArg,
    /// T38FaxVersion agreed with the peer: 0 uses the 1998 IFP packing, 1-4 the 2002 one.
    #[arg(long, default_value_t = 0)]
    pub(crate) t38_version: u8,
    /// Our identity (TSI), up to 20 characters.
    #[arg(long)]
    pub(crate) ident: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `Receive`.
#[derive(Debug, Args)]
pub(crate) struct ReceiveArgs {
    /// Address to listen on, HOST:PORT.
    #[arg(long)]
    pub(crate) listen: String,
    /// Directory for the received faxes.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Stop after the first call.
    #[arg(long)]
    pub(crate) once: bool,
    /// Error correction mode (default on).
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    pub(crate) ecm: OnOff,
    /// UDPTL error recovery (default redundancy).
    #[arg(long, value_enum, default_value_t = EcArg::Redundancy)]
    pub(crate) ec: EcArg,
    /// T38FaxVersion agreed with the peer: 0 uses the 1998 IFP packing, 1-4 the 2002 one.
    #[arg(long, default_value_t = 0)]
    pub(crate) t38_version: u8,
    /// Print each result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Arguments of `Convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// Input file (.tif/.tiff, .pbm, .png).
    pub(crate) input: PathBuf,
    /// Output file (.tif/.tiff, .pbm, .png).
    pub(crate) output: PathBuf,
    /// Coding of TIFF output (default mmr). MR uses K from the resolution (4 at fine).
    #[arg(long, value_enum)]
    pub(crate) coding: Option<CodingArg>,
    /// PDF-style K for TIFF output: <0 MMR, 0 MH, >0 MR with K (must agree with --coding).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) k: Option<i32>,
    /// Bit order of TIFF output (FillOrder 1 = msb, 2 = lsb; default msb).
    #[arg(long, value_enum)]
    pub(crate) fill_order: Option<FillOrderArg>,
    /// TIFF output in MH or MR: fill bits so that every EOL ends on a byte boundary
    /// (T4Options bit 2). Not available for MMR.
    #[arg(long)]
    pub(crate) byte_align: bool,
    /// Only this page (from 1).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) page: Option<u32>,
}

/// Arguments of `DecodeRaw`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The coded stream.
    pub(crate) input: PathBuf,
    /// The image to write (PBM unless the extension says .tif/.tiff or .png).
    pub(crate) output: PathBuf,
    /// Pels per row (PDF Columns).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) columns: u32,
    /// Expected rows (PDF Rows); missing rows are concealed as white. Default: until the
    /// end of the data or RTC / EOFB.
    #[arg(long)]
    pub(crate) rows: Option<u32>,
    /// PDF K: <0 MMR (T.6), 0 MH (T.4 1-D, the default), >0 MR (T.4 2-D).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub(crate) k: i32,
    /// Every coded row starts on a byte boundary (PDF EncodedByteAlign).
    #[arg(long)]
    pub(crate) byte_align: bool,
    /// PDF BlackIs1 true: the output image is inverted (see above).
    #[arg(long)]
    pub(crate) black_is_1: bool,
    /// Bit order of the stream: msb (PDF, TIFF FillOrder 1, the default) or lsb (modems,
    /// FillOrder 2).
    #[arg(long, value_enum)]
    pub(crate) fill_order: Option<FillOrderArg>,
    /// Fail on the first damaged row (PDF DamagedRowsBeforeError 0) instead of concealing.
    #[arg(long)]
    pub(crate) strict: bool,
}

/// Arguments of `EncodeRaw`.
#[derive(Debug, Args)]
pub(crate) struct EncodeArgs {
    /// Input image (.pbm; .tif/.tiff and .png are accepted too), one page.
    pub(crate) input: PathBuf,
    /// The stream to write.
    pub(crate) output: PathBuf,
    /// Coding (default mh). MR uses K = 4 unless --k says otherwise.
    #[arg(long, value_enum)]
    pub(crate) coding: Option<CodingArg>,
    /// PDF-style K: <0 MMR, 0 MH, >0 MR with K (must agree with --coding).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) k: Option<i32>,
    /// Every coded row (with its EOL) starts on a byte boundary (PDF EncodedByteAlign).
    #[arg(long)]
    pub(crate) byte_align: bool,
    /// MH without EOLs (MR needs them; MMR never has them).
    #[arg(long)]
    pub(crate) no_eol: bool,
    /// End with RTC (MH, MR: six EOLs) or EOFB (MMR: two EOLs).
    #[arg(long)]
    pub(crate) rtc: bool,
}

/// A coding named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CodingArg {
    /// T.4 Modified Huffman (G3 1-D).
    Mh,
    /// T.4 Modified READ (G3 2-D).
    Mr,
    /// T.6 Modified Modified READ (G4).
    Mmr,
}

/// A bit order named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FillOrderArg {
    /// Most significant bit first (TIFF FillOrder 1, PDF).
    Msb,
    /// Least significant bit first (TIFF FillOrder 2).
    Lsb,
}

/// Arguments of `Demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Run the call at real fax speed (about half a minute per page) instead of unpaced.
    #[arg(long)]
    pub(crate) paced: bool,
    /// Where to put the data directories and the received pages (must be absent or empty;
    /// default: a new directory under the system temp dir). The directory is kept.
    #[arg(long)]
    pub(crate) dir: Option<std::path::PathBuf>,
    /// PBKDF2 iterations of the demo's key files (tests use fewer).
    #[arg(long, hide = true, default_value_t = phi_store::keys::DEFAULT_PBKDF2_ITERATIONS)]
    pub(crate) kdf_iterations: u32,
}
