"""OpenVINO's per-layer counters (PERF_COUNT) for a model in each precision, compiled as bisenet-bench's
network-only timing compiles it (explicit INFERENCE_PRECISION_HINT, LATENCY, one stream): where the time
goes, by kernel (exec type) and by layer type, with the GFLOP/s of the compute layers (MACs from the
compiled graph's shapes), the slowest layers, and what keeps a precision from its MatMul limit:

- float islands: compute layers (Convolution, ConvTranspose, FullyConnected, MatMul) that run in FP32
  inside a BF16 run, or in anything but int8 inside an INT8 run;
- Reorders: layout/precision conversions between layers, pure overhead;
- ConvTranspose (ConvolutionBackpropData) and Resize (Interpolate) and the precision they ran in.

Reports, never asserts.

Usage: python benchmarks/ov_layer_profile.py MODEL.onnx [MODEL.qdq.onnx] [--precision fp32,bf16,int8]
       [--threads N] [--iters N]
"""

import argparse
import collections

import numpy as np
import openvino as ov

from bisenet_deploy.runtime.backends.openvino_backend import cpu_facts
from bisenet_deploy.runtime.backends.openvino_precision import native, plan_precision

DECONVOLUTION = ("Deconvolution", "ConvolutionBackpropData")  # ConvTranspose, as OpenVINO's versions name it
COMPUTE = ("Convolution", "GroupConvolution", "FullyConnected", "MatMul") + DECONVOLUTION
WATCHED = DECONVOLUTION + ("Interpolate",)  # Interpolate: Resize
TOP = 8  # slowest compute layers listed
KERNEL_PRECISIONS = (("bf16", "bf16"), ("fp16", "f16"), ("f16", "f16"), ("fp32", "f32"), ("f32", "f32"),
                     ("i8", "int8"), ("u8", "int8"))


def kernel_precision(exec_type):
    """'bf16', 'f16', 'f32' or 'int8' from an exec type such as brgemm_avx512_bf16 or jit_avx512_I8."""
    suffix = exec_type.lower().rsplit("_", 1)[-1]
    return dict(KERNEL_PRECISIONS).get(suffix, suffix)


def layer_macs(compiled):
    """{layer name: (MACs, output shape)} of the compute layers in the compiled CPU graph, from its shapes:
    a convolution's every output sums weights / output channels products, a deconvolution's every input
    scatters weights / input channels of them, a FullyConnected's every output sums its input's last axis."""
    layers = {}
    for op in compiled.get_runtime_model().get_ordered_ops():
        layer_type = op.get_rt_info()["layerType"].astype(str)
        if layer_type not in COMPUTE or op.get_input_size() < 2:
            continue
        first, weights, out = [list(op.get_input_partial_shape(i).to_shape()) for i in (0, 1)] + [
            list(op.get_output_partial_shape(0).to_shape())]
        if layer_type in DECONVOLUTION:
            macs = np.prod(first) * np.prod(weights) // first[1]
        elif layer_type in ("FullyConnected", "MatMul"):
            macs = np.prod(out) * first[-1]
        else:
            macs = np.prod(out) * np.prod(weights) // out[1]
        layers[op.get_friendly_name()] = (int(macs), out)
    return layers


def profile(path, precision, threads, iters):
    """({node name: [node type, exec type, seconds per inference]}, median wall ms, layer_macs) of `iters`
    inferences."""
    core = ov.Core()
    model = core.read_model(path)
    plan = plan_precision(precision, cpu_facts(core)[1], precision == "int8")
    compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": plan.hint, "PERFORMANCE_HINT": "LATENCY",
                                                 "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": str(threads),
                                                 "PERF_COUNT": True})
    request = compiled.create_infer_request()
    shape = [dim.get_length() for dim in model.inputs[0].get_partial_shape()]
    request.set_input_tensor(ov.Tensor(np.random.RandomState(0).randn(*shape).astype(np.float32)))
    for _ in range(3):
        request.infer()
    nodes, walls = collections.OrderedDict(), []
    for _ in range(iters):
        request.infer()
        walls.append(request.latency)
        for info in request.profiling_info:
            entry = nodes.setdefault(info.node_name, [info.node_type, info.exec_type, 0.0])
            entry[2] += info.real_time.total_seconds() / iters
    return nodes, float(np.median(walls)), layer_macs(compiled)


