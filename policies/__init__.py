"""Policy modules: each changes the market's constraints on a schedule, and nothing else."""
