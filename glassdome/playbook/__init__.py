"""Declarative YAML playbooks: load, validate, resolve inputs, run steps, report."""
