"""Channel damage models applied to a hidden state, and the exact strata over decisive elements."""
