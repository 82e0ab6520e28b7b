"""A Triton server seen from a robot: the address, the connection with its checks (server there, model
there, the card in the model's config, shapes that match it), and request slots that send one frame
each, through system shared memory when the server runs on this machine and in the gRPC message
otherwise. tritonclient is imported on first use (Python >= 3.8; the [serve] extra)."""

import itertools
import os
import socket

from ...core.errors import InputError
from ...core.lazy import lazy_import
from ...core.model_info import TRITON_SCHEME as SCHEME
from ...core.modelcard import card_from_json

CARD_PARAMETER = "bisenet_deploy.model_card"  # the config parameter holding the card (bisenet-package writes it)
DEFAULT_GRPC_PORT = 8001
CONNECT_TIMEOUT_S = 3.0  # for the start-up checks; a server that far away is not worth waiting for
LOOPBACK_NAMES = ("localhost", "ip6-localhost")
TRITON_DTYPES = {"float32": "FP32", "float16": "FP16", "int32": "INT32", "int64": "INT64", "uint8": "UINT8"}
_region_ids = itertools.count()


def grpc():
    return lazy_import("tritonclient.grpc", "the triton backend")


def server_address(text):
    # type: (str) -> tuple
    """'HOST:PORT', '[::1]:PORT' or 'HOST' (port 8001) -> (host, port); InputError for anything else."""
    host, _, port = text.rpartition(":") if not text.endswith("]") else (text, "", "")
    if not host or "]" in port:
        host, port = text, str(DEFAULT_GRPC_PORT)
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError("--server {!r}: expected HOST:PORT, the server's gRPC port (e.g. 127.0.0.1:8001)".format(text))
    return host, int(port)


def is_model_address(text):
    return isinstance(text, str) and text.startswith(SCHEME)


def split_model_address(address):
    # type: (str) -> tuple
    """triton://HOST:PORT/NAME -> ('HOST:PORT', NAME or None)."""
    server, _, name = address[len(SCHEME):].partition("/")
    return server, name or None


