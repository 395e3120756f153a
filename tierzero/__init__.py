"""TierZero core: settings, database and the base domain error shared by every package."""
