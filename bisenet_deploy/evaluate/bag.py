"""bisenet-eval on a recorded bag: a bag has no ground truth, so what it measures is agreement: the
model against --compare (another backend, precision or model file) on the robot's own frames."""

from ..core.errors import InputError, WorkFailed
from ..core.metrics import agreement
from ..runtime.seg_stats import class_fractions
from ..runtime.sources.rosbag import open_bag_source
from .gate import judge_compare
from .report_file import write_report


def add_bag_args(parser):
    group = parser.add_argument_group("bag (instead of --data; needs --compare)")
    group.add_argument("--rosbag", metavar="BAG", help="ROS 1 .bag or ROS 2 bag folder")
    group.add_argument("--topic", help="its sensor_msgs/Image or CompressedImage topic")
    return group


def check_bag_args(args):
    if args.rosbag is None and args.topic is None:
        return False
    if args.rosbag is None or args.topic is None:
        raise InputError("--rosbag BAG and --topic T go together")
    if args.data is not None:
        raise InputError("give --data ROOT or --rosbag BAG, not both")
    if not args.compare:
        raise InputError("a bag has no labels, so bisenet-eval --rosbag measures agreement: add --compare "
                         "BACKEND|MODEL (e.g. --compare model.onnx for an engine)")
    return True


def evaluate_bag(args, segmenters, names, log):
    """Pixel agreement of segmenters[0] with segmenters[1] on every image of the topic (up to --limit)."""
    agreements, first_classes = [], {}
    with open_bag_source(args.rosbag, {"topic": args.topic}) as source:
        log(source.describe())
        for index, frame in source:
            if args.limit is not None and index >= args.limit:
                break
            predictions = [s.segment(frame.image).labels.copy() for s in segmenters]
            agreements.append((agreement(predictions[0], predictions[1]), predictions[0].size))
            for name, share in class_fractions(predictions[0], names).items():
                first_classes[name] = first_classes.get(name, 0.0) + share
    if not agreements:
        raise InputError("no images on {} in {}".format(args.topic, args.rosbag))
    pixels = sum(n for _, n in agreements)
    overall = sum(a * n for a, n in agreements) / float(pixels)
    report = {"model": args.model, "rosbag": args.rosbag, "topic": args.topic, "samples": len(agreements),
              "compare": args.compare, "agreement": {"pixels": overall, "worst_image": min(a for a, _ in agreements)},
              "class_fractions": dict((k, v / len(agreements)) for k, v in sorted(first_classes.items()))}
    log("--compare {} on {} images of {}: pixel agreement {:.4f}% (worst image {:.4f}%)".format(
        args.compare, len(agreements), args.topic, 100 * overall, 100 * report["agreement"]["worst_image"]))
    report["gate"], verdict = judge_compare(segmenters[0].backend, segmenters[1].backend, overall, log=log)
    if args.json:
        write_report(args.json, report, log)
    if not verdict.passed:
        raise WorkFailed("{} against --compare {} on {}: {}".format(args.model, args.compare, args.topic,
                                                                    verdict.text))
    return report
