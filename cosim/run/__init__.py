"""One run of a config: run folders, the cost estimate, plain cell runs, dispatch by config kind."""
