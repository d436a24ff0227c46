"""Schemathesis hooks for CTICloud (SCHEMATHESIS_HOOKS=cticloud_hooks, loaded by scripts/fuzz.sh).

Prompt uploads take audio bodies, which Schemathesis cannot make from a JSON schema: these strategies give it
real telephony audio (a short WAV), audio-looking garbage, and random bytes, so the upload route is fuzzed
instead of skipped.
"""
import struct

from hypothesis import strategies as st

import schemathesis


def _wav(samples: int) -> bytes:
    data = b"".join(struct.pack("<h", (i * 37) % 2000 - 1000) for i in range(samples))
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
    return header + b"data" + struct.pack("<I", len(data)) + data


AUDIO = st.one_of(
    st.sampled_from([_wav(800), _wav(0), b"RIFF", b"fLaC\x00\x00\x00\x22", b"OggS\x00\x02"]),
    st.binary(max_size=4096),
)

for media_type in ("audio/wav", "audio/x-wav", "audio/wave", "audio/flac", "audio/ogg"):
    schemathesis.openapi.media_type(media_type, AUDIO)
