"""Split inference over the air: the session, its config, the split policies, the model's half."""
