"""Example applications instrumented with Signalpost."""
