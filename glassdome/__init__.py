"""glassdome: provisioning for lab infrastructure, with credentials kept out of plaintext files."""

__version__ = "0.1.0"

__all__ = ["__version__"]
