"""Tests of the contracts plugin."""
