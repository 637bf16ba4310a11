//! `faxd`: the T.38 fax server that receives into `phi-store` and sends queued faxes, with
//! every step recorded in `phi-audit`.
