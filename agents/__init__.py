"""The market's actors: provider agents, the vectorised developer population, the chip catalogue."""
