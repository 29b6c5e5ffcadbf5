"""core.trainers: the machinery behind fit, evaluate and predict."""
