"""Spec model: typed views of Arazzo and OpenAPI documents."""
