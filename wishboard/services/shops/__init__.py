"""Open shops: the public directory, its management by staff, and shops' online visibility."""
