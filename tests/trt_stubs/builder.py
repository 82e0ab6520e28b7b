"""The build side of the TensorRT stand-in: logger, parser, builder, config. Which of these names a
generation may reach is decided by the Restricted wrapper (names.py), so the 7.x-only and 8.0+ calls
can sit side by side here."""

from .recording import unwrap


class LoggerInstance(object):
    def __init__(self, severity):
        self.min_severity = severity


class Logger(object):
    WARNING, VERBOSE = 2, 4

    def __init__(self, stub):
        self._stub = stub

    def __call__(self, severity):
        self._stub.calls.append(("Logger", (severity,)))
        return self._stub.wrap(LoggerInstance(severity))


class TimingCache(object):
    def __init__(self, data):
        self.data = data

    def serialize(self):
        return self.data + b"+tactics"


class OptimizationProfile(object):
    def __init__(self):
        self.shapes = {}  # input name -> (min, opt, max) shapes

    def set_shape(self, name, min_shape, opt_shape, max_shape):
        self.shapes[name] = (tuple(min_shape), tuple(opt_shape), tuple(max_shape))


class Config(object):
    def __init__(self):
        self.flags, self.int8_calibrator, self.workspace, self.timing_cache = [], None, None, None
        self.profiles, self.calibration_profile = [], None

    # all: optimization profiles (dynamic shapes)
    def add_optimization_profile(self, profile):
        """The profile's index, or -1 for an invalid one (min <= opt <= max broken), as TensorRT answers."""
        for low, opt, high in unwrap(profile).shapes.values():
            if not all(a <= b <= c for a, b, c in zip(low, opt, high)):
                return -1
        self.profiles.append(unwrap(profile))
        return len(self.profiles) - 1

    # 7.1 - 10: implicit INT8 with dynamic shapes calibrates at this profile's opt shape
    def set_calibration_profile(self, profile):
        self.calibration_profile = unwrap(profile)

    # 8.4+: memory pools
    def set_memory_pool_limit(self, pool, size):
        self.workspace = (pool, size)

    # 7.1 - 8.x: the workspace attribute
    @property
    def max_workspace_size(self):
        return self.workspace

    @max_workspace_size.setter
    def max_workspace_size(self, size):
        self.workspace = ("attribute", size)

    # 7.1 - 10: precision flags
    def set_flag(self, flag):
        self.flags.append(flag)

    # 8.0+: timing caches
    def create_timing_cache(self, data):
        return None if data == b"GARBAGE" else TimingCache(data)  # the real call can return None

    def set_timing_cache(self, cache, ignore_mismatch):
        """Like TensorRT: False for a cache made on another device (here: marked FOREIGN)."""
        if cache.data.startswith(b"FOREIGN"):
            return False
        self.timing_cache = cache
        return True

    def get_timing_cache(self):
        return self.timing_cache


class Network(object):
    def __init__(self, flags):
        self.flags = flags


class ParserError(object):
    def __init__(self, node, message, name):
        self._node, self._message, self._name = node, message, name

    def desc(self):
        return self._message

    def node(self):
        return self._node

    def node_name(self):  # 10+
        return self._name


class OnnxParser(object):
    def __init__(self, stub, network, logger):
        self._stub = stub
        self.errors = [stub.wrap(ParserError(*e)) for e in stub.parse_errors]

    def parse(self, data):
        self._stub.parsed = data
        return not self.errors and not self._stub.parse_fails_silently

    @property
    def num_errors(self):
        return len(self.errors)

    def get_error(self, index):
        return self.errors[index]


class Builder(object):
    def __init__(self, stub, logger):
        self._stub = stub
        self.logger = logger
        self.platform_has_fast_fp16 = stub.fast_fp16  # 7.1 - 10
        self.platform_has_fast_int8 = stub.fast_int8

    def create_network(self, flags):
        return self._stub.wrap(Network(flags))

    def create_builder_config(self):
        return self._stub.wrap(Config())

    def create_optimization_profile(self):
        return self._stub.wrap(OptimizationProfile())

    def _plan(self, config):
        stub, config = self._stub, unwrap(config)
        stub.built_configs.append(config)
        calibrator = config.int8_calibrator
        if calibrator is not None:  # what TensorRT does: pull batches until None, then write the cache
            stub.calibration_batches = 0
            if calibrator.read_calibration_cache() is None:
                while calibrator.get_batch(["input"]):
                    stub.calibration_batches += 1
                calibrator.write_calibration_cache(b"TRT-8201-EntropyCalibration2\ninput: 3c010a14\n")
        return None if stub.build_fails else b"PLAN " + repr(sorted(config.flags)).encode()

    def build_serialized_network(self, network, config):  # 8.0+
        return self._plan(config)

    def build_engine(self, network, config):  # 7.x
        from .engine import Engine
        plan = self._plan(config)
        return None if plan is None else self._stub.wrap(Engine(self._stub, plan))


class EntropyCalibratorBase(object):  # 7.1 - 10
    def __init__(self):
        pass
