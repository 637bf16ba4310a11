//! A minimal, hand-written FFI to the system spandsp 0.0.6 (Debian `libspandsp-dev`): the
//! T.38 IFP codec (`t38_core`) and the T.38 terminal (`t38_terminal` + `t30`), for checking
//! the `t38` crate against the implementation most deployments descend from.
//!
//! - [`SpandspCore`]: spandsp's IFP encoder and decoder on their own. Feed it IFPs and read
//!   back what its receive callbacks saw; ask it to encode and read what its transmit callback
//!   got.
//! - [`SpandspTerminal`]: a complete T.38 fax terminal, stepped in simulated time. Two of them
//!   make a call whose IFPs a test can decode, drop or carry over UDPTL.
//!
//! Declarations follow `spandsp/t38_core.h`, `t38_terminal.h`, `t30.h` and `t30_api.h` of
//! 0.0.6 (handlers without the later `void *user_data` reordering). The callbacks write into a
//! boxed state whose address spandsp keeps; the box outlives the spandsp object and no Rust
//! reference to it is held across a spandsp call.

use std::ffi::{c_char, c_int, c_void, CString};
use std::marker::{PhantomData, PhantomPinned};
use std::path::Path;

#[repr(C)]
struct T38CoreState {
    _opaque: [u8; 0],
    _pinned: PhantomData<(*mut u8, PhantomPinned)>,
}

#[repr(C)]
struct T38TerminalState {
    _opaque: [u8; 0],
    _pinned: PhantomData<(*mut u8, PhantomPinned)>,
}

#[repr(C)]
struct T30State {
    _opaque: [u8; 0],
    _pinned: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `t38_data_field_t`.
#[repr(C)]
struct T38DataField {
    field_type: c_int,
    field: *const u8,
    field_len: c_int,
}

type TxPacketHandler =
    unsafe extern "C" fn(*mut T38CoreState, *mut c_void, *const u8, c_int, c_int) -> c_int;
type RxIndicatorHandler = unsafe extern "C" fn(*mut T38CoreState, *mut c_void, c_int) -> c_int;
type RxDataHandler =
    unsafe extern "C" fn(*mut T38CoreState, *mut c_void, c_int, c_int, *const u8, c_int) -> c_int;
type RxMissingHandler = unsafe extern "C" fn(*mut T38CoreState, *mut c_void, c_int, c_int) -> c_int;
type PhaseEHandler = unsafe extern "C" fn(*mut T30State, *mut c_void, c_int);

extern "C" {
    fn t38_core_init(
        s: *mut T38CoreState,
        rx_indicator_handler: Option<RxIndicatorHandler>,
        rx_data_handler: Option<RxDataHandler>,
        rx_missing_handler: Option<RxMissingHandler>,
        rx_user_data: *mut c_void,
        tx_packet_handler: Option<TxPacketHandler>,
        tx_user_data: *mut c_void,
    ) -> *mut T38CoreState;
    fn t38_core_free(s: *mut T38CoreState) -> c_int;
    fn t38_set_t38_version(s: *mut T38CoreState, version: c_int);
    fn t38_set_sequence_number_handling(s: *mut T38CoreState, check: c_int);
    fn t38_core_rx_ifp_packet(
        s: *mut T38CoreState,
        buf: *const u8,
        len: c_int,
        seq_no: u16,
    ) -> c_int;
    fn t38_set_data_transport_protocol(s: *mut T38CoreState, protocol: c_int);
    fn t38_core_rx_ifp_stream(
        s: *mut T38CoreState,
        buf: *const u8,
        len: c_int,
        log_seq_no: u16,
    ) -> c_int;
    fn t38_core_send_indicator(s: *mut T38CoreState, indicator: c_int) -> c_int;
    fn t38_core_send_data_multi_field(
        s: *mut T38CoreState,
        data_type: c_int,
        fields: *const T38DataField,
        n: c_int,
        category: c_int,
    ) -> c_int;

    fn t38_terminal_init(
        s: *mut T38TerminalState,
        calling_party: c_int,
        tx_packet_handler: Option<TxPacketHandler>,
        tx_user_data: *mut c_void,
    ) -> *mut T38TerminalState;
    fn t38_terminal_free(s: *mut T38TerminalState) -> c_int;
    fn t38_terminal_send_timeout(s: *mut T38TerminalState, samples: c_int) -> c_int;
    fn t38_terminal_get_t30_state(s: *mut T38TerminalState) -> *mut T30State;
    fn t38_terminal_get_t38_core_state(s: *mut T38TerminalState) -> *mut T38CoreState;

    fn t30_set_tx_file(s: *mut T30State, file: *const c_char, start_page: c_int, stop_page: c_int);
    fn t30_set_rx_file(s: *mut T30State, file: *const c_char, stop_page: c_int);
    fn t30_set_ecm_capability(s: *mut T30State, enabled: c_int) -> c_int;
    fn t30_set_supported_compressions(s: *mut T30State, supported: c_int) -> c_int;
    fn t30_set_tx_ident(s: *mut T30State, id: *const c_char) -> c_int;
    fn t30_set_tx_sub_address(s: *mut T30State, sub_address: *const c_char) -> c_int;
    fn t30_set_phase_e_handler(
        s: *mut T30State,
        handler: Option<PhaseEHandler>,
        user_data: *mut c_void,
    );
}

/// `T30_SUPPORT_T4_1D_COMPRESSION | T4_2D | T6`.
const ALL_COMPRESSIONS: c_int = 0x02 | 0x04 | 0x08;
/// `T38_PACKET_CATEGORY_CONTROL_DATA`.
const CATEGORY_CONTROL_DATA: c_int = 1;

/// `T38_TRANSPORT_*`: how spandsp frames IFPs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `T38_TRANSPORT_UDPTL`: bare IFPs (the default).
    Udptl = 0,
    /// `T38_TRANSPORT_TCP`: raw self-delimiting IFPs on a stream.
    Tcp = 2,
    /// `T38_TRANSPORT_TCP_TPKT`: each IFP behind an RFC 1006 header.
    TcpTpkt = 3,
}

