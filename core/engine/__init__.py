"""The machinery under layers and models: symbolic tensors, nodes, masks,
call contexts and names."""
