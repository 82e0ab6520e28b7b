"""Device side: TensorRT engine building behind one version adapter (see the engine issue)."""
