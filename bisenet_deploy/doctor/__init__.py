"""bisenet-doctor: what this machine can run, and the command that fixes each missing piece."""
