"""Platform adapters: one module (or folder) per platform behind `base.PlatformClient`."""
