"""The run side of the TensorRT stand-in: runtime, engine and execution context, with the binding API
(7.1 - 8.6) and the tensor API (8.5+) in separate mixins. The stub network computes fake_network."""

import numpy as np

from .gpu_ops import fake_network


class BindingApi(object):
    """Engine I/O by binding index: TensorRT 7.1 to 8.6."""

    @property
    def num_bindings(self):
        return len(self._stub.io_names)

    def get_binding_name(self, index):
        return self._stub.io_names[index]

    def binding_is_input(self, index):
        return self._stub.io[self._stub.io_names[index]][0]

    def get_binding_shape(self, index):
        return self._stub.io[self._stub.io_names[index]][1]

    def get_binding_dtype(self, index):
        return self._stub.io[self._stub.io_names[index]][2]


class TensorApi(object):
    """Engine I/O by tensor name: TensorRT 8.5 on."""

    @property
    def num_io_tensors(self):
        return len(self._stub.io_names)

    def get_tensor_name(self, index):
        return self._stub.io_names[index]

    def get_tensor_mode(self, name):
        return "INPUT" if self._stub.io[name][0] else "OUTPUT"

    def get_tensor_shape(self, name):
        return self._stub.io[name][1]

    def get_tensor_dtype(self, name):
        return self._stub.io[name][2]


class Engine(BindingApi, TensorApi):
    def __init__(self, stub, plan):
        self._stub = stub
        self.plan = plan

    def serialize(self):
        return self.plan

    def create_execution_context(self):
        return self._stub.wrap(Context(self._stub))


class Context(object):
    def __init__(self, stub):
        self._stub = stub
        self.addresses = {}
        self.input_shape = None  # set for a dynamic batch axis

    def _set_shape(self, shape):
        """True, or False for a batch outside the stub engine's profile (stub.max_batch), as TensorRT answers."""
        if self._stub.max_batch is not None and not 1 <= shape[0] <= self._stub.max_batch:
            return False
        self.input_shape = tuple(shape)
        return True

    def set_input_shape(self, name, shape):  # 8.5+
        return self._set_shape(shape)

    def set_binding_shape(self, index, shape):  # 7.1 - 8.6
        return self._set_shape(shape)

    def _shape(self, name):
        """The tensor's shape for this run: a dynamic batch axis (-1) takes the set input's batch."""
        shape = self._stub.io[name][1]
        if shape[0] >= 0:
            return shape
        assert self.input_shape is not None, "a dynamic engine ran before its input shape was set"
        return (self.input_shape[0],) + tuple(shape[1:])

    def set_tensor_address(self, name, address):  # 8.5+
        if name in self._stub.refuse_addresses_of:
            return False  # as TensorRT does for an unknown name or a misaligned pointer
        self.addresses[name] = address
        return True

    def _run(self):
        memory = self._stub.memory
        x = memory.view(self.addresses["input"], self._shape("input"), np.float32)
        out = memory.view(self.addresses["labels"], self._shape("labels"), np.int32)
        out[...] = fake_network(x)
        return True

    def execute_async_v3(self, stream_handle):  # 8.5+
        return self._run()

    def execute_async_v2(self, bindings, stream_handle):  # 7.1 - 8.6
        self.addresses = dict(zip(self._stub.io_names, bindings))
        return self._run()


class Runtime(object):
    def __init__(self, stub, logger):
        self._stub = stub

    def deserialize_cuda_engine(self, plan):
        return self._stub.wrap(Engine(self._stub, plan)) if plan.startswith(b"PLAN") else None
