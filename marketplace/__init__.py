"""Companies, users, machines, capacity, orders, quotes, work packages, reviews and search."""
