"""Built-in workflows, one package each; every package exposes ``SPEC``."""