/// What spandsp's IFP decoder reported through its receive callbacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RxEvent {
    /// `rx_indicator_handler(indicator)`.
    Indicator(i32),
    /// `rx_data_handler(data_type, field_type, data)` (one call per field; no data = empty).
    Data {
        /// `t30-data` code.
        data_type: i32,
        /// `field-type` code.
        field_type: i32,
        /// Field data.
        data: Vec<u8>,
    },
    /// `rx_missing_handler(rx_seq_no, expected_seq_no)`.
    Missing(i32, i32),
}

#[derive(Default)]
struct CoreSink {
    events: Vec<RxEvent>,
    tx: Vec<(Vec<u8>, i32)>,
}

/// Copies `len` octets from a C buffer (empty for NULL or a non-positive length).
///
/// # Safety
/// `buf` must be NULL or valid for `len` reads.
unsafe fn copy_c(buf: *const u8, len: c_int) -> Vec<u8> {
    match usize::try_from(len) {
        Ok(n) if n > 0 && !buf.is_null() => unsafe { std::slice::from_raw_parts(buf, n) }.to_vec(),
        _ => Vec::new(),
    }
}

unsafe extern "C" fn core_tx(
    _s: *mut T38CoreState,
    user: *mut c_void,
    buf: *const u8,
    len: c_int,
    count: c_int,
) -> c_int {
    // SAFETY: `user` is the `CoreSink` box registered in `SpandspCore::new`, alive until
    // `t38_core_free`; spandsp passes a buffer of `len` octets.
    let sink = unsafe { &mut *user.cast::<CoreSink>() };
    sink.tx.push((unsafe { copy_c(buf, len) }, count));
    0
}

unsafe extern "C" fn core_rx_indicator(
    _s: *mut T38CoreState,
    user: *mut c_void,
    indicator: c_int,
) -> c_int {
    // SAFETY: as in `core_tx`.
    let sink = unsafe { &mut *user.cast::<CoreSink>() };
    sink.events.push(RxEvent::Indicator(indicator));
    0
}

unsafe extern "C" fn core_rx_data(
    _s: *mut T38CoreState,
    user: *mut c_void,
    data_type: c_int,
    field_type: c_int,
    buf: *const u8,
    len: c_int,
) -> c_int {
    // SAFETY: as in `core_tx`; `buf` holds `len` octets or is NULL.
    let sink = unsafe { &mut *user.cast::<CoreSink>() };
    sink.events.push(RxEvent::Data {
        data_type,
        field_type,
        data: unsafe { copy_c(buf, len) },
    });
    0
}

