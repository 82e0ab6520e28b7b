"""Procedural indoor scenes with exact labels: the project's own small SUN RGB-D-like data set."""
