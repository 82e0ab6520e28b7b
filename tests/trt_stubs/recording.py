"""Recording and restricting: a stub object behind Restricted answers only the names its generation has
and records every call, so tests see the sequence each generation gets."""

import types


class Calls(list):
    def names(self):
        return [name for name, _ in self]


class Restricted(object):
    """Wraps a stub object; only names the generation has are reachable; calls are recorded."""

    def __init__(self, inner, allowed, calls):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_allowed", allowed)
        object.__setattr__(self, "_calls", calls)

    def __getattr__(self, name):
        if not self._allowed(name):
            raise AttributeError("stub TensorRT has no {!r} in this generation".format(name))
        value = getattr(self._inner, name)
        if isinstance(value, (types.FunctionType, types.MethodType)):  # classes pass through: calibrators derive
            def recorded(*args, **kwargs):
                self._calls.append((name, args))
                return value(*args, **kwargs)
            return recorded
        return value

    def __setattr__(self, name, value):
        if not self._allowed(name):
            raise AttributeError("stub TensorRT has no {!r} in this generation".format(name))
        self._calls.append((name + "=", (value,)))
        setattr(self._inner, name, value)


def unwrap(obj):
    return object.__getattribute__(obj, "_inner") if isinstance(obj, Restricted) else obj


class Enum(object):
    def __init__(self, **members):
        self.__dict__.update(members)