unsafe extern "C" fn core_rx_missing(
    _s: *mut T38CoreState,
    user: *mut c_void,
    rx: c_int,
    expected: c_int,
) -> c_int {
    // SAFETY: as in `core_tx`.
    let sink = unsafe { &mut *user.cast::<CoreSink>() };
    sink.events.push(RxEvent::Missing(rx, expected));
    0
}

/// spandsp's `t38_core` alone: its IFP decoder and encoder.
pub struct SpandspCore {
    /// Invariant: a live state from `t38_core_init` whose user data is `sink`.
    s: *mut T38CoreState,
    sink: *mut CoreSink,
}

impl SpandspCore {
    /// A core at `T38FaxVersion` `version`, with sequence checking off (each packet is
    /// decoded on its own).
    ///
    /// # Panics
    /// If spandsp fails to allocate.
    pub fn new(version: i32) -> SpandspCore {
        let sink = Box::into_raw(Box::<CoreSink>::default());
        // SAFETY: NULL asks spandsp to allocate; the handlers match the typedefs and `sink`
        // stays valid until `drop` frees it after `t38_core_free`.
        let s = unsafe {
            t38_core_init(
                std::ptr::null_mut(),
                Some(core_rx_indicator),
                Some(core_rx_data),
                Some(core_rx_missing),
                sink.cast(),
                Some(core_tx),
                sink.cast(),
            )
        };
        assert!(!s.is_null(), "t38_core_init failed");
        // SAFETY: `s` is live.
        unsafe {
            t38_set_t38_version(s, version);
            t38_set_sequence_number_handling(s, 0);
        }
        SpandspCore { s, sink }
    }

    /// Selects the framing spandsp's encoder writes and its stream decoder expects.
    pub fn set_transport(&mut self, t: Transport) {
        // SAFETY: `s` is live.
        unsafe { t38_set_data_transport_protocol(self.s, t as c_int) };
    }

    /// `t38_core_rx_ifp_stream`: decodes the IFP at the start of `buf` (after its TPKT header
    /// in TPKT mode); returns spandsp's result (octets used, 0 = incomplete, -1 = error) and
    /// the events.
    pub fn rx_stream(&mut self, buf: &[u8]) -> (i32, Vec<RxEvent>) {
        let len = c_int::try_from(buf.len()).expect("length fits c_int");
        // SAFETY: `s` is live; `buf` is valid for `len` reads during the call.
        let r = unsafe { t38_core_rx_ifp_stream(self.s, buf.as_ptr(), len, 0) };
        (r, self.take_sink().events)
    }

    fn take_sink(&mut self) -> CoreSink {
        // SAFETY: no spandsp call is running; the box is ours.
        std::mem::take(unsafe { &mut *self.sink })
    }

    /// Decodes one IFP with `t38_core_rx_ifp_packet`: `Ok(events)` if spandsp accepted it
    /// (return 0), `Err(events)` otherwise.
    ///
    /// # Errors
    /// spandsp rejected the packet; the events it reported before rejecting are returned.
    pub fn rx_ifp(&mut self, ifp: &[u8], seq: u16) -> Result<Vec<RxEvent>, Vec<RxEvent>> {
        let len = c_int::try_from(ifp.len()).expect("IFP length fits c_int");
        // SAFETY: `s` is live; `ifp` is valid for `len` reads during the call.
        let r = unsafe { t38_core_rx_ifp_packet(self.s, ifp.as_ptr(), len, seq) };
        let events = self.take_sink().events;
        if r == 0 {
            Ok(events)
        } else {
            Err(events)
        }
    }

    /// Encodes an indicator with spandsp; returns the packets its transmit callback got (none
    /// if the indicator equals the last one sent, as spandsp only sends changes) with their
    /// requested repeat counts.
    pub fn send_indicator(&mut self, indicator: i32) -> Vec<(Vec<u8>, i32)> {
        // SAFETY: `s` is live.
        unsafe { t38_core_send_indicator(self.s, indicator) };
        self.take_sink().tx
    }

