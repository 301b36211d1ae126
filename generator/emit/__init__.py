"""Emit stage: IR to Python source text, via templates, black and ast."""
