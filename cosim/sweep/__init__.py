"""Many runs of one config: the sweep driver, its folder on disk, and the executors."""
