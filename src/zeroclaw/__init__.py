"""ZeroClaw: a self-hosted AI agent runtime with a sandboxed WebAssembly plugin runtime."""

__version__ = "0.1.0"