    /// Encodes a data packet with `t38_core_send_data_multi_field`; returns the packets sent.
    pub fn send_data(&mut self, data_type: i32, fields: &[(i32, &[u8])]) -> Vec<(Vec<u8>, i32)> {
        let c: Vec<T38DataField> = fields
            .iter()
            .map(|(t, d)| T38DataField {
                field_type: *t,
                field: if d.is_empty() {
                    std::ptr::null()
                } else {
                    d.as_ptr()
                },
                field_len: c_int::try_from(d.len()).expect("field fits c_int"),
            })
            .collect();
        let n = c_int::try_from(c.len()).expect("count fits c_int");
        // SAFETY: `s` is live; `c` and the slices it points to outlive the call.
        unsafe {
            t38_core_send_data_multi_field(self.s, data_type, c.as_ptr(), n, CATEGORY_CONTROL_DATA)
        };
        self.take_sink().tx
    }
}

impl Drop for SpandspCore {
    fn drop(&mut self) {
        // SAFETY: `s` came from `t38_core_init(NULL, ...)`; after freeing it nothing refers to
        // `sink`, which came from `Box::into_raw`.
        unsafe {
            t38_core_free(self.s);
            drop(Box::from_raw(self.sink));
        }
    }
}

#[derive(Default)]
struct TerminalSink {
    tx: Vec<(Vec<u8>, i32)>,
    completion: Option<i32>,
}

unsafe extern "C" fn terminal_tx(
    _s: *mut T38CoreState,
    user: *mut c_void,
    buf: *const u8,
    len: c_int,
    count: c_int,
) -> c_int {
    // SAFETY: `user` is the `TerminalSink` box registered in `SpandspTerminal::new`.
    let sink = unsafe { &mut *user.cast::<TerminalSink>() };
    sink.tx.push((unsafe { copy_c(buf, len) }, count));
    0
}

unsafe extern "C" fn terminal_phase_e(_s: *mut T30State, user: *mut c_void, completion: c_int) {
    // SAFETY: as in `terminal_tx`.
    let sink = unsafe { &mut *user.cast::<TerminalSink>() };
    sink.completion = Some(completion);
}

/// Which end of a call a [`SpandspTerminal`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role<'a> {
    /// The calling party, sending this TIFF.
    Send(&'a Path),
    /// The answering party, writing received pages to this TIFF.
    Receive(&'a Path),
}

/// Which codings a [`SpandspTerminal`] offers and accepts (`t30_set_supported_compressions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compressions {
    /// T.4 1-D (MH) only.
    Mh,
    /// MH and T.4 2-D (MR).
    Mr,
    /// MH, MR and T.6 (MMR).
    All,
}

impl Compressions {
    fn mask(self) -> c_int {
        match self {
            Compressions::Mh => 0x02,
            Compressions::Mr => 0x02 | 0x04,
            Compressions::All => ALL_COMPRESSIONS,
        }
    }
}

/// A spandsp T.38 terminal (T.30 engine + IFP framing, paced at 30 ms per IFP).
pub struct SpandspTerminal {
    /// Invariant: a live state from `t38_terminal_init` whose user data is `sink`.
    s: *mut T38TerminalState,
    sink: *mut TerminalSink,
}

impl SpandspTerminal {
    /// A terminal at `T38FaxVersion` `version`, with or without ECM.
    ///
    /// # Panics
    /// If spandsp fails to allocate or the path has a NUL byte.
    pub fn new(role: Role<'_>, version: i32, ecm: bool) -> SpandspTerminal {
        let calling = matches!(role, Role::Send(_));
        let (tx, rx) = match role {
            Role::Send(p) => (Some(p), None),
            Role::Receive(p) => (None, Some(p)),
        };
        SpandspTerminal::with_files(calling, tx, rx, version, ecm)
    }

