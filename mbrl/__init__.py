"""Model-based RL split agent (Gymnasium environment, reward surrogate, PPO). Filled by a later issue."""
