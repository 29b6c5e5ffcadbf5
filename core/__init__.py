"""core: the engine-free model and layer library (grows in later issues)."""
