"""Streamlit workbench for curators and analysts: UI wiring over ``core``."""
