"""Binding, starting and stopping the gateway server."""
