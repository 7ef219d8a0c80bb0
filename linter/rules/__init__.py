"""The copy rules, one module per family. Every module here is loaded by the registry."""
