"""Workstation side: seed-compatible model zoo, checkpoint loading, ONNX export, verification, lint."""
