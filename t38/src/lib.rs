//! ITU-T T.38 fax over IP: IFP packets (ASN.1 PER), UDPTL with redundancy and FEC, TPKT, SDP; sans-IO
//!
//! (Skeleton: the implementation lands with its issue.)
#![forbid(unsafe_code)]
