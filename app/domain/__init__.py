"""Value types and rules of the game; standard library only."""
