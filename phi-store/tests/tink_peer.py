#!/usr/bin/env python3
"""Independent peer for the body format: Google's Tink (PyPI `tink`).

Usage: tink_peer.py encrypt|decrypt KEY_HEX AAD_HEX IN OUT

Builds an AesGcmHkdfStreaming keyset (HKDF-SHA256, 32-byte derived key, 64 KiB ciphertext
segments, RAW output prefix) around the given raw key and streams IN to OUT. Exit status 3
means Tink rejected the ciphertext.
"""
import io
import sys

import tink
from tink import cleartext_keyset_handle, streaming_aead
from tink.proto import aes_gcm_hkdf_streaming_pb2, common_pb2, tink_pb2


def handle_for(raw_key: bytes):
    key = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingKey(
        version=0,
        key_value=raw_key,
        params=aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingParams(
            ciphertext_segment_size=65536,
            derived_key_size=32,
            hkdf_hash_type=common_pb2.SHA256,
        ),
    )
    keyset = tink_pb2.Keyset(primary_key_id=1)
    entry = keyset.key.add()
    entry.key_data.type_url = "type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey"
    entry.key_data.value = key.SerializeToString()
    entry.key_data.key_material_type = tink_pb2.KeyData.SYMMETRIC
    entry.status = tink_pb2.ENABLED
    entry.key_id = 1
    entry.output_prefix_type = tink_pb2.RAW
    return cleartext_keyset_handle.from_keyset(keyset)


def main() -> int:
    mode, key_hex, aad_hex, src, dst = sys.argv[1:6]
    streaming_aead.register()
    primitive = handle_for(bytes.fromhex(key_hex)).primitive(streaming_aead.StreamingAead)
    aad = bytes.fromhex(aad_hex)
    data = open(src, "rb").read()
    if mode == "encrypt":
        # The encrypting stream closes its destination when it is closed.
        with primitive.new_encrypting_stream(open(dst, "wb"), aad) as enc:
            enc.write(data)
        return 0
    try:
        with primitive.new_decrypting_stream(io.BytesIO(data), aad) as dec:
            plain = dec.read()
    except tink.TinkError:
        return 3
    open(dst, "wb").write(plain)
    return 0


if __name__ == "__main__":
    sys.exit(main())
