"""Activations on the wire: the packet codec and what the edge fills erased elements with."""
