"""Channel damage applied to a hidden state: the models (llm_split.damage.models), their registry
(llm_split.damage.registry) and the exact strata over decisive elements (llm_split.damage.strata)."""
