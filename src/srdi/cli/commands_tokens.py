"""``srdi token``: API tokens for system-to-system calls."""
