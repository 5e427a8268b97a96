"""The wire format on its own: values keep their types, frames are cut right, garbage is
refused. And TLS between two kernels of this process (a real loopback connection)."""

from __future__ import annotations

import gc
import shutil
import ssl
import subprocess
from xml.etree.ElementTree import Element, tostring

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel import Kernel
from schemes.chan import ChanError
from schemes.chan.net.frames import ACK, MSG, Frames, ProtocolError, ack_frame, data_frame, frame
from schemes.chan.net.values import decode, encode

from .test_tcp import FAST, WAIT, connected, echoes

json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def typed(value):
    """``value`` with the type of every part spelled out, so 1 and True and 1.0 differ."""
    if isinstance(value, list):
        return ["list", [typed(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", {k: typed(v) for k, v in value.items()}]
    return [type(value).__name__, value]


@given(json_like)
def test_values_come_back_with_their_types(value):
    assert typed(decode(encode(value))) == typed(value)


def test_xml_elements_and_the_tag_key_itself():
    element = Element("a", b="c")
    element.text = "d"
    assert tostring(decode(encode([element]))[0]) == tostring(element)
    tricky = {"\x00": "x", "v": "<not-xml"}
    assert decode(encode(tricky)) == tricky


@pytest.mark.parametrize(
    "body",
    [
        b"\xff",
        b"{",
        b'{"\\u0000": "q", "v": 1}',
        b'{"\\u0000": "b", "v": "!!"}',
        b'{"\\u0000": "x", "v": "<"}',
    ],
)
def test_undecodable_values_are_protocol_errors(body):
    with pytest.raises(ProtocolError):
        decode(body)


def test_frames_are_cut_whatever_the_chunks():
    stream = data_frame(MSG, 1, encode("one")) + frame(ACK, {}) + ack_frame(7)
    for size in (1, 3, len(stream)):
        frames, got = Frames(1024), []
        for i in range(0, len(stream), size):
            got += frames.feed(stream[i : i + size])
        assert [kind for kind, _ in got] == [MSG, ACK, ACK]


def test_oversized_and_unknown_frames_are_refused():
    with pytest.raises(ProtocolError, match="oversized"):
        Frames(10).feed(data_frame(MSG, 1, b"x" * 20))
    with pytest.raises(ProtocolError, match="garbage"):
        Frames(10).feed(b"\x00\x00\x00\x00\x63")


# -- TLS ----------------------------------------------------------------------------------


@pytest.fixture
def tls(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=roc",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=WAIT,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def test_tls_between_two_kernels(tls, caplog):
    server_tls, client_tls = tls
    config = {**FAST, "listen": "127.0.0.1:0", "ssl_server": server_tls}
    with (
        Kernel(config={"chan": config}, load_entrypoints=False) as there,
        Kernel(config={"chan": {**FAST, "ssl_client": client_tls}}, load_entrypoints=False) as here,
        Kernel(config={"chan": FAST}, load_entrypoints=False) as plain,
    ):
        far = there.context()
        b = far.new("chan:null")
        address = far.source(f"{b}/address")
        a, messages, _ = connected(here.context(), address)
        far.sink(b, "over TLS")
        assert messages.get(timeout=WAIT) == "over TLS"
        assert echoes(here.context(), a, far.source(f"{b}/messages"), [b"\x01"]) == [b"\x01"]
        with pytest.raises(ChanError):  # no TLS: the listener cannot understand it
            connected(plain.context(), address)
    gc.collect()  # an exception no one retrieved is reported when its task is collected
    assert "never retrieved" not in caplog.text  # closing TLS links says nothing
