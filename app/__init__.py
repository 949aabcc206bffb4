"""Kursk Control Tracker: who controls which settlement, since when, and on whose word."""
