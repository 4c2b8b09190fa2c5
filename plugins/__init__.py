"""Plugins of the Winet CLA ERP; each package declares itself as PLUGIN in its __init__."""
