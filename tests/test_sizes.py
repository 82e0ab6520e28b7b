"""Small modules with one job: no module in bisenet_deploy/ over 400 lines, no function over 60."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "bisenet_deploy"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_modules_to_check():
    assert len(modules()) > 50


def test_no_module_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in modules()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_over_60_lines():
    long = {}
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long["{}:{}".format(path.relative_to(PACKAGE), node.name)] = length
    assert long == {}
