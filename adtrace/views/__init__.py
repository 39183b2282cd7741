"""Renderers: each turns a Trace into one format. They format; they never compute."""
