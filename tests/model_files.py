"""Model files for tests, made with the real exporter."""

from bisenet_deploy.export.main import main as export_main


def export_onnx(checkpoint, folder, stem, input_size, head):
    """Path (str) of `checkpoint` exported by bisenet-export into `folder`/`stem`_`head`.onnx."""
    output = str(folder / "{}_{}.onnx".format(stem, head))
    code = export_main([checkpoint, "-o", output, "--input-size", input_size, "--head", head])
    assert code == 0, "bisenet-export of {} failed".format(checkpoint)
    return output
