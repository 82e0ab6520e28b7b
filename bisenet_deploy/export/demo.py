"""Write a seed-format checkpoint with random weights, for trying the toolchain without a trained model.

The file has exactly the layout BiSeNet-wali's trainer saves (epoch, state_dict, optimizer,
best_mIoU/best_pixelAcc as numpy float64), so it exercises the same safe-loading path.
"""

import sys

import numpy as np

from ..core.atomic import atomic_path
from ..core.cli import ArgumentParser, add_common_flags, run_main
from ..core.errors import InputError
from ..core.lazy import lazy_import
from .names import ARCHS, VARIANTS


def randomize_batchnorm(model, seed, calibration_size=64):
    """Give BN layers trained-looking parameters and statistics measured on random images, so a random
    model's activations stay at unit scale through 100 layers, as a trained network's do."""
    torch = lazy_import("torch", "making a demo checkpoint")
    generator = torch.Generator().manual_seed(seed)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    for module in norms:
        n = module.num_features
        module.weight.data = 0.5 + 0.5 * torch.rand(n, generator=generator)
        module.bias.data = 0.1 * torch.randn(n, generator=generator)
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(2):  # batch > 1: the ARM's BN sees 1x1 maps
            model(torch.randn(4, 3, calibration_size, calibration_size, generator=generator))
    for module in norms:
        # Channels that ReLU silenced on the calibration batches would divide by ~sqrt(eps) and turn
        # float rounding into visible noise; trained statistics do not collapse like that.
        module.running_var.clamp_(min=0.05)
        module.momentum = 0.1
        module.num_batches_tracked.fill_(1000)
    return model.eval()


def seed_training_dict(model, epoch=100):
    """The dict BiSeNet-wali's trainer saves, with the SGD state's shape and numpy metrics."""
    return {
        "epoch": epoch,
        "state_dict": model.state_dict(),
        "optimizer": {"state": {}, "param_groups": [{"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4,
                                                     "nesterov": "False", "params": [0]}]},
        "best_mIoU": np.float64(0.2875),
        "best_pixelAcc": np.nanmean(np.array([0.6726])),
    }


def write_demo_checkpoint(path, arch="resnet18", in_planes=32, num_classes=37, variant="deconv", seed=0):
    torch = lazy_import("torch", "making a demo checkpoint")
    from .families.wali_net import build_model
    torch.manual_seed(seed)
    model = randomize_batchnorm(build_model(arch, in_planes, num_classes, variant), seed)
    with atomic_path(path) as tmp:
        torch.save(seed_training_dict(model), tmp)
    return path


def main(argv=None):
    parser = ArgumentParser(prog="python -m bisenet_deploy.export.demo", description=__doc__)
    parser.add_argument("output", help="where to write the .pth")
    parser.add_argument("--arch", choices=ARCHS, default="resnet18")
    parser.add_argument("--in-planes", type=int, default=32)
    parser.add_argument("--num-classes", type=int, default=37)
    parser.add_argument("--variant", choices=VARIANTS, default="deconv")
    parser.add_argument("--seed", type=int, default=0)
    add_common_flags(parser)

    def body(args):
        if args.in_planes < 1 or args.num_classes < 1:
            raise InputError("--in-planes and --num-classes must be positive")
        write_demo_checkpoint(args.output, args.arch, args.in_planes, args.num_classes, args.variant, args.seed)
        print("wrote random-weight {} in_planes={} {} checkpoint: {}".format(
            args.arch, args.in_planes, args.variant, args.output))
        return 0

    return run_main(body, parser, argv)


if __name__ == "__main__":
    sys.exit(main())
