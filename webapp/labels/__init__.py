"""Labels: named tags, unique per owner regardless of case, many-to-many with notes."""