def is_local(host):
    # type: (str) -> bool
    """True for a loopback address or name: the server shares this machine's memory."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(info[4][0].startswith("127.") or info[4][0] == "::1" for info in infos)


def error_text(exc):
    """One line from a tritonclient exception."""
    message = getattr(exc, "message", None)
    text = (message() if callable(message) else None) or str(exc)
    return text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__


def is_unreachable(exc):
    """True when the error says the server is gone (not that it refused the request)."""
    status = getattr(exc, "status", None)
    status = status() if callable(status) else status
    return str(status) in ("StatusCode.UNAVAILABLE", "StatusCode.DEADLINE_EXCEEDED", "StatusCode.CANCELLED")


class Connection(object):
    """A gRPC client to `server` (HOST:PORT) for one model, checked at open(): the card comes from the
    model's config, and its input and output must be what the server serves."""

    def __init__(self, server, model_name=None):
        self.server = server
        self.host, self.port = server_address(server)
        self.model_name = model_name
        self.client = None
        self.card = None

    @property
    def url(self):
        return "{}:{}".format("[{}]".format(self.host) if ":" in self.host else self.host, self.port)

    def open(self):
        self.client = grpc().InferenceServerClient(self.url)
        try:
            live = self.client.is_server_live(client_timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # tritonclient raises its own type for a refused connection or a timeout
            raise InputError("no Triton server answers at {} ({}); start one with bisenet-serve REPO".format(
                self.server, error_text(exc)))
        if not live:
            raise InputError("the Triton server at {} is not live".format(self.server))
        self.model_name = self.model_name or self._only_model()
        self._check_model_ready()
        self.card = self._card()
        self._check_shapes()
        return self

    def close(self):
        if self.client is not None:
            self.client.close()
            self.client = None

    def _ready_models(self):
        index = self.client.get_model_repository_index(as_json=True, client_timeout=CONNECT_TIMEOUT_S)
        return [m["name"] for m in index.get("models", []) if m.get("state") == "READY"]

    def _served_text(self):
        names = self._ready_models()
        return "it serves {}".format(", ".join(sorted(names))) if names else "it serves no model"

    def _only_model(self):
        names = self._ready_models()
        if len(names) != 1:
            raise InputError("the Triton server at {} {}; say which with --model-name".format(
                self.server, "serves no model" if not names else "serves " + ", ".join(sorted(names))))
        return names[0]

    def _check_model_ready(self):
        try:
            ready = self.client.is_model_ready(self.model_name, client_timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # an unknown model name answers with an error, not False
            ready = False
            if is_unreachable(exc):
                raise InputError("the Triton server at {} stopped answering ({})".format(self.server, error_text(exc)))
        if not ready:
            raise InputError("the Triton server at {} has no ready model {!r}; {}".format(
                self.server, self.model_name, self._served_text()))

    def _card(self):
        config = self.client.get_model_config(self.model_name, as_json=True, client_timeout=CONNECT_TIMEOUT_S)
        entry = config.get("config", {}).get("parameters", {}).get(CARD_PARAMETER)
        if not entry:
            raise InputError("model {!r} on the Triton server at {} has no bisenet-deploy model card in its "
                             "config; package it with bisenet-package MODEL --triton REPO".format(
                                 self.model_name, self.server))
        return card_from_json(entry["string_value"], "model {!r} at {}".format(self.model_name, self.server))

    def _check_shapes(self):
        """The card's input and output against the served ones (a batch axis of -1 takes any batch)."""
        metadata = self.client.get_model_metadata(self.model_name, as_json=True, client_timeout=CONNECT_TIMEOUT_S)
        for role, served in (("input", metadata.get("inputs", [])), ("output", metadata.get("outputs", []))):
            spec = self.card[role]
            match = [t for t in served if t["name"] == spec["name"]]
            shape = [int(d) for d in match[0]["shape"]] if match else None
            if not match or len(shape) != len(spec["shape"]) or shape[1:] != [int(d) for d in spec["shape"][1:]] \
                    or match[0]["datatype"] != TRITON_DTYPES.get(spec["dtype"]):
                raise InputError("model {!r} at {}: its card names the {} {} {} {}, but the server has {}".format(
                    self.model_name, self.server, role, spec["name"], TRITON_DTYPES.get(spec["dtype"]),
                    "x".join(str(d) for d in spec["shape"]), ", ".join(
                        "{} {} {}".format(t["name"], t["datatype"], "x".join(str(d) for d in t["shape"]))
                        for t in served) or "none"))
            if shape[0] not in (-1, int(spec["shape"][0])):
                raise InputError("model {!r} at {} takes batches of {}, its card says {}".format(
                    self.model_name, self.server, shape[0], spec["shape"][0]))


class SharedRegions(object):
    """One system shared-memory region for a slot's input and one for its output, registered with the
    server (again after it restarted: `register`)."""

    def __init__(self, client, input_bytes, output_bytes):
        shm = lazy_import("tritonclient.utils.shared_memory", "the triton backend")
        self._shm = shm
        self.client = client
        tag = "bisenet_{}_{}".format(os.getpid(), next(_region_ids))
        self.names = (tag + "_in", tag + "_out")
        self.sizes = (int(input_bytes), int(output_bytes))
        self.handles = [shm.create_shared_memory_region(name, "/" + name, size)
                        for name, size in zip(self.names, self.sizes)]
        self.register()

    def register(self):
        for name, size in zip(self.names, self.sizes):
            try:
                self.client.unregister_system_shared_memory(name)
            except Exception:  # not registered (a restarted server): nothing to undo
                pass
            self.client.register_system_shared_memory(name, "/" + name, size)

    def write_input(self, array):
        self._shm.set_shared_memory_region(self.handles[0], [array])

    def read_output(self, dtype, shape):
        return self._shm.get_contents_as_numpy(self.handles[1], dtype, shape)

    def close(self):
        for name, handle in zip(self.names, self.handles):
            try:
                self.client.unregister_system_shared_memory(name)
            except Exception:  # the server is gone; its registration went with it
                pass
            self._shm.destroy_shared_memory_region(handle)
        self.handles = []