    /// A terminal with any combination of a document to send (`tx`, also what it offers for
    /// polling) and a file for received pages (`rx`); a calling terminal with only `rx` polls
    /// (sends DTC) when the answering one offers a document.
    ///
    /// # Panics
    /// If spandsp fails to allocate or a path has a NUL byte.
    pub fn with_files(
        calling: bool,
        tx: Option<&Path>,
        rx: Option<&Path>,
        version: i32,
        ecm: bool,
    ) -> SpandspTerminal {
        let sink = Box::into_raw(Box::<TerminalSink>::default());
        let calling = c_int::from(calling);
        // SAFETY: NULL asks spandsp to allocate; `sink` outlives the terminal (see `drop`).
        let s = unsafe {
            t38_terminal_init(
                std::ptr::null_mut(),
                calling,
                Some(terminal_tx),
                sink.cast(),
            )
        };
        assert!(!s.is_null(), "t38_terminal_init failed");
        let path =
            |p: &Path| CString::new(p.to_str().expect("UTF-8 path")).expect("no NUL in path");
        // SAFETY: `s` is live; the T.30 and core states belong to it; spandsp copies the file
        // name.
        unsafe {
            t38_set_t38_version(t38_terminal_get_t38_core_state(s), version);
            let t30 = t38_terminal_get_t30_state(s);
            if let Some(p) = tx {
                t30_set_tx_file(t30, path(p).as_ptr(), -1, -1);
            }
            if let Some(p) = rx {
                t30_set_rx_file(t30, path(p).as_ptr(), -1);
            }
            t30_set_ecm_capability(t30, c_int::from(ecm));
            t30_set_supported_compressions(t30, ALL_COMPRESSIONS);
            t30_set_phase_e_handler(t30, Some(terminal_phase_e), sink.cast());
        }
        SpandspTerminal { s, sink }
    }

    /// Restricts the codings the terminal offers and accepts.
    pub fn set_compressions(&mut self, c: Compressions) {
        // SAFETY: `s` is live; the T.30 state belongs to it.
        unsafe { t30_set_supported_compressions(t38_terminal_get_t30_state(self.s), c.mask()) };
    }

    /// Sets the identity the terminal sends (TSI or CSI), up to 20 characters; `false` if
    /// spandsp refused it (too long, or a NUL byte).
    pub fn set_ident(&mut self, id: &str) -> bool {
        let Ok(c) = CString::new(id) else {
            return false;
        };
        // SAFETY: `s` is live; spandsp copies the string.
        unsafe { t30_set_tx_ident(t38_terminal_get_t30_state(self.s), c.as_ptr()) == 0 }
    }

    /// Sets the subaddress (SUB) the terminal sends when the answering side offers
    /// subaddressing, up to 20 characters; `false` if spandsp refused it.
    pub fn set_sub_address(&mut self, sub: &str) -> bool {
        let Ok(c) = CString::new(sub) else {
            return false;
        };
        // SAFETY: `s` is live; spandsp copies the string.
        unsafe { t30_set_tx_sub_address(t38_terminal_get_t30_state(self.s), c.as_ptr()) == 0 }
    }

    /// Selects the framing of the terminal's IFPs, sent and received (TPKT frames then carry
    /// their 4-octet header both ways).
    pub fn set_transport(&mut self, t: Transport) {
        // SAFETY: `s` is live; the core state belongs to it.
        unsafe {
            t38_set_data_transport_protocol(t38_terminal_get_t38_core_state(self.s), t as c_int)
        };
    }

    /// Advances the terminal's clock by `samples` (8000 per second); returns the IFPs it sent
    /// meanwhile with their requested repeat counts.
    pub fn step(&mut self, samples: i32) -> Vec<(Vec<u8>, i32)> {
        // SAFETY: `s` is live.
        unsafe { t38_terminal_send_timeout(self.s, samples) };
        // SAFETY: no spandsp call is running.
        std::mem::take(unsafe { &mut (*self.sink).tx })
    }

    /// Hands one received IFP to the terminal; `true` if spandsp's decoder accepted it.
    pub fn rx_ifp(&mut self, ifp: &[u8], seq: u16) -> bool {
        let len = c_int::try_from(ifp.len()).expect("IFP length fits c_int");
        // SAFETY: `s` is live; `ifp` is valid for `len` reads during the call.
        let r = unsafe {
            t38_core_rx_ifp_packet(
                t38_terminal_get_t38_core_state(self.s),
                ifp.as_ptr(),
                len,
                seq,
            )
        };
        r == 0
    }

    /// The T.30 completion code once phase E was reached (0 = `T30_ERR_OK`).
    pub fn completion(&self) -> Option<i32> {
        // SAFETY: no spandsp call is running.
        unsafe { (*self.sink).completion }
    }
}

impl Drop for SpandspTerminal {
    fn drop(&mut self) {
        // SAFETY: as for `SpandspCore`.
        unsafe {
            t38_terminal_free(self.s);
            drop(Box::from_raw(self.sink));
        }
    }
}