def gflops(macs, seconds):
    return "{:.0f}".format(2.0 * macs / seconds / 1e9) if macs and seconds else ""


def report(label, nodes, wall_ms, precision, macs):
    total = sum(seconds for _, _, seconds in nodes.values()) * 1000.0
    print("\n## {}: {:.2f} ms wall (median), {:.2f} ms in layers, {:.2f} GMACs in compute layers".format(
        label, wall_ms, total, sum(m for m, _ in macs.values()) / 1e9))
    groups = collections.defaultdict(lambda: [0, 0.0, 0])
    for name, (node_type, exec_type, seconds) in nodes.items():
        if seconds > 0:
            group = groups[(node_type, exec_type)]
            group[0] += 1
            group[1] += seconds
            group[2] += macs.get(name, (0,))[0]
    print("\nlayer type | exec type | layers | ms | share | GFLOP/s\n:-|:-|-:|-:|-:|-:")
    for (node_type, exec_type), (count, seconds, group_macs) in sorted(groups.items(), key=lambda item: -item[1][1]):
        print("{} | {} | {} | {:.3f} | {:.1%} | {}".format(node_type, exec_type, count, seconds * 1000.0,
                                                           seconds * 1000.0 / total, gflops(group_macs, seconds)))
    print("\nslowest compute layers: ms, GFLOP/s, output shape, exec type")
    slowest = sorted((item for item in nodes.items() if item[0] in macs), key=lambda item: -item[1][2])
    for name, (node_type, exec_type, seconds) in slowest[:TOP]:
        print("  {:.3f} ms  {:>5} GFLOP/s  {} {} {}".format(seconds * 1000.0, gflops(macs[name][0], seconds),
                                                             "x".join(str(d) for d in macs[name][1]), exec_type, name))
    wanted = {"bf16": ("bf16",), "int8": ("int8",), "fp16": ("f16",)}.get(precision)
    if wanted:
        islands = [(name, t, e, s) for name, (t, e, s) in nodes.items()
                   if t in COMPUTE and s > 0 and kernel_precision(e) not in wanted]
        island_ms = sum(s for _, _, _, s in islands) * 1000.0
        print("\nfloat islands (compute layers not in {}): {} layers, {:.2f} ms ({:.1%})".format(
            precision.upper(), len(islands), island_ms, island_ms / total))
        for name, node_type, exec_type, seconds in sorted(islands, key=lambda item: -item[3])[:10]:
            print("  {:.3f} ms  {} {} ({})".format(seconds * 1000.0, node_type, name, exec_type))
    reorders = [s for t, _, s in nodes.values() if t == "Reorder" and s > 0]
    print("Reorders: {} run, {:.3f} ms ({:.1%})".format(len(reorders), sum(reorders) * 1000.0,
                                                      sum(reorders) * 1000.0 / total))
    for name, (node_type, exec_type, seconds) in nodes.items():
        if node_type in WATCHED and seconds > 0:
            print("{} {}: {} ({}), {:.3f} ms".format(node_type, name, exec_type, kernel_precision(exec_type),
                                                    seconds * 1000.0))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="FP32 ONNX (the fp32/bf16/fp16 runs)")
    parser.add_argument("qdq", nargs="?", help="its QDQ copy from bisenet-calibrate (the int8 run)")
    parser.add_argument("--precision", default="fp32,bf16,int8", help="comma-separated (default: fp32,bf16,int8)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iters", type=int, default=20)
    args = parser.parse_args()
    cpu_name, capabilities = cpu_facts()
    print("# OpenVINO {} on {}, {} threads, {} inferences".format(ov.__version__, cpu_name, args.threads, args.iters))
    for precision in args.precision.split(","):
        path = args.qdq if precision == "int8" else args.model
        if not path or not native(precision, capabilities):
            print("\n## {}: skipped ({})".format(precision, "no QDQ model" if not path else "not native here"))
            continue
        nodes, wall_ms, macs = profile(path, precision, args.threads, args.iters)
        report("{} {}".format(precision.upper(), path), nodes, wall_ms, precision, macs)


if __name__ == "__main__":
    main()
